import type { IncomingHttpHeaders } from 'node:http';
import { DomainError } from '#libs/domain';
import { verifyWebhook } from './standard-webhooks.js';

/**
 * How the payer paid. Card and wallet payments are **instant** (the money is confirmed at once, and the payer
 * can still reverse it by a chargeback for weeks); a bank transfer is settled money. A provider that does not
 * say is taken as instant: the hold is the safe side.
 */
export const PAYMENT_METHODS = ['card', 'wallet', 'bank_transfer'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const isInstantMethod = (method: PaymentMethod): boolean => method !== 'bank_transfer';

/** A payment the provider confirms: money that reached the platform's account, quoting a reference. */
export interface ConfirmedPayment {
  /** The provider's own id of the transaction: the same money is credited once per (currency, provider, id). */
  transactionId: string;
  reference: string;
  amount: { amountMinor: number; currency: string };
  /** The method, as the adapter read it; absent for money that did not come through a provider (a bank statement line). */
  method?: PaymentMethod;
  /** Whether the adapter answers this payment as instant (see PAYMENT_METHODS); a bank statement line is not. */
  instant: boolean;
}

export type WebhookOutcome =
  | { kind: 'payment'; webhookId: string; payment: ConfirmedPayment }
  /** A payout the platform instructed (payout-rail.ts) was paid, or could not be. */
  | { kind: 'payout_paid'; webhookId: string; payoutId: string; transactionId: string; amount: { amountMinor: number; currency: string } }
  | { kind: 'payout_failed'; webhookId: string; payoutId: string; transactionId: string; reason: string }
  | { kind: 'ignored'; webhookId: string; eventType: string };

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

/** `{ "type": "payout.paid" | "payout.failed", "data": { "payoutId", "transactionId", "amount", "reason"? } }`. */
function readPayout(webhookId: string, type: 'payout.paid' | 'payout.failed', d: Record<string, unknown> | undefined, ok: (v: unknown, max: number) => v is string): WebhookOutcome {
  if (!d || !ok(d.payoutId, 200) || !ok(d.transactionId, 200)) throw new WebhookPayloadInvalid('payoutId and transactionId are required');
  if (type === 'payout.failed') return { kind: 'payout_failed', webhookId, payoutId: d.payoutId, transactionId: d.transactionId, reason: ok(d.reason, 500) ? d.reason : 'failed' };
  const amount = d.amount as { amountMinor?: unknown; currency?: unknown } | undefined;
  if (!amount || typeof amount.amountMinor !== 'number' || !Number.isSafeInteger(amount.amountMinor) || amount.amountMinor <= 0 || !ok(amount.currency, 3)) {
    throw new WebhookPayloadInvalid('amount.amountMinor must be a positive whole number of minor units and amount.currency a currency code');
  }
  return { kind: 'payout_paid', webhookId, payoutId: d.payoutId, transactionId: d.transactionId, amount: { amountMinor: amount.amountMinor, currency: amount.currency } };
}

/**
 * An adapter for providers that sign with Standard Webhooks and send
 * `{ "type": "payment.succeeded", "data": { "transactionId", "reference", "amount": { "amountMinor", "currency" }, "method"? } }`
 * (`method`: `card`, `wallet` or `bank_transfer`; absent: instant, see PAYMENT_METHODS)
 * (the sandbox provider does), and `payout.paid` / `payout.failed` for the payouts the platform instructed.
 * Other event types are acknowledged and ignored.
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
    const ok = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
    if (event.type === 'payout.paid' || event.type === 'payout.failed') return readPayout(id!, event.type, (body as { data?: Record<string, unknown> }).data, ok);
    if (event.type !== 'payment.succeeded') return { kind: 'ignored', webhookId: id!, eventType: event.type };
    const d = event.data;
    if (!d || !ok(d.transactionId, 200) || !ok(d.reference, 200) || !ok(d.amount?.currency, 3)) throw new WebhookPayloadInvalid('transactionId, reference and amount.currency are required');
    const minor = d.amount?.amountMinor;
    if (typeof minor !== 'number' || !Number.isSafeInteger(minor) || minor <= 0) throw new WebhookPayloadInvalid('amount.amountMinor must be a positive whole number of minor units');
    const named = (d as { method?: unknown }).method;
    if (named !== undefined && !PAYMENT_METHODS.includes(named as PaymentMethod)) throw new WebhookPayloadInvalid(`method must be one of ${PAYMENT_METHODS.join(', ')}`);
    const method = named as PaymentMethod | undefined;
    return {
      kind: 'payment',
      webhookId: id!,
      payment: { transactionId: d.transactionId, reference: d.reference, amount: { amountMinor: minor, currency: d.amount.currency }, method, instant: method === undefined || isInstantMethod(method) },
    };
  }
}
