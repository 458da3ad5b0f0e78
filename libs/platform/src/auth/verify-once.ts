import type { Principal } from './principal.js';
import type { TokenService } from './token.service.js';

const verified = new WeakMap<object, { token: string; principal: Promise<Principal> }>();

/**
 * Verifies a request's bearer token once, however many layers ask (the rate limiter keys on the
 * member, the guard authorises): the second asker gets the first one's outcome, value or error.
 */
export function verifyOnce(tokens: TokenService, request: object, token: string): Promise<Principal> {
  const seen = verified.get(request);
  if (seen?.token === token) return seen.principal;
  const principal = tokens.verify(token);
  principal.catch(() => undefined); // an asker that only wants to know whether it verifies must not leave a rejection unhandled
  verified.set(request, { token, principal });
  return principal;
}
