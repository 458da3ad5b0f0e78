import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { DomainError } from '#libs/domain';
import { isRole, type Principal, type Role } from './principal.js';

export const TOKEN_ISSUER = 'meshfab';
const ALGORITHM = 'HS256';
const MIN_SECRET_LENGTH = 32;

/** Seconds, or a count with a unit: `'90s'`, `'15m'`, `'12h'`, `'7d'`. */
export type Lifetime = number | `${number}${'s' | 'm' | 'h' | 'd'}`;

export interface IssueTokenInput {
  sub: string;
  role: Role;
  /** The `jti`; a random UUID when left out. Revocation lists name it. */
  tokenId?: string;
  /** Default: one hour. */
  expiresIn?: Lifetime;
}

export interface TokenServiceOptions {
  issuer?: string;
  /** The clock; tests move it to check expiry. */
  now?: () => Date;
}

/** Issues and verifies the HS256 bearer tokens every Meshfab service accepts. */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly issuer: string;
  private readonly now: () => Date;

  constructor(secret: string, options: TokenServiceOptions = {}) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`the JWT secret must be at least ${MIN_SECRET_LENGTH} characters long`);
    }
    this.key = new TextEncoder().encode(secret);
    this.issuer = options.issuer ?? TOKEN_ISSUER;
    this.now = options.now ?? (() => new Date());
  }

  async issue({ sub, role, tokenId = randomUUID(), expiresIn = 3600 }: IssueTokenInput): Promise<string> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(sub)
      .setJti(tokenId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + seconds(expiresIn))
      .sign(this.key);
  }

  /** The principal a token names; a DomainError of kind 'unauthorized' when it cannot be trusted. */
  async verify(token: string): Promise<Principal> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        issuer: this.issuer,
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'jti', 'exp'],
        currentDate: this.now(),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new DomainError('token_expired', 'the bearer token has expired', 'unauthorized');
      }
      throw new DomainError('invalid_token', 'the bearer token is not valid', 'unauthorized');
    }
    const { sub, jti, role } = payload;
    if (!sub || !jti || !isRole(role)) {
      throw new DomainError('invalid_token', 'the bearer token does not name a member, a role and a token id', 'unauthorized');
    }
    return { sub, role, tokenId: jti };
  }
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

function seconds(lifetime: Lifetime): number {
  if (typeof lifetime === 'number') return lifetime;
  const match = /^(\d+)([smhd])$/.exec(lifetime);
  if (!match) throw new Error(`not a token lifetime: ${lifetime}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}
