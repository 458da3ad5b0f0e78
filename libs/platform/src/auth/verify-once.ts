import type { Principal } from './principal.js';
import type { TokenVerifier } from './token-verifier.js';

const verified = new WeakMap<object, { token: string; principal: Promise<Principal> }>();

/**
 * Verifies a request's bearer token once, however many layers ask (the rate limiter keys on the
 * member, the guard authorises): the second asker gets the first one's outcome, value or error.
 * Every asker of one request names the same audience (the service the request is for).
 */
export function verifyOnce(tokens: TokenVerifier, request: object, token: string, audience: readonly string[]): Promise<Principal> {
  const seen = verified.get(request);
  if (seen?.token === token) return seen.principal;
  const principal = tokens.verify(token, audience);
  principal.catch(() => undefined); // an asker that only wants to know whether it verifies must not leave a rejection unhandled
  verified.set(request, { token, principal });
  return principal;
}

/** Path prefixes that belong to a service of another name: the member's event stream (`/events/stream`) and the analytics (`/analytics/…`) are notifications'. */
const PATH_SERVICES: Readonly<Record<string, string>> = { events: 'notifications', analytics: 'notifications' };

/**
 * The services a request is for: the service its path starts with (`/orders/…` → `orders`, `/events/…` →
 * `notifications`) when this app hosts it, else any service this app hosts (`/admin/…`, `/metrics`). A token
 * must name one in `aud`.
 */
export function audienceOf(path: string, hosted: readonly string[]): readonly string[] {
  const first = /^\/([^/?#]+)/.exec(path)?.[1];
  const service = first === undefined ? undefined : (PATH_SERVICES[first] ?? first);
  return service !== undefined && hosted.includes(service) ? [service] : hosted;
}
