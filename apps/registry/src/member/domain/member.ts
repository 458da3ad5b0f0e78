import { NotFound, ValidationFailed } from '#libs/domain';
import { decideTokens, type MemberRole, type MemberTokenCommand, type MemberTokenEvent, type Tokens } from './member-tokens.js';

/**
 * What every member's decider shares beyond its tokens: a registered name is never blank, and only a
 * registered member has tokens to rotate or revoke (anyone else's member id is a 404).
 */
export function memberName(name: string, field = 'name'): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new ValidationFailed(field, 'must not be blank');
  return trimmed;
}

/** `tokens` is undefined while the member is not registered. */
export function decideRegisteredMemberTokens(command: MemberTokenCommand, tokens: Tokens | undefined, role: MemberRole): MemberTokenEvent[] {
  if (!tokens) throw new NotFound('member', command.memberId);
  return decideTokens(command, tokens, role);
}

/** Trimmed, none blank, none twice (`field.i` names the offending entry). */
export function distinctLabels(values: readonly string[], field: string): string[] {
  const seen = new Set<string>();
  return values.map((value, i) => {
    const label = value.trim();
    if (label.length === 0) throw new ValidationFailed(`${field}.${i}`, 'must not be blank');
    if (seen.has(label.toLowerCase())) throw new ValidationFailed(`${field}.${i}`, `"${label}" is listed twice`);
    seen.add(label.toLowerCase());
    return label;
  });
}
