import { timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/** Who acts with the bootstrap credential (MESHFAB_OPERATOR_TOKEN): recorded as `bootstrap` wherever an operator is. */
export const BOOTSTRAP_OPERATOR_ID = 'bootstrap';
/** The token id under which the bootstrap credential is revoked (when a named operator turns it off). */
export const BOOTSTRAP_TOKEN_ID = 'bootstrap-credential';
export const BOOTSTRAP_PRINCIPAL: Principal = Object.freeze({ sub: BOOTSTRAP_OPERATOR_ID, role: 'operator', tokenId: BOOTSTRAP_TOKEN_ID });

/**
 * True when `token` is the configured bootstrap credential (the static operator token); compared in
 * constant time. It acts as an operator named `bootstrap` until a named operator turns it off
 * (POST /registry/operators/bootstrap/disable), after which every service refuses it as revoked.
 */
export function isOperatorToken(expected: string | undefined, token: string): boolean {
  if (!expected) return false;
  const a = Buffer.from(token);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
