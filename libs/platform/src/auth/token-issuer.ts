import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Role } from './principal.js';
import type { SigningKey } from './signing-key.js';

export const TOKEN_ISSUER = 'meshfab';

/** The services a member's bearer token is good for: each checks that its own name is in `aud`. */
export const SERVICE_AUDIENCES = ['registry', 'orders', 'matching', 'inspection', 'settlement'] as const;

/** The audience of refresh tokens: only the registry's refresh route takes them, no service accepts them as bearer tokens. */
export const REFRESH_AUDIENCE = 'registry:refresh';

/** Seconds, or a count with a unit: `'90s'`, `'15m'`, `'12h'`, `'7d'`. */
export type Lifetime = number | `${number}${'s' | 'm' | 'h' | 'd'}`;

export interface IssueTokenInput {
  sub: string;
  role: Role;
  /** The `jti`; a random UUID when left out. Revocation lists name it. */
  tokenId?: string;
  /** Default: one hour. */
  expiresIn?: Lifetime;
  /** The `aud` claim; default every service ({@link SERVICE_AUDIENCES}). */
  audience?: string | readonly string[];
}

export interface TokenIssuerOptions {
  issuer?: string;
  /** The clock; tests move it to check expiry. */
  now?: () => Date;
}

/**
 * Signs bearer tokens with the registry's private key (EdDSA or ES256, `kid` in the header). Only the
 * registry holds one: the other services verify with the published public keys ({@link TokenVerifier}).
 */
export class TokenIssuer {
  private readonly issuer: string;
  private readonly now: () => Date;

  constructor(
    private readonly key: SigningKey,
    options: TokenIssuerOptions = {},
  ) {
    this.issuer = options.issuer ?? TOKEN_ISSUER;
    this.now = options.now ?? (() => new Date());
  }

  get kid(): string {
    return this.key.kid;
  }

  async issue({ sub, role, tokenId = randomUUID(), expiresIn = 3600, audience = SERVICE_AUDIENCES }: IssueTokenInput): Promise<string> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: this.key.algorithm, typ: 'JWT', kid: this.key.kid })
      .setIssuer(this.issuer)
      .setAudience(typeof audience === 'string' ? audience : [...audience])
      .setSubject(sub)
      .setJti(tokenId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + lifetimeSeconds(expiresIn))
      .sign(this.key.privateKey);
  }
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export function lifetimeSeconds(lifetime: Lifetime): number {
  if (typeof lifetime === 'number') return lifetime;
  const match = /^(\d+)([smhd])$/.exec(lifetime);
  if (!match) throw new Error(`not a token lifetime: ${lifetime}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}
