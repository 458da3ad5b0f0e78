import { DomainError, NotFound } from '#libs/domain';
import type { Principal } from './principal.js';

/** Operators see everything; any other member sees only what it owns. */
export function canSee(principal: Principal, ownerId: string): boolean {
  return principal.role === 'operator' || principal.sub === ownerId;
}

/**
 * Throws the same not-found error a missing `what` would give, so that a caller cannot learn
 * that someone else's resource exists. Pass `id` to make the error identical to `new NotFound(what, id)`.
 */
export function assertOwnership(principal: Principal, ownerId: string, what: string, id?: string): void {
  if (canSee(principal, ownerId)) return;
  throw id === undefined ? new DomainError(`${what}_not_found`, `${what} does not exist`, 'not_found') : new NotFound(what, id);
}
