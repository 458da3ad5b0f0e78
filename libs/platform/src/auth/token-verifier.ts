import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { DomainError } from '#libs/domain';
import { DependencyUnavailableError } from '../errors/dependency-unavailable.js';
import { isRole, type Principal } from './principal.js';
import { VERIFIED_ALGORITHMS } from './signing-key.js';
import { TOKEN_ISSUER } from './token-issuer.js';

/**
 * Where a service finds the public keys it verifies tokens with: a key set it was given (the embedded
 * network hands the registry's public keys over in-process; MESHFAB_JWT_PUBLIC_KEYS), or the registry's
 * JWKS URL, fetched on first use, cached, and fetched again when a token names a `kid` it does not hold
 * (the registry rotated its key) — at most once per `cooldownMs`.
 */
export type VerificationKeys = { jwks: JSONWebKeySet } | { url: string; cacheMaxAgeMs?: number; cooldownMs?: number; timeoutMs?: number };

export interface TokenVerifierOptions {
  issuer?: string;
  /** The clock; tests move it to check expiry. */
  now?: () => Date;
}

/** Verifies bearer tokens with public keys only: signature (by `kid`), issuer, expiry, audience, and a known role. */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly remote: boolean;
  private readonly issuer: string;
  private readonly now: () => Date;

  constructor(source: VerificationKeys, options: TokenVerifierOptions = {}) {
    if ('jwks' in source) {
      this.keys = createLocalJWKSet(source.jwks);
      this.remote = false;
    } else {
      this.keys = createRemoteJWKSet(new URL(source.url), {
        cacheMaxAge: source.cacheMaxAgeMs ?? 10 * 60_000,
        cooldownDuration: source.cooldownMs ?? 30_000,
        timeoutDuration: source.timeoutMs ?? 3_000,
      });
      this.remote = true;
    }
    this.issuer = options.issuer ?? TOKEN_ISSUER;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * The principal a token names when its `aud` holds one of `audience`; a DomainError of kind
   * 'unauthorized' when it cannot be trusted, a 503 when the registry's key set cannot be fetched.
   */
  async verify(token: string, audience: string | readonly string[]): Promise<Principal> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.issuer,
        audience: typeof audience === 'string' ? audience : [...audience],
        algorithms: VERIFIED_ALGORITHMS,
        requiredClaims: ['sub', 'jti', 'exp', 'aud'],
        currentDate: this.now(),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new DomainError('token_expired', 'the bearer token has expired', 'unauthorized');
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
        throw new DomainError('wrong_audience', 'the bearer token is not meant for this service', 'unauthorized');
      }
      if (this.remote && keySetUnavailable(error)) throw new DependencyUnavailableError('registry', 'did not hand out its signing keys');
      throw new DomainError('invalid_token', 'the bearer token is not valid', 'unauthorized');
    }
    const { sub, jti, role } = payload;
    if (!sub || !jti || !isRole(role)) {
      throw new DomainError('invalid_token', 'the bearer token does not name a member, a role and a token id', 'unauthorized');
    }
    return { sub, role, tokenId: jti };
  }
}

/** A fetch of the remote key set that failed (timeout, refused, not 200, not a JWKS): not the caller's fault. */
function keySetUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (error instanceof errors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return error instanceof Error && !(error instanceof errors.JOSEError); // fetch's own TypeError
}
