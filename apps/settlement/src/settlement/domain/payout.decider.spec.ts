import { DeciderSpecification } from '#libs/testing';
import { InsufficientFunds } from '../../ledger/domain/transfer.js';
import { FundsOnHold, NothingToPayOut, PayoutAmountMismatch, PayoutNotPayable, payoutDecider, payoutPosting, type PayoutEvent } from './payout.decider.js';

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

  describe('funds from instant payments on hold (MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS)', () => {
    // A balance of 9,000: 3,000 released for a lot paid by card, on hold until 12 May; 2,000 until 14 May.
    const heldFunds = [
      { amountMinor: 3_000n, availableOn: '2026-05-12T00:00:00.000Z' },
      { amountMinor: 2_000n, availableOn: '2026-05-14T00:00:00.000Z' },
    ];
    const ask = (amountMinor: number, when = now) =>
      ({ type: 'RequestPayout', payoutId: 'p-1', workshopId: 'w-1', amount: { amountMinor, currency: 'CNY' }, available: 9_000n, held: heldFunds, suspended: false, now: when }) as const;
    const requestedOf = (amountMinor: number, when = now): PayoutEvent => ({
      type: 'PayoutRequested',
      data: { payoutId: 'p-1', workshopId: 'w-1', amount: { amountMinor, currency: 'CNY' }, requestedAt: when.toISOString() },
    });

    it('pays out what is not on hold', () => {
      spec.given([]).when(ask(4_000)).then([requestedOf(4_000)]);
    });

    it('refuses more than that, naming what is held and from when the amount asked for is payable', () => {
      const error = spec.given([]).when(ask(6_000)).thenThrows(FundsOnHold);
      expect(error.code).toBe('funds_on_hold');
      expect(error.details).toEqual({
        currency: 'CNY',
        heldMinor: 5_000,
        payableNowMinor: 4_000,
        requestedMinor: 6_000,
        availableOn: '2026-05-12T00:00:00.000Z',
        holdEnds: '2026-05-14T00:00:00.000Z',
      });
      expect(spec.given([]).when(ask(8_000)).thenThrows(FundsOnHold).details).toMatchObject({ availableOn: '2026-05-14T00:00:00.000Z' });
    });

    it('refuses "all of it" (no amount) while any of it is on hold, rather than paying it', () => {
      spec.given([]).when(ask(0)).thenThrows(FundsOnHold);
    });

    it('pays it once its hold has ended', () => {
      const later = new Date('2026-05-12T00:00:00.001Z');
      spec.given([]).when(ask(7_000, later)).then([requestedOf(7_000, later)]);
      spec.given([]).when(ask(7_001, later)).thenThrows(FundsOnHold);
      const afterAll = new Date('2026-05-14T00:00:00.001Z');
      spec.given([]).when(ask(9_000, afterAll)).then([requestedOf(9_000, afterAll)]);
    });
  });
});
