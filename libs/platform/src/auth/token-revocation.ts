import type { Principal } from './principal.js';

/**
 * Injection token of an optional {@link TokenRevocationCheck}. Provide it in any module of the app
 * (`{ provide: TOKEN_REVOCATION, useClass: RevokedTokens }`); the AuthGuard finds it at start-up.
 * Without one, every valid token is accepted until it expires.
 */
export const TOKEN_REVOCATION = Symbol('TOKEN_REVOCATION');

export interface TokenRevocationCheck {
  /** True when the token (`principal.tokenId`) or the member behind it was revoked. */
  isRevoked(principal: Principal): Promise<boolean>;
  /**
   * True while the member is suspended: its tokens may then only read, and call the handlers marked
   * `@AllowWhileSuspended()` (an appeal). Asked for writes only.
   */
  isSuspended?(principal: Principal): Promise<boolean>;
}
