import type { Money } from '../ledger/domain/money.js';

/** What the platform asks a provider to pay: the workshop, the amount, and the payout's id as the idempotency key. */
export interface PayoutInstruction {
  payoutId: string;
  workshopId: string;
  amount: Money;
}

/**
 * The outgoing half of a payment provider adapter (the incoming half is `PaymentProvider`): it hands a
 * payout instruction to the provider and returns the provider's id for it. The provider later confirms
 * the payout paid or failed through its signed webhook (payment-provider.ts). An adapter must be
 * idempotent on `payoutId`: the dispatcher sends an instruction again when it does not know whether the
 * first reached the provider.
 */
export interface PayoutRail {
  /** The provider's name, as in its webhook URL (/settlement/webhooks/<name>). */
  readonly name: string;
  instruct(instruction: PayoutInstruction): Promise<{ instructionId: string }>;
}

export const PAYOUT_RAIL = Symbol('PAYOUT_RAIL');
