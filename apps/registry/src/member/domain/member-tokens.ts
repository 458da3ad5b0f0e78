import { DomainError, NotFound, type DomainEvent } from '#libs/domain';

/**
 * Bearer tokens of a network member (brand, workshop, inspector or operator), kept in the member's own stream. The JWT
 * itself is signed outside the decider; the stream records which token ids exist, until when, and
 * which were revoked, so a revocation survives restarts and is published to every service.
 */
export type MemberRole = 'brand' | 'workshop' | 'inspector' | 'operator' | 'service';

export type MemberTokenIssued = DomainEvent<
  'MemberTokenIssued',
  { memberId: string; role: MemberRole; tokenId: string; issuedAt: string; expiresAt: string }
>;
export type MemberTokenRevoked = DomainEvent<
  'MemberTokenRevoked',
  { memberId: string; tokenId: string; revokedAt: string; reason: 'revoked' | 'rotated' }
>;
export type MemberTokenEvent = MemberTokenIssued | MemberTokenRevoked;

export interface TokenGrant {
  tokenId: string;
  issuedAt: string;
  expiresAt: string;
}

/** Issue a new token and revoke every other token still active: the old ones stop working at once. */
export interface RotateMemberToken {
  type: 'RotateMemberToken';
  memberId: string;
  token: TokenGrant;
}

export interface RevokeMemberToken {
  type: 'RevokeMemberToken';
  memberId: string;
  tokenId: string;
  at: string;
}

export type MemberTokenCommand = RotateMemberToken | RevokeMemberToken;

export interface TokenState {
  expiresAt: string;
  revoked: boolean;
}

export type Tokens = Readonly<Record<string, TokenState>>;

export function issued(memberId: string, role: MemberRole, token: TokenGrant): MemberTokenIssued {
  if (!(Date.parse(token.expiresAt) > Date.parse(token.issuedAt))) {
    throw new DomainError('invalid_token_lifetime', 'a token must expire after it is issued', 'invalid');
  }
  return { type: 'MemberTokenIssued', data: { memberId, role, tokenId: token.tokenId, issuedAt: token.issuedAt, expiresAt: token.expiresAt } };
}

export function decideTokens(command: MemberTokenCommand, tokens: Tokens, role: MemberRole): MemberTokenEvent[] {
  switch (command.type) {
    case 'RotateMemberToken': {
      if (tokens[command.token.tokenId]) {
        throw new DomainError('token_id_taken', `token ${command.token.tokenId} already exists`, 'conflict');
      }
      const now = Date.parse(command.token.issuedAt);
      const stillActive = Object.entries(tokens).filter(([, t]) => !t.revoked && Date.parse(t.expiresAt) > now);
      return [
        issued(command.memberId, role, command.token),
        ...stillActive.map(([tokenId]): MemberTokenRevoked => ({
          type: 'MemberTokenRevoked',
          data: { memberId: command.memberId, tokenId, revokedAt: command.token.issuedAt, reason: 'rotated' },
        })),
      ];
    }
    case 'RevokeMemberToken': {
      const token = tokens[command.tokenId];
      if (!token) throw new NotFound('token', command.tokenId);
      if (token.revoked) return [];
      return [{ type: 'MemberTokenRevoked', data: { memberId: command.memberId, tokenId: command.tokenId, revokedAt: command.at, reason: 'revoked' } }];
    }
  }
}

export function evolveTokens(tokens: Tokens, event: MemberTokenEvent): Tokens {
  switch (event.type) {
    case 'MemberTokenIssued':
      return { ...tokens, [event.data.tokenId]: { expiresAt: event.data.expiresAt, revoked: false } };
    case 'MemberTokenRevoked': {
      const token = tokens[event.data.tokenId];
      return token ? { ...tokens, [event.data.tokenId]: { ...token, revoked: true } } : tokens;
    }
  }
}

export const isMemberTokenCommand = (command: { type: string }): command is MemberTokenCommand =>
  command.type === 'RotateMemberToken' || command.type === 'RevokeMemberToken';
