import { DomainError, type Decider } from '#libs/domain';
import { Accounts } from '../../ledger/domain/accounts.js';
import { toJsonMinor, type Money } from '../../ledger/domain/money.js';
import { InsufficientFunds, move, type TransferRequest } from '../../ledger/domain/transfer.js';

/**
 * A workshop's payout, stream `settlement-payout-<payoutId>`. Money goes out through the same boundary it
 * comes in by: a payment provider (or the bank, reconciled by an operator), never by a free click.
 *
 *     requested ──instructed──▶ instructed ──provider: paid──▶ paid
 *        │  ▲                      │         └─provider: failed─▶ failed (money back to the workshop)
 *     held │ hold lifted           └─ operator reconciles a bank transaction id ─▶ paid
 *        ▼  │
 *       held  (the workshop is suspended: nothing leaves until it is reinstated)
 *
 * Ledger: requesting moves the amount from the workshop's payable balance to its payout-pending account
 * (`payout:<id>`); paid moves it on to the bank clearing account (`payout-paid:<id>`); failed moves it
 * back to payable (`payout-failed:<id>`). A payout is confirmed paid by one transaction id, once.
 */
export type PayoutStatus = 'requested' | 'held' | 'instructed' | 'paid' | 'failed';

export interface PayoutConfirmation {
  /** `provider:<name>` or `bank`. */
  source: string;
  transactionId: string;
}

export type PayoutEvent =
  | { type: 'PayoutRequested'; data: { payoutId: string; workshopId: string; amount: Money; requestedAt: string } }
  | { type: 'PayoutHeld'; data: { payoutId: string; workshopId: string; reason: string; heldAt: string } }
  | { type: 'PayoutHoldLifted'; data: { payoutId: string; workshopId: string; reason: string; liftedAt: string } }
  | { type: 'PayoutInstructed'; data: { payoutId: string; workshopId: string; provider: string; instructionId: string; instructedAt: string } }
  | {
      type: 'PayoutPaid';
      data: PayoutConfirmation & { payoutId: string; workshopId: string; amount: Money; confirmedBy: string; paidAt: string; bankReference: string | null };
    }
  | { type: 'PayoutFailed'; data: PayoutConfirmation & { payoutId: string; workshopId: string; amount: Money; reason: string; failedAt: string } };

export const PAYOUT_EVENT_TYPES: readonly PayoutEvent['type'][] = ['PayoutRequested', 'PayoutHeld', 'PayoutHoldLifted', 'PayoutInstructed', 'PayoutPaid', 'PayoutFailed'];

/** Part of a workshop's payable balance that a lot funded by instant money released, payable out from `availableOn`. */
export interface HeldFunds {
  amountMinor: bigint;
  availableOn: string;
}

export type PayoutCommand =
  /**
   * `available`: the workshop's payable balance, read under its account's row lock; `held`: the parts of it
   * still on hold (MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS), by the date each becomes available.
   */
  | { type: 'RequestPayout'; payoutId: string; workshopId: string; amount: Money; available: bigint; held?: readonly HeldFunds[]; suspended: boolean; now: Date }
  | { type: 'HoldPayout'; reason: string; now: Date }
  | { type: 'LiftHold'; reason: string; now: Date }
  | { type: 'RecordInstruction'; provider: string; instructionId: string; now: Date }
  | { type: 'ConfirmPaid'; confirmation: PayoutConfirmation; amount: Money; confirmedBy: string; bankReference: string | null; now: Date }
  | { type: 'ConfirmFailed'; confirmation: PayoutConfirmation; reason: string; now: Date };

export interface PayoutState {
  exists: boolean;
  payoutId: string | null;
  workshopId: string | null;
  amount: Money | null;
  status: PayoutStatus;
  provider: string | null;
  confirmation: PayoutConfirmation | null;
}

export class NothingToPayOut extends DomainError {
  constructor(currency: string, available: bigint) {
    super('nothing_to_pay_out', `there is no ${currency} balance to pay out`, 'rejected', { availableMinor: toJsonMinor(available), currency });
  }
}

export class PayoutNotPayable extends DomainError {
  constructor(payoutId: string, status: PayoutStatus, action: string) {
    super('payout_state_conflict', `payout ${payoutId} is ${status}: it cannot be ${action}`, 'conflict', { payoutId, status });
  }
}

export class PayoutAmountMismatch extends DomainError {
  constructor(payoutId: string, expected: Money, got: Money) {
    super('payout_amount_mismatch', `payout ${payoutId} is ${expected.amountMinor} ${expected.currency}; the confirmation says ${got.amountMinor} ${got.currency}`, 'rejected', {
      payoutId,
    });
  }
}

/**
 * A payout that would pay out money still on hold: funds of a card or wallet payment (reversible by the payer)
 * paid for the lots this money was released for. Names what is held, what can be paid out now, and when the
 * amount asked for can be (`availableOn`).
 */
export class FundsOnHold extends DomainError {
  constructor(currency: string, wanted: bigint, payableNow: bigint, held: bigint, availableOn: string, holdEnds: string) {
    super(
      'funds_on_hold',
      `${held} ${currency} of the balance came from instant payments (card, wallet) still on hold; ${payableNow} ${currency} can be paid out now, ` +
        `${wanted} ${currency} from ${availableOn} (the hold ends by ${holdEnds})`,
      'rejected',
      { currency, heldMinor: toJsonMinor(held), payableNowMinor: toJsonMinor(payableNow), requestedMinor: toJsonMinor(wanted), availableOn, holdEnds },
    );
  }
}

/** What can be paid out now: the balance less what is still on hold at `now` (never below zero). */
export function payableNow(available: bigint, held: readonly HeldFunds[], now: Date): bigint {
  const onHold = held.filter((h) => new Date(h.availableOn).getTime() > now.getTime()).reduce((sum, h) => sum + h.amountMinor, 0n);
  return onHold >= available ? 0n : available - onHold;
}

function assertNotOnHold(currency: string, wanted: bigint, available: bigint, held: readonly HeldFunds[], now: Date): void {
  const free = payableNow(available, held, now);
  if (wanted <= free) return;
  // The earliest date from which the amount asked for is payable: holds end oldest first.
  const pending = held.filter((h) => new Date(h.availableOn).getTime() > now.getTime()).sort((a, b) => new Date(a.availableOn).getTime() - new Date(b.availableOn).getTime());
  let payable = free;
  let availableOn = pending[pending.length - 1].availableOn;
  for (const h of pending) {
    payable += h.amountMinor;
    if (payable >= wanted) {
      availableOn = h.availableOn;
      break;
    }
  }
  throw new FundsOnHold(currency, wanted, free, available - free, availableOn, pending[pending.length - 1].availableOn);
}

const initialState = (): PayoutState => ({ exists: false, payoutId: null, workshopId: null, amount: null, status: 'requested', provider: null, confirmation: null });

function evolve(state: PayoutState, event: PayoutEvent): PayoutState {
  switch (event.type) {
    case 'PayoutRequested':
      return { ...state, exists: true, payoutId: event.data.payoutId, workshopId: event.data.workshopId, amount: event.data.amount, status: 'requested' };
    case 'PayoutHeld':
      return { ...state, status: 'held' };
    case 'PayoutHoldLifted':
      return { ...state, status: 'requested' };
    case 'PayoutInstructed':
      return { ...state, status: 'instructed', provider: event.data.provider };
    case 'PayoutPaid':
      return { ...state, status: 'paid', confirmation: { source: event.data.source, transactionId: event.data.transactionId } };
    case 'PayoutFailed':
      return { ...state, status: 'failed', confirmation: { source: event.data.source, transactionId: event.data.transactionId } };
  }
}

const sameConfirmation = (a: PayoutConfirmation | null, b: PayoutConfirmation): boolean => a !== null && a.source === b.source && a.transactionId === b.transactionId;

function decide(command: PayoutCommand, state: PayoutState): PayoutEvent[] {
  if (command.type === 'RequestPayout') {
    if (state.exists) return [];
    const { payoutId, workshopId, amount, available, now } = command;
    const held = command.held ?? [];
    const wanted = BigInt(amount.amountMinor);
    if (wanted <= 0n && payableNow(available, held, now) === available) throw new NothingToPayOut(amount.currency, available);
    if (wanted > available) throw new InsufficientFunds(Accounts.workshopPayable(workshopId, amount.currency).id, available, wanted, amount.currency);
    // "Everything" (`wanted` 0 with a balance on hold) or more than is free: the hold is the answer.
    assertNotOnHold(amount.currency, wanted <= 0n ? available : wanted, available, held, now);
    const requested: PayoutEvent = { type: 'PayoutRequested', data: { payoutId, workshopId, amount, requestedAt: now.toISOString() } };
    if (!command.suspended) return [requested];
    return [requested, { type: 'PayoutHeld', data: { payoutId, workshopId, reason: 'the workshop is suspended', heldAt: now.toISOString() } }];
  }
  if (!state.exists) throw new DomainError('payout_not_found', 'payout not found', 'not_found');
  const payoutId = state.payoutId!;
  const workshopId = state.workshopId!;
  const amount = state.amount!;
  switch (command.type) {
    case 'HoldPayout':
      // Once instructed the provider has it; a hold stops only what has not left yet.
      return state.status === 'requested' ? [{ type: 'PayoutHeld', data: { payoutId, workshopId, reason: command.reason, heldAt: command.now.toISOString() } }] : [];
    case 'LiftHold':
      return state.status === 'held' ? [{ type: 'PayoutHoldLifted', data: { payoutId, workshopId, reason: command.reason, liftedAt: command.now.toISOString() } }] : [];
    case 'RecordInstruction':
      return state.status === 'requested'
        ? [{ type: 'PayoutInstructed', data: { payoutId, workshopId, provider: command.provider, instructionId: command.instructionId, instructedAt: command.now.toISOString() } }]
        : [];
    case 'ConfirmPaid': {
      if (state.status === 'paid' && sameConfirmation(state.confirmation, command.confirmation)) return []; // the same confirmation again
      if (state.status !== 'requested' && state.status !== 'instructed') throw new PayoutNotPayable(payoutId, state.status, 'confirmed paid');
      if (command.amount.amountMinor !== amount.amountMinor || command.amount.currency !== amount.currency) throw new PayoutAmountMismatch(payoutId, amount, command.amount);
      return [
        {
          type: 'PayoutPaid',
          data: { payoutId, workshopId, amount, ...command.confirmation, confirmedBy: command.confirmedBy, paidAt: command.now.toISOString(), bankReference: command.bankReference },
        },
      ];
    }
    case 'ConfirmFailed':
      if (state.status === 'failed' && sameConfirmation(state.confirmation, command.confirmation)) return [];
      if (state.status !== 'requested' && state.status !== 'instructed') throw new PayoutNotPayable(payoutId, state.status, 'marked failed');
      return [{ type: 'PayoutFailed', data: { payoutId, workshopId, amount, ...command.confirmation, reason: command.reason, failedAt: command.now.toISOString() } }];
  }
}

export const payoutDecider: Decider<PayoutState, PayoutCommand, PayoutEvent> = { decide, evolve, initialState };

export const payoutStream = (payoutId: string): string => `settlement-payout-${payoutId}`;

/** The ledger transfer a payout event stands for (null: none). */
export function payoutPosting(event: PayoutEvent): TransferRequest | null {
  const { payoutId } = event.data;
  switch (event.type) {
    case 'PayoutRequested': {
      const { workshopId, amount } = event.data;
      return { transferId: `payout:${payoutId}`, kind: 'payout_request', currency: amount.currency, legs: move(Accounts.workshopPayable(workshopId, amount.currency), Accounts.workshopPayoutPending(workshopId, amount.currency), amount.amountMinor), memo: `payout ${payoutId} requested` };
    }
    case 'PayoutPaid': {
      const { workshopId, amount, source, transactionId } = event.data;
      return { transferId: `payout-paid:${payoutId}`, kind: 'payout_paid', currency: amount.currency, legs: move(Accounts.workshopPayoutPending(workshopId, amount.currency), Accounts.bankClearing(amount.currency), amount.amountMinor), memo: `paid: ${source} ${transactionId}` };
    }
    case 'PayoutFailed': {
      const { workshopId, amount, reason } = event.data;
      return { transferId: `payout-failed:${payoutId}`, kind: 'payout_returned', currency: amount.currency, legs: move(Accounts.workshopPayoutPending(workshopId, amount.currency), Accounts.workshopPayable(workshopId, amount.currency), amount.amountMinor), memo: `payout failed: ${reason}` };
    }
    case 'PayoutHeld':
    case 'PayoutHoldLifted':
    case 'PayoutInstructed':
      return null;
  }
}
