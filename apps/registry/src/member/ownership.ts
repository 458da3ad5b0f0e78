import { DomainError } from '#libs/domain';
import type { Principal } from '#libs/platform';

/** Changes to a member's own data: the member itself or an operator; anyone else gets a 403. */
export function assertMayChange(principal: Principal, memberId: string, what: string): void {
  if (principal.role === 'operator' || principal.sub === memberId) return;
  throw new DomainError('not_your_member', `only ${what} ${memberId} itself or an operator may do this`, 'forbidden', { memberId });
}
