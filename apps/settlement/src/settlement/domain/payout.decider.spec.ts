import { DeciderSpecification } from '#libs/testing';
import { InsufficientFunds } from '../../ledger/domain/transfer.js';
import { NothingToPayOut, PayoutAmountMismatch, PayoutNotPayable, payoutDecider, payoutPosting, type PayoutEvent } from './payout.decider.js';

const spec = DeciderSpecification.for(payoutDecider);
const now = new Date('2026-05-10T00:00:00.000Z');
const at = now.toISOString();
const amount = { amountMinor: 5_000, currency: 'CNY' };
const request = (available: number, suspended = false) => ({ type: 'RequestPayout', payoutId: 'p-1', workshopId: 'w-1', amount, available: BigInt(available), suspended, now }) as const;
const requested: PayoutEvent = { type: 'PayoutRequested', data: { payoutId: 'p-1', workshopId: 'w-1', amount, requestedAt: at } };
const held: PayoutEvent = { type: 'PayoutHeld', data: { payoutId: 'p-1', workshopId: 'w-1', reason: 'the workshop is suspended', heldAt: at } };
const instructed: PayoutEvent = { type: 'PayoutInstructed', data: { payoutId: 'p-1', workshopId: 'w-1', provider: 'sandbox', instructionId: 'i-1', instructedAt: at } };
const byProvider = { source: 'provider:sandbox', transactionId: 'tx-1' };
const confirmPaid = (confirmation = byProvider, paidAmount = amount) => ({ type: 'ConfirmPaid', confirmation, amount: paidAmount, confirmedBy: confirmation.source, bankReference: null, now }) as const;
const paid: PayoutEvent = { type: 'PayoutPaid', data: { payoutId: 'p-1', workshopId: 'w-1', amount, ...byProvider, confirmedBy: 'provider:sandbox', paidAt: at, bankReference: null } };
const failed: PayoutEvent = { type: 'PayoutFailed', data: { payoutId: 'p-1', workshopId: 'w-1', amount, ...byProvider, reason: 'account closed', failedAt: at } };

describe('payout', () => {
  it('takes no more than the available balance, and something', () => {
    spec.given([]).when(request(5_000)).then([requested]);
    spec.given([]).when(request(4_999)).thenThrows(InsufficientFunds);
    spec.given([]).when({ ...request(0), amount: { amountMinor: 0, currency: 'CNY' } }).thenThrows(NothingToPayOut);
  });

  it('is held at once for a suspended workshop, never instructed while held, and released on reinstatement', () => {
    spec.given([]).when(request(5_000, true)).then([requested, held]);
    spec.given([requested, held]).when({ type: 'RecordInstruction', provider: 'sandbox', instructionId: 'i-1', now }).thenNothing();
    spec.given([requested, held]).when(confirmPaid()).thenThrows(PayoutNotPayable);
    spec.given([requested, held]).when({ type: 'LiftHold', reason: 'reinstated', now }).then([{ type: 'PayoutHoldLifted', data: { payoutId: 'p-1', workshopId: 'w-1', reason: 'reinstated', liftedAt: at } }]);
  });

  it('is confirmed paid once; the same confirmation again is nothing, another one a conflict', () => {
    spec.given([requested, instructed]).when(confirmPaid()).then([paid]);
    spec.given([requested, instructed, paid]).when(confirmPaid()).thenNothing();
    spec.given([requested, instructed, paid]).when(confirmPaid({ source: 'bank', transactionId: 'B-1' })).thenThrows(PayoutNotPayable);
    spec.given([requested, instructed, paid]).when({ type: 'ConfirmFailed', confirmation: byProvider, reason: 'x', now }).thenThrows(PayoutNotPayable);
    spec.given([requested, instructed]).when(confirmPaid(byProvider, { amountMinor: 4_000, currency: 'CNY' })).thenThrows(PayoutAmountMismatch);
  });

  it('a failed payout gives the money back; it cannot be paid afterwards', () => {
    spec.given([requested, instructed]).when({ type: 'ConfirmFailed', confirmation: byProvider, reason: 'account closed', now }).then([failed]);
    spec.given([requested, instructed, failed]).when(confirmPaid()).thenThrows(PayoutNotPayable);
    expect(payoutPosting(failed)?.legs.map((l) => [l.account.purpose, l.amountMinor])).toEqual([
      ['workshop_payout_pending', -5_000],
      ['workshop_payable', 5_000],
    ]);
    expect(payoutPosting(paid)?.legs.map((l) => [l.account.purpose, l.amountMinor])).toEqual([
      ['workshop_payout_pending', -5_000],
      ['bank_clearing', 5_000],
    ]);
  });
});
