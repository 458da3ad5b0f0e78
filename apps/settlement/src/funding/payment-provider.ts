import type { IncomingHttpHeaders } from 'node:http';
import { DomainError } from '#libs/domain';
import { verifyWebhook } from './standard-webhooks.js';

/** A payment the provider confirms: money that reached the platform's account, quoting a reference. */
export interface ConfirmedPayment {
  /** The provider's own id of the transaction: the same money is credited once per (currency, provider, id). */
  transactionId: string;
  reference: string;
  amount: { amountMinor: number; currency: string };
}

export type WebhookOutcome = { kind: 'payment'; webhookId: string; payment: ConfirmedPayment } | { kind: 'ignored'; webhookId: string; eventType: string };

/**
 * The port every payment provider adapter (sandbox, Alipay, WeChat Pay, UnionPay, Stripe) implements:
 * it authenticates a webhook delivery from the raw bytes and turns it into a confirmed payment. The
 * ledger and the funding flow know only this interface.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Throws WebhookRefused (401) when the delivery is not authentic or outside the replay window. */
  readWebhook(delivery: { headers: IncomingHttpHeaders; rawBody: Buffer; now: Date }): WebhookOutcome;
}

export type PaymentProviders = ReadonlyMap<string, PaymentProvider>;

export class WebhookPayloadInvalid extends DomainError {
  constructor(reason: string) {
    super('webhook_payload_invalid', `the webhook payload is not a payment event: ${reason}`, 'invalid');
  }
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * An adapter for providers that sign with Standard Webhooks and send
 * `{ "type": "payment.succeeded", "data": { "transactionId", "reference", "amount": { "amountMinor", "currency" } } }`
 * (the sandbox provider does). Other event types are acknowledged and ignored.
 */
export class StandardWebhooksProvider implements PaymentProvider {
  constructor(
    readonly name: string,
    private readonly secret: string,
    private readonly toleranceSeconds: number,
  ) {}

  readWebhook({ headers, rawBody, now }: { headers: IncomingHttpHeaders; rawBody: Buffer; now: Date }): WebhookOutcome {
    const id = header(headers, 'webhook-id');
    verifyWebhook(this.secret, { id, timestamp: header(headers, 'webhook-timestamp'), signature: header(headers, 'webhook-signature') }, rawBody, now, this.toleranceSeconds);
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new WebhookPayloadInvalid('not JSON');
    }
    const event = body as { type?: unknown; data?: { transactionId?: unknown; reference?: unknown; amount?: { amountMinor?: unknown; currency?: unknown } } };
    if (typeof event.type !== 'string') throw new WebhookPayloadInvalid('no type');
    if (event.type !== 'payment.succeeded') return { kind: 'ignored', webhookId: id!, eventType: event.type };
    const d = event.data;
    const ok = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
    if (!d || !ok(d.transactionId, 200) || !ok(d.reference, 200) || !ok(d.amount?.currency, 3)) throw new WebhookPayloadInvalid('transactionId, reference and amount.currency are required');
    const minor = d.amount?.amountMinor;
    if (typeof minor !== 'number' || !Number.isSafeInteger(minor) || minor <= 0) throw new WebhookPayloadInvalid('amount.amountMinor must be a positive whole number of minor units');
    return { kind: 'payment', webhookId: id!, payment: { transactionId: d.transactionId, reference: d.reference, amount: { amountMinor: minor, currency: d.amount.currency } } };
  }
}
