import { isIP } from 'node:net';

/** Where members' webhooks may go: https only, unless loopback http is allowed (tests, local development). */
export interface EndpointUrlPolicy {
  /** http://127.0.0.1 / http://localhost / http://[::1] accepted (MESHFAB_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK). */
  allowHttpLoopback: boolean;
  /** Private, loopback, link-local and other non-public addresses accepted as targets (MESHFAB_NOTIFICATIONS_ALLOW_PRIVATE_TARGETS). */
  allowPrivateTargets: boolean;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function ipv4Parts(address: string): number[] | undefined {
  const parts = address.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts : undefined;
}

/**
 * True for addresses a webhook must not reach from the platform's network (SSRF): unspecified, loopback,
 * private (RFC 1918, unique-local), link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
 * benchmarking, multicast and reserved ranges, and IPv4-mapped IPv6 forms of these.
 */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return isNonPublicAddress(mapped[1]);
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (mappedHex) {
    const [hi, lo] = [parseInt(mappedHex[1], 16), parseInt(mappedHex[2], 16)];
    return isNonPublicAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if (isIP(bare) === 4) {
    const [a, b] = ipv4Parts(bare) ?? [0, 0];
    return (
      a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19))
    );
  }
  if (isIP(bare) === 6) {
    return bare === '::' || bare === '::1' || /^f[cd]/.test(bare) || /^fe[89ab]/.test(bare) || /^ff/.test(bare);
  }
  return false;
}

/** The problem with `raw` as a webhook URL under `policy`, or null when it is acceptable. */
export function endpointUrlProblem(raw: string, policy: EndpointUrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (raw.length > 2048) return 'must be at most 2048 characters';
  if (url.username || url.password) return 'must not carry credentials (user:password@)';
  if (url.hash) return 'must not have a #fragment';
  const host = url.hostname.toLowerCase();
  const loopback = LOOPBACK_NAMES.has(host) || (isIP(host.replace(/^\[|\]$/g, '')) === 4 && host.startsWith('127.'));
  if (url.protocol === 'http:') {
    if (!(policy.allowHttpLoopback && loopback)) return 'must use https (http only to 127.0.0.1 when the platform allows it)';
  } else if (url.protocol !== 'https:') {
    return 'must use https';
  }
  if (loopback) return policy.allowHttpLoopback || policy.allowPrivateTargets ? null : 'must not point at this machine (loopback)';
  if (host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    return policy.allowPrivateTargets ? null : 'must be a public host name';
  }
  if (isNonPublicAddress(host) && !policy.allowPrivateTargets) return 'must not point at a private, link-local or reserved address';
  return null;
}
