// Shared by settlement (payment providers' webhooks in) and notifications (members' webhooks out).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '#libs/domain';

/**
 * The Standard Webhooks scheme (standardwebhooks.com): headers `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, several space-separated when a secret
 * rotates) over `${id}.${timestamp}.${rawBody}`. A secret `whsec_<base64>` is used as its decoded bytes,
 * any other secret as its UTF-8 bytes.
 */
export interface WebhookHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

export class WebhookRefused extends DomainError {
  constructor(code: 'webhook_signature_invalid' | 'webhook_timestamp_out_of_window' | 'webhook_headers_missing', message: string, readonly logReason: string) {
    super(code, message, 'unauthorized');
  }
}

export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

export function signWebhook(secret: string, id: string, timestamp: number | string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.`).update(rawBody).digest('base64');
  return `v1,${mac}`;
}

/** Throws WebhookRefused unless one `v1` signature matches (compared in constant time) inside the window. */
export function verifyWebhook(secret: string, headers: Partial<WebhookHeaders>, rawBody: Buffer, now: Date, toleranceSeconds: number): void {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    throw new WebhookRefused('webhook_headers_missing', 'send webhook-id, webhook-timestamp and webhook-signature', 'headers missing');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookRefused('webhook_timestamp_out_of_window', 'webhook-timestamp must be Unix seconds', 'timestamp malformed');
  const skew = Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp));
  if (skew > toleranceSeconds) {
    throw new WebhookRefused('webhook_timestamp_out_of_window', `the webhook timestamp is more than ${toleranceSeconds} s away from now: refused as a possible replay`, `timestamp ${skew} s off`);
  }
  const expected = Buffer.from(signWebhook(secret, id, timestamp, rawBody).slice(3), 'base64');
  const matches = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .some((s) => {
      const given = Buffer.from(s.slice(3), 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  if (!matches) throw new WebhookRefused('webhook_signature_invalid', 'the webhook signature does not match', 'signature mismatch');
}
