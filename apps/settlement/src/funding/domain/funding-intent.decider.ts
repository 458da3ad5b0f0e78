import { DomainError, type Decider } from '#libs/domain';
import type { Money } from '../../ledger/domain/money.js';

/**
 * A brand's funding intent: "I am about to send this much, quoting this reference". It credits nothing;
 * money is credited only when a confirmed payment (a signed provider webhook or a reconciled bank-statement
 * line) quoting its reference is applied to it.
 *
 * Rules for the money that arrives (all of it is credited to the brand: it is the brand's money and it is
 * identified by the reference):
 * - less than what is still due: the intent is partially funded, it waits for the rest;
 * - reaching the amount: the intent is funded (FundingIntentFunded, once);
 * - beyond the amount (or any payment to an already funded intent): the excess is credited as well and
 *   flagged (`excessMinor`, `overpaidMinor`) for the operator;
 * - after the expiry: credited as well, flagged `late` (the brand's bank sent it; refusing it would leave
 *   identified money in limbo). An expired intent that received nothing stays expired.
 * - in another currency than the intent's: refused (the caller records the payment as unmatched).
 */
export type FundingIntentEvent =
  | {
      type: 'FundingIntentCreated';
      data: { intentId: string; brandId: string; reference: string; amount: Money; createdAt: string; expiresAt: string };
    }
  | {
      type: 'FundingIntentPaymentApplied';
      data: {
        intentId: string;
        brandId: string;
        source: string;
        transactionId: string;
        amount: Money;
        appliedMinor: number;
        excessMinor: number;
        receivedMinor: number;
        late: boolean;
        receivedAt: string;
      };
    }
  | { type: 'FundingIntentFunded'; data: { intentId: string; brandId: string; receivedMinor: number; overpaidMinor: number; fundedAt: string } };

export type FundingIntentCommand =
  | { type: 'CreateFundingIntent'; intentId: string; brandId: string; reference: string; amount: Money; now: Date; ttlMs: number }
  | { type: 'ApplyPayment'; source: string; transactionId: string; amount: Money; now: Date };

export type FundingIntentState =
  | { exists: false }
  | {
      exists: true;
      intentId: string;
      brandId: string;
      reference: string;
      amount: Money;
      expiresAt: string;
      receivedMinor: number;
      payments: number;
      funded: boolean;
    };

export type FundingIntentStatus = 'pending' | 'partially_funded' | 'funded' | 'expired';

export class FundingIntentExists extends DomainError {
  constructor(intentId: string) {
    super('funding_intent_exists', `funding intent ${intentId} already exists`, 'conflict', { intentId });
  }
}

export class FundingIntentMissing extends DomainError {
  constructor() {
    super('funding_intent_not_found', 'no funding intent to apply the payment to', 'not_found');
  }
}

export class PaymentCurrencyMismatch extends DomainError {
  constructor(intentCurrency: string, paid: string) {
    super('payment_currency_mismatch', `the intent is in ${intentCurrency}; a payment in ${paid} cannot fund it`, 'rejected', { intentCurrency, paid });
  }
}

export class InvalidPaymentAmount extends DomainError {
  constructor(field: string) {
    super('invalid_payment_amount', `${field} must be a positive whole number of minor units`, 'invalid', { field });
  }
}

const positiveMinor = (value: number, field: string): void => {
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidPaymentAmount(field);
};

/** Where the intent stands at `now` (expiry is a matter of time, not of an event). */
export function fundingIntentStatus(state: FundingIntentState, now: Date): FundingIntentStatus {
  if (!state.exists) throw new FundingIntentMissing();
  if (state.funded) return 'funded';
  if (now.getTime() >= Date.parse(state.expiresAt)) return 'expired';
  return state.receivedMinor > 0 ? 'partially_funded' : 'pending';
}

export const fundingIntentDecider: Decider<FundingIntentState, FundingIntentCommand, FundingIntentEvent> = {
  initialState: () => ({ exists: false }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateFundingIntent': {
        if (state.exists) throw new FundingIntentExists(command.intentId);
        positiveMinor(command.amount.amountMinor, 'amount.amountMinor');
        if (!Number.isSafeInteger(command.ttlMs) || command.ttlMs <= 0) throw new DomainError('invalid_ttl', 'the expiry must lie in the future', 'invalid');
        return [
          {
            type: 'FundingIntentCreated',
            data: {
              intentId: command.intentId,
              brandId: command.brandId,
              reference: command.reference,
              amount: { ...command.amount },
              createdAt: command.now.toISOString(),
              expiresAt: new Date(command.now.getTime() + command.ttlMs).toISOString(),
            },
          },
        ];
      }
      case 'ApplyPayment': {
        if (!state.exists) throw new FundingIntentMissing();
        positiveMinor(command.amount.amountMinor, 'amount.amountMinor');
        if (command.amount.currency !== state.amount.currency) throw new PaymentCurrencyMismatch(state.amount.currency, command.amount.currency);
        const due = Math.max(0, state.amount.amountMinor - state.receivedMinor);
        const appliedMinor = Math.min(due, command.amount.amountMinor);
        const excessMinor = command.amount.amountMinor - appliedMinor;
        const receivedMinor = state.receivedMinor + command.amount.amountMinor;
        if (!Number.isSafeInteger(receivedMinor)) throw new InvalidPaymentAmount('receivedMinor');
        const late = !state.funded && command.now.getTime() >= Date.parse(state.expiresAt);
        const at = command.now.toISOString();
        const events: FundingIntentEvent[] = [
          {
            type: 'FundingIntentPaymentApplied',
            data: {
              intentId: state.intentId,
              brandId: state.brandId,
              source: command.source,
              transactionId: command.transactionId,
              amount: { ...command.amount },
              appliedMinor,
              excessMinor,
              receivedMinor,
              late,
              receivedAt: at,
            },
          },
        ];
        if (!state.funded && receivedMinor >= state.amount.amountMinor) {
          events.push({
            type: 'FundingIntentFunded',
            data: { intentId: state.intentId, brandId: state.brandId, receivedMinor, overpaidMinor: receivedMinor - state.amount.amountMinor, fundedAt: at },
          });
        }
        return events;
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'FundingIntentCreated':
        return {
          exists: true,
          intentId: event.data.intentId,
          brandId: event.data.brandId,
          reference: event.data.reference,
          amount: event.data.amount,
          expiresAt: event.data.expiresAt,
          receivedMinor: 0,
          payments: 0,
          funded: false,
        };
      case 'FundingIntentPaymentApplied':
        return state.exists ? { ...state, receivedMinor: event.data.receivedMinor, payments: state.payments + 1 } : state;
      case 'FundingIntentFunded':
        return state.exists ? { ...state, funded: true } : state;
    }
  },
};
