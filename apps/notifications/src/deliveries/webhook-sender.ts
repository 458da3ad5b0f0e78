import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isNonPublicAddress } from '../webhook-endpoints/domain/endpoint-url.js';

export interface SendResult {
  statusCode?: number;
  error?: string;
  durationMs: number;
}

/**
 * Resolves host names like the system does, then refuses any address that is not public (unless
 * allowed): checked on the address actually connected to, so a name that resolves to 10.x or
 * 169.254.169.254 (or is rebound to one after registration) is never reached.
 */
function guardedLookup(allowPrivate: boolean, allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.find((a) => isNonPublicAddress(a.address) && !allowPrivate && !(allowLoopback && /^(127\.|::1$)/.test(a.address)));
      if (refused) return callback(Object.assign(new Error(`${hostname} resolves to ${refused.address}, a non-public address`), { code: 'EADDRNOTPUBLIC' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** One POST of a signed webhook; never follows redirects; 2xx is success. */
export function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allowPrivateTargets: boolean; allowHttpLoopback: boolean },
): Promise<SendResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let done = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (done) return;
      done = true;
      resolve({ ...result, durationMs: Date.now() - started });
    };
    const req = request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Meshfab-Webhooks/1', 'content-length': Buffer.byteLength(body), ...headers },
        lookup: guardedLookup(options.allowPrivateTargets, options.allowHttpLoopback),
        timeout: options.timeoutMs,
      },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => finish({ statusCode: res.statusCode }));
        res.on('error', (e) => finish({ statusCode: res.statusCode, error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (e) => finish({ error: e.message.slice(0, 500) }));
    req.end(body);
  });
}
