import { randomUUID } from 'node:crypto';
import { signWebhook } from '../funding/standard-webhooks.js';
import type { PaymentMethod } from '../funding/payment-provider.js';

export interface SandboxOptions {
  /** The webhook secret the network knows the sandbox by (`sandbox=` in MESHFAB_SETTLEMENT_PROVIDER_SECRETS). */
  secret: string;
  /** Where to deliver: a URL, or a function that finds it when a delivery is due (this process's own port). */
  webhookUrl: () => string;
  delayMs: number;
  /** 0..1: share of payments delivered twice (same webhook id, same transaction id), as real providers do. */
  duplicateRate: number;
  maxAttempts?: number;
  random?: () => number;
}

export interface SandboxPayment {
  transactionId: string;
  reference: string;
  amount: { amountMinor: number; currency: string };
  /** How the payer paid: `card` (the default, as a card network's sandbox), `wallet` or `bank_transfer`. */
  method: PaymentMethod;
  webhookId: string;
  /** scheduled → delivered (the network answered 2xx) | failed (gave up after maxAttempts). */
  status: 'scheduled' | 'delivered' | 'failed';
  attempts: number;
  deliveries: number;
  lastResponse: number | null;
}

const paymentBody = (payment: SandboxPayment) => () =>
  JSON.stringify({ type: 'payment.succeeded', data: { transactionId: payment.transactionId, reference: payment.reference, amount: payment.amount, method: payment.method } });

/** A payout the sandbox was instructed to make; amounts ending in 13 minor units fail (see `instructPayout`). */
export interface SandboxPayout {
  payoutId: string;
  workshopId: string;
  amount: { amountMinor: number; currency: string };
  transactionId: string;
  webhookId: string;
  outcome: 'paid' | 'failed';
  status: 'scheduled' | 'delivered' | 'failed';
  attempts: number;
  deliveries: number;
  lastResponse: number | null;
}

/** Like a card network's test numbers: a payout whose amount ends in ...13 minor units bounces (a closed account). */
export const SANDBOX_FAILING_PAYOUT_SUFFIX = 13;

/**
 * A pretend payment provider for the embedded network, the demo and the tests. It "takes" a payment for
 * a funding intent's reference and tells the network through the same door a real provider uses: a
 * Standard Webhooks–signed POST to /settlement/webhooks/sandbox, after a delay, retried with backoff until
 * answered 2xx, sometimes delivered twice. It holds no money and checks nothing: never run it in production.
 */
export class SandboxPaymentProvider {
  private readonly payments = new Map<string, SandboxPayment>();
  private readonly payoutsById = new Map<string, SandboxPayout>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: SandboxOptions) {}

  pay(input: { reference: string; amount: { amountMinor: number; currency: string }; transactionId?: string; method?: PaymentMethod }): SandboxPayment {
    const transactionId = input.transactionId ?? `sbx_${randomUUID()}`;
    const existing = this.payments.get(transactionId);
    if (existing) {
      // Paying the same transaction again is the same payment; one the network never acknowledged is delivered again.
      if (existing.status === 'failed') {
        existing.status = 'scheduled';
        this.later(this.options.delayMs, () => this.deliver(existing, paymentBody(existing), 1));
      }
      return existing;
    }
    const payment: SandboxPayment = { transactionId, reference: input.reference, amount: { ...input.amount }, method: input.method ?? 'card', webhookId: `msg_${randomUUID()}`, status: 'scheduled', attempts: 0, deliveries: 0, lastResponse: null };
    this.payments.set(transactionId, payment);
    this.later(this.options.delayMs, () => this.deliver(payment, paymentBody(payment), 1));
    if ((this.options.random ?? Math.random)() < this.options.duplicateRate) {
      this.later(this.options.delayMs * 2 + 5, () => this.deliver(payment, paymentBody(payment), 1, true));
    }
    return payment;
  }

  /**
   * Takes a payout instruction (idempotent on the payout id) and, after the delay, tells the network it
   * was paid (`payout.paid`) — or, for an amount ending in 13 minor units, that it bounced (`payout.failed`).
   */
  instructPayout(input: { payoutId: string; workshopId: string; amount: { amountMinor: number; currency: string } }): SandboxPayout {
    const existing = this.payoutsById.get(input.payoutId);
    if (existing) return existing;
    const outcome = input.amount.amountMinor % 100 === SANDBOX_FAILING_PAYOUT_SUFFIX ? 'failed' : 'paid';
    const payout: SandboxPayout = {
      ...input,
      amount: { ...input.amount },
      transactionId: `sbx_po_${randomUUID()}`,
      webhookId: `msg_${randomUUID()}`,
      outcome,
      status: 'scheduled',
      attempts: 0,
      deliveries: 0,
      lastResponse: null,
    };
    this.payoutsById.set(input.payoutId, payout);
    const body = () =>
      JSON.stringify(
        outcome === 'paid'
          ? { type: 'payout.paid', data: { payoutId: payout.payoutId, transactionId: payout.transactionId, amount: payout.amount } }
          : { type: 'payout.failed', data: { payoutId: payout.payoutId, transactionId: payout.transactionId, amount: payout.amount, reason: 'account_closed: the receiving account is closed' } },
      );
    this.later(this.options.delayMs, () => this.deliver(payout, body, 1));
    if ((this.options.random ?? Math.random)() < this.options.duplicateRate) this.later(this.options.delayMs * 2 + 5, () => this.deliver(payout, body, 1, true));
    return payout;
  }

  payment(transactionId: string): SandboxPayment | undefined {
    return this.payments.get(transactionId);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, run: () => Promise<void>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    timer.unref?.();
    this.timers.add(timer);
  }

  private async deliver(payment: SandboxPayment | SandboxPayout, body: () => string, attempt: number, duplicate = false): Promise<void> {
    if (this.stopped) return;
    const text = body();
    const timestamp = Math.floor(Date.now() / 1000);
    payment.attempts += 1;
    let status = 0;
    try {
      const res = await fetch(this.options.webhookUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': payment.webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(this.options.secret, payment.webhookId, timestamp, text) },
        body: text,
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    payment.lastResponse = status;
    if (status >= 200 && status < 300) {
      payment.deliveries += 1;
      if (!duplicate) payment.status = 'delivered';
      return;
    }
    if (duplicate) return;
    if (attempt >= (this.options.maxAttempts ?? 8)) {
      payment.status = 'failed';
      return;
    }
    this.later(Math.min(5_000, 50 * 2 ** attempt), () => this.deliver(payment, body, attempt + 1));
  }
}
