import { DeciderSpecification } from '#libs/testing';
import { lotPaymentDecider, LotBelongsElsewhere, type LotContext, type LotPaymentEvent } from './lot-payment.decider.js';
import { lotPosting } from './lot-postings.js';

const spec = DeciderSpecification.for(lotPaymentDecider);
const now = new Date('2026-05-10T00:00:00.000Z');
const policy = { feeBps: 500, penaltyBpsPerDay: 100, penaltyCapBps: 1_000, graceHours: 0 };
const lot = { orderId: 'o-1', subtaskId: 's-1', brandId: 'b-1', workshopId: 'w-1', stepId: 'sew' };
const price = { amountMinor: 10_000, currency: 'CNY' };
const ctx = (available: number, orderStatus: LotContext['orderStatus'] = 'open'): LotContext => ({ available: BigInt(available), orderStatus, now, policy });
const cny = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });

const accepted: LotPaymentEvent = { type: 'LotAccepted', data: { ...lot, price, acceptedAt: '2026-05-01T00:00:00.000Z', plannedEnd: '2026-05-05T00:00:00.000Z' } };
const funded: LotPaymentEvent = { type: 'EscrowFunded', data: { orderId: 'o-1', subtaskId: 's-1', brandId: 'b-1', amount: price } };
const short = (available: number): LotPaymentEvent => ({ type: 'FundsShort', data: { orderId: 'o-1', subtaskId: 's-1', brandId: 'b-1', required: price, available: cny(available) } });
const delivered = (completedAt: string): LotPaymentEvent => ({ type: 'LotDelivered', data: { ...lot, completedAt, dueAt: '2026-05-05T00:00:00.000Z' } });
const passed: LotPaymentEvent = { type: 'LotPassed', data: { ...lot, passedAt: '2026-05-06T00:00:00.000Z', passedQuantity: 100 } };
const released = (penalty: number, daysLate: number): LotPaymentEvent => ({
  type: 'PaymentReleased',
  data: { orderId: 'o-1', subtaskId: 's-1', workshopId: 'w-1', gross: price, platformFee: cny(500), penalty: cny(penalty), net: cny(10_000 - 500 - penalty), daysLate, releasedAt: now.toISOString() },
});
const refunded = (reason: string): LotPaymentEvent => ({ type: 'EscrowRefunded', data: { orderId: 'o-1', subtaskId: 's-1', brandId: 'b-1', amount: price, reason } });

const accept = (available: number, orderStatus: LotContext['orderStatus'] = 'open') =>
  ({ type: 'AcceptLot', lot, price, acceptedAt: '2026-05-01T00:00:00.000Z', plannedEnd: '2026-05-05T00:00:00.000Z', context: ctx(available, orderStatus) }) as const;
const pass = (available = 0) => ({ type: 'RecordPass', lot, passedAt: '2026-05-06T00:00:00.000Z', passedQuantity: 100, context: ctx(available) }) as const;
const deliver = (completedAt: string) => ({ type: 'RecordDelivery', lot, completedAt, dueAt: '2026-05-05T00:00:00.000Z', context: ctx(0) }) as const;

describe('lot payment', () => {
  it('escrows the price on acceptance when the brand has the funds, else waits (FundsShort)', () => {
    spec.given([]).when(accept(10_000)).then([accepted, funded]);
    spec.given([]).when(accept(9_999)).then([accepted, short(9_999)]);
  });

  it('a redelivered acceptance changes nothing', () => {
    spec.given([accepted, funded]).when(accept(10_000)).thenNothing();
  });

  it('pays once both the pass and the delivery are known, in either order, less fee and the late penalty', () => {
    spec.given([accepted, funded, delivered('2026-05-05T00:00:00.000Z')]).when(pass()).then([passed, released(0, 0)]);
    // The pass overtook the completion: the lot waits for its delivery time, then pays (2 started days late: 2 %).
    spec.given([accepted, funded]).when(pass()).then([passed]);
    spec.given([accepted, funded, passed]).when(deliver('2026-05-06T12:00:00.000Z')).then([delivered('2026-05-06T12:00:00.000Z'), released(200, 2)]);
    spec.given([accepted, funded, passed, delivered('2026-05-05T00:00:00.000Z'), released(0, 0)]).when(pass()).thenNothing();
  });

  it('a pass heard before the acceptance is paid when the acceptance (with the price) arrives', () => {
    spec.given([]).when(pass()).then([passed]);
    spec.given([passed, delivered('2026-05-05T00:00:00.000Z')]).when(accept(10_000)).then([accepted, funded, released(0, 0)]);
  });

  it('re-plan after a failed inspection returns the escrow; rework keeps it', () => {
    const failure = (disposition: string) => ({ type: 'RecordFailure', lot, disposition, inspectionLotId: 'il-1', context: ctx(0) }) as const;
    const withheld = (disposition: string): LotPaymentEvent => ({ type: 'LotPaymentWithheld', data: { orderId: 'o-1', subtaskId: 's-1', workshopId: 'w-1', disposition, inspectionLotId: 'il-1' } });
    spec.given([accepted, funded]).when(failure('rework')).then([withheld('rework')]);
    spec.given([accepted, funded]).when(failure('replan')).then([withheld('replan'), refunded('replanned after failed inspection')]);
  });

  it('an order closing withdraws what did not pass and keeps what awaits its verdict', () => {
    spec.given([accepted, funded]).when({ type: 'CloseLot', orderStatus: 'cancelled' }).then([refunded('order cancelled')]);
    spec.given([accepted, short(0)]).when({ type: 'CloseLot', orderStatus: 'cancelled' }).then([{ type: 'LotPaymentCancelled', data: { orderId: 'o-1', subtaskId: 's-1', reason: 'order cancelled' } }]);
    spec.given([accepted, funded, delivered('2026-05-05T00:00:00.000Z')]).when({ type: 'CloseLot', orderStatus: 'completed' }).thenNothing();
    spec.given([accepted, funded, passed]).when({ type: 'CloseLot', orderStatus: 'failed' }).thenNothing();
  });

  it('passed work whose escrow went back first is funded again and paid', () => {
    spec
      .given([accepted, funded, delivered('2026-05-05T00:00:00.000Z'), refunded('order cancelled')])
      .when(pass(10_000))
      .then([passed, funded, released(0, 0)]);
  });

  it('a waiting lot is funded when funds arrive, and says nothing more while they fall short', () => {
    spec.given([accepted, short(0)]).when({ type: 'FundWaitingLot', context: ctx(10_000) }).then([funded]);
    spec.given([accepted, short(0)]).when({ type: 'FundWaitingLot', context: ctx(5_000) }).thenNothing();
    spec.given([accepted, funded]).when({ type: 'FundWaitingLot', context: ctx(10_000) }).thenNothing();
  });

  describe('a dispute resolved (issue 17)', () => {
    const resolve = (finalOutcome: 'passed' | 'failed', workshopAvailable: number, available = 0) =>
      ({ type: 'ResolveDispute', lot, finalOutcome, overturned: true, passedQuantity: finalOutcome === 'passed' ? 100 : 0, reinspectorId: 'i-2', resolvedAt: now.toISOString(), workshopAvailable: BigInt(workshopAvailable), context: ctx(available) }) as const;
    const overturned: LotPaymentEvent = { type: 'LotPassOverturned', data: { orderId: 'o-1', subtaskId: 's-1', reinspectorId: 'i-2', overturnedAt: now.toISOString() } };
    const paid = [accepted, funded, delivered('2026-05-05T00:00:00.000Z'), passed, released(0, 0)];
    const clawedBack = (clawed: number): LotPaymentEvent => ({
      type: 'PaymentClawedBack',
      data: { orderId: 'o-1', subtaskId: 's-1', workshopId: 'w-1', brandId: 'b-1', net: cny(9_500), platformFee: cny(500), clawedBack: cny(clawed), uncovered: cny(9_500 - clawed), clawedBackAt: now.toISOString() },
    });

    it('claws back an overturned paid pass as far as the workshop still holds its net; the rest is listed as uncovered', () => {
      spec.given(paid).when(resolve('failed', 20_000)).then([overturned, clawedBack(9_500)]);
      spec.given(paid).when(resolve('failed', 4_000)).then([overturned, clawedBack(4_000)]);
    });

    it('refunds an overturned pass that was not paid yet, and pays no later pass of the lot', () => {
      spec.given([accepted, funded, passed]).when(resolve('failed', 0)).then([overturned, refunded('pass overturned on dispute')]);
      spec.given([accepted, funded, passed, overturned, refunded('pass overturned on dispute')]).when(pass(10_000)).thenNothing();
      spec.given([...paid, overturned, clawedBack(9_500)]).when(resolve('failed', 9_500)).thenNothing();
    });

    it('pays an overturned fail as a pass', () => {
      spec.given([accepted, funded, delivered('2026-05-05T00:00:00.000Z'), refunded('replanned after failed inspection')]).when(resolve('passed', 0, 10_000)).then([
        { type: 'LotPassed', data: { ...lot, passedAt: now.toISOString(), passedQuantity: 100 } },
        funded,
        { ...released(0, 0) },
      ]);
    });
  });

  it('refuses an event that puts the lot in another brand or order', () => {
    spec.given([accepted]).when({ ...accept(10_000), lot: { ...lot, brandId: 'b-2' } }).thenThrows(LotBelongsElsewhere);
  });

  it('each money event stands for one ledger transfer with a stable id', () => {
    const state = [accepted].reduce(lotPaymentDecider.evolve, lotPaymentDecider.initialState());
    expect(lotPosting(state, funded)).toMatchObject({ transferId: 'escrow:s-1:1', kind: 'escrow_funding' });
    const escrowed = lotPaymentDecider.evolve(state, funded);
    expect(lotPosting(escrowed, refunded('x'))).toMatchObject({ transferId: 'refund:s-1:1', kind: 'lot_refund' });
    expect(lotPosting(escrowed, released(200, 2))?.legs.map((l) => [l.account.purpose, l.amountMinor])).toEqual([
      ['order_escrow', -10_000],
      ['workshop_payable', 9_300],
      ['platform_fees', 500],
      ['brand_funds', 200],
    ]);
    expect(lotPosting(state, short(0))).toBeNull();
  });

  describe('funded by instant money on hold (MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS)', () => {
    const holdEnds = '2026-05-13T00:00:00.000Z';
    const heldCtx = (available: number, at = now): LotContext => ({ ...ctx(available), now: at, fundsHeldUntil: holdEnds });
    const fundedOnHold: LotPaymentEvent = { type: 'EscrowFunded', data: { ...(funded.data as object), fundsHeldUntil: holdEnds } as never };
    const releasedAt = (at: Date, availableOn?: string): LotPaymentEvent => {
      const r = released(0, 0) as Extract<LotPaymentEvent, { type: 'PaymentReleased' }>;
      return { type: 'PaymentReleased', data: { ...r.data, releasedAt: at.toISOString(), ...(availableOn ? { availableOn } : {}) } };
    };
    const passAt = (at: Date) => ({ type: 'RecordPass', lot, passedAt: '2026-05-06T00:00:00.000Z', passedQuantity: 100, context: heldCtx(0, at) }) as const;

    it('records the hold on the escrow, and the release is available for payout from the day it ends', () => {
      spec.given([]).when({ ...accept(10_000), context: heldCtx(10_000) }).then([accepted, fundedOnHold]);
      spec.given([accepted, fundedOnHold, delivered('2026-05-05T00:00:00.000Z')]).when(passAt(now)).then([passed, releasedAt(now, holdEnds)]);
    });

    it('a release after the hold ended is available at once', () => {
      const later = new Date('2026-05-13T00:00:01.000Z');
      spec.given([accepted, fundedOnHold, delivered('2026-05-05T00:00:00.000Z')]).when(passAt(later)).then([passed, releasedAt(later)]);
    });

    it('funds without instant money on hold (or a hold already over) record none', () => {
      spec.given([]).when({ ...accept(10_000), context: { ...ctx(10_000), fundsHeldUntil: null } }).then([accepted, funded]);
      spec.given([]).when({ ...accept(10_000), context: { ...ctx(10_000), fundsHeldUntil: '2026-05-09T00:00:00.000Z' } }).then([accepted, funded]);
    });
  });
});
