import { randomUUID } from 'node:crypto';
import { signWebhook } from '../funding/standard-webhooks.js';

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
  webhookId: string;
  /** scheduled → delivered (the network answered 2xx) | failed (gave up after maxAttempts). */
  status: 'scheduled' | 'delivered' | 'failed';
  attempts: number;
  deliveries: number;
  lastResponse: number | null;
}

/**
 * A pretend payment provider for the embedded network, the demo and the tests. It "takes" a payment for
 * a funding intent's reference and tells the network through the same door a real provider uses: a
 * Standard Webhooks–signed POST to /settlement/webhooks/sandbox, after a delay, retried with backoff until
 * answered 2xx, sometimes delivered twice. It holds no money and checks nothing: never run it in production.
 */
export class SandboxPaymentProvider {
  private readonly payments = new Map<string, SandboxPayment>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: SandboxOptions) {}

  pay(input: { reference: string; amount: { amountMinor: number; currency: string }; transactionId?: string }): SandboxPayment {
    const transactionId = input.transactionId ?? `sbx_${randomUUID()}`;
    const existing = this.payments.get(transactionId);
    if (existing) {
      // Paying the same transaction again is the same payment; one the network never acknowledged is delivered again.
      if (existing.status === 'failed') {
        existing.status = 'scheduled';
        this.later(this.options.delayMs, () => this.deliver(existing, 1));
      }
      return existing;
    }
    const payment: SandboxPayment = { transactionId, reference: input.reference, amount: { ...input.amount }, webhookId: `msg_${randomUUID()}`, status: 'scheduled', attempts: 0, deliveries: 0, lastResponse: null };
    this.payments.set(transactionId, payment);
    this.later(this.options.delayMs, () => this.deliver(payment, 1));
    if ((this.options.random ?? Math.random)() < this.options.duplicateRate) {
      this.later(this.options.delayMs * 2 + 5, () => this.deliver(payment, 1, true));
    }
    return payment;
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

  private async deliver(payment: SandboxPayment, attempt: number, duplicate = false): Promise<void> {
    if (this.stopped) return;
    const body = JSON.stringify({ type: 'payment.succeeded', data: { transactionId: payment.transactionId, reference: payment.reference, amount: payment.amount } });
    const timestamp = Math.floor(Date.now() / 1000);
    payment.attempts += 1;
    let status = 0;
    try {
      const res = await fetch(this.options.webhookUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': payment.webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(this.options.secret, payment.webhookId, timestamp, body) },
        body,
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
    this.later(Math.min(5_000, 50 * 2 ** attempt), () => this.deliver(payment, attempt + 1));
  }
}
