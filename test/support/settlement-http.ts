// HTTP helpers the settlement integration specs share: a call as a named principal, a signed webhook.
import { signWebhook } from '../../apps/settlement/src/funding/standard-webhooks.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * `call(method, path, { as, key, body | csv })` against the app at `base()` (known once it listens),
 * with the bearer token `tokenOf[as]` and the Idempotency-Key `key` when given.
 */
export function httpCaller(base: () => string, tokenOf: Record<string, string>) {
  return async (method: string, path: string, options: { as?: string; body?: unknown; key?: string; csv?: string } = {}): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { 'content-type': options.csv !== undefined ? 'text/csv' : 'application/json' };
    if (options.as) headers.authorization = `Bearer ${tokenOf[options.as]}`;
    if (options.key) headers['idempotency-key'] = options.key;
    const body = options.csv ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const res = await fetch(`${base()}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

/** Delivers `body` to the sandbox provider's webhook, signed with `secret` (Standard Webhooks) unless `signature` is given. */
export async function sendWebhook(
  base: string,
  secret: string,
  body: string,
  o: { webhookId: string; timestamp?: number; signature?: string },
): Promise<{ status: number; body: any }> {
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${base}/settlement/webhooks/sandbox`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': o.webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': o.signature ?? signWebhook(secret, o.webhookId, timestamp, body),
    },
    body,
  });
  return { status: res.status, body: await res.json() };
}
