import { DomainError, type Decider } from '#libs/domain';
import { toJsonMinor, type Money } from '../../ledger/domain/money.js';
import { daysLate, splitRelease, type PaymentPolicy } from './payment-policy.js';

/**
 * The payment of one lot (one subtask), stream `settlement-lot-<subtaskId>`:
 *
 *     awaiting_acceptance ──accepted──▶ awaiting_funds ──funded──▶ escrowed ──passed + delivered──▶ paid
 *            │                              │                        │
 *            └──────────── withdrawn ───────┴──▶ cancelled           └── withdrawn ──▶ refunded ──passed──▶ (funded again)
 *
 * Matching's, inspection's and orders' events reach settlement on different topics, so they arrive in any
 * order: a completion or a pass may come before the acceptance that carries the price (the lot then waits
 * in `awaiting_acceptance` with what it knows), a pass before the completion that tells when the work was
 * delivered (the lot is paid once both are known). A lot is paid at most once (`PaymentReleased`); passed
 * work is paid even when its escrow was returned first (the order closed): it is funded again.
 *
 * Everything the decision needs from outside the stream arrives in the command: the brand's available
 * funds (read under the brand's lock and the accounts' row locks), whether the order is still open, the
 * clock and the payment policy. The money movements follow from the events (`lotPostings`), posted to the
 * ledger in the transaction that appends them.
 */
export type LotStatus = 'awaiting_acceptance' | 'awaiting_funds' | 'escrowed' | 'paid' | 'refunded' | 'cancelled' | 'clawed_back';
export type ClosedOrderStatus = 'completed' | 'cancelled' | 'failed';

export interface LotIdentity {
  orderId: string;
  subtaskId: string;
  brandId: string;
  workshopId: string;
  stepId: string;
}

export type LotPaymentEvent =
  | { type: 'LotAccepted'; data: LotIdentity & { price: Money; acceptedAt: string; plannedEnd: string | null } }
  | { type: 'LotDelivered'; data: LotIdentity & { completedAt: string; dueAt: string | null } }
  | { type: 'LotPassed'; data: LotIdentity & { passedAt: string; passedQuantity: number } }
  | { type: 'LotPaymentWithheld'; data: { orderId: string; subtaskId: string; workshopId: string; disposition: string; inspectionLotId: string } }
  | { type: 'FundsShort'; data: { orderId: string; subtaskId: string; brandId: string; required: Money; available: Money } }
  /** `fundsHeldUntil`: the brand's funds included instant money (card, wallet) still inside its hold then. */
  | { type: 'EscrowFunded'; data: { orderId: string; subtaskId: string; brandId: string; amount: Money; fundsHeldUntil?: string } }
  /** `availableOn`: the lot was funded by instant money still on hold; the workshop can pay the net out from then on. */
  | {
      type: 'PaymentReleased';
      data: {
        orderId: string;
        subtaskId: string;
        workshopId: string;
        gross: Money;
        platformFee: Money;
        penalty: Money;
        net: Money;
        daysLate: number;
        releasedAt: string;
        availableOn?: string;
      };
    }
  | { type: 'EscrowRefunded'; data: { orderId: string; subtaskId: string; brandId: string; amount: Money; reason: string } }
  | { type: 'LotPaymentCancelled'; data: { orderId: string; subtaskId: string; reason: string } }
  /** A dispute overturned the lot's pass: it is owed nothing, and no later pass of it is paid. */
  | { type: 'LotPassOverturned'; data: { orderId: string; subtaskId: string; reinspectorId: string; overturnedAt: string } }
  /**
   * An overturned pass that was already paid: the workshop's net comes back from its available balance (as
   * far as it holds it; `uncovered` is what it had already paid out, owed by the workshop, listed by the
   * audit) and the platform fee from the platform; both go to the brand.
   */
  | {
      type: 'PaymentClawedBack';
      data: { orderId: string; subtaskId: string; workshopId: string; brandId: string; net: Money; platformFee: Money; clawedBack: Money; uncovered: Money; clawedBackAt: string };
    };

export const LOT_PAYMENT_EVENT_TYPES: readonly LotPaymentEvent['type'][] = [
  'LotAccepted',
  'LotDelivered',
  'LotPassed',
  'LotPaymentWithheld',
  'FundsShort',
  'EscrowFunded',
  'PaymentReleased',
  'EscrowRefunded',
  'LotPaymentCancelled',
  'LotPassOverturned',
  'PaymentClawedBack',
];

/** What is outside the stream, read by the caller under the brand's lock. */
export interface LotContext {
  /** The brand's available funds in the lot's currency (bigint: exact). */
  available: bigint;
  /** The order's status in settlement ('open' until orders closes it). */
  orderStatus: 'open' | ClosedOrderStatus;
  now: Date;
  policy: PaymentPolicy;
  /**
   * When the hold on the brand's instant-method funds (MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS) ends: the
   * latest hold end of its credited card and wallet payments still on hold, read with `available`. Funds are
   * fungible, so a lot funded while any of them is on hold counts as funded by them (the safe side).
   */
  fundsHeldUntil?: string | null;
}

export type LotPaymentCommand =
  | { type: 'AcceptLot'; lot: LotIdentity; price: Money; acceptedAt: string; plannedEnd: string | null; context: LotContext }
  | { type: 'RecordDelivery'; lot: LotIdentity; completedAt: string; dueAt: string | null; context: LotContext }
  | { type: 'RecordPass'; lot: LotIdentity; passedAt: string; passedQuantity: number; context: LotContext }
  | { type: 'RecordFailure'; lot: LotIdentity; disposition: string; inspectionLotId: string; context: LotContext }
  | { type: 'WithdrawLot'; reason: string }
  /** The order closed: lots that did not pass and are not owed a verdict are withdrawn. */
  | { type: 'CloseLot'; orderStatus: ClosedOrderStatus }
  /** The brand's funds grew: a lot waiting for funds is funded if they cover it (no FundsShort again). */
  | { type: 'FundWaitingLot'; context: LotContext }
  /**
   * A dispute's re-inspection is final (issue 17). Overturned fail (`finalOutcome: 'passed'`): the lot is paid
   * as a pass. Overturned pass: nothing is owed; a paid lot is clawed back (`workshopAvailable`: the workshop's
   * available balance, read under its account's lock), an escrowed one refunded.
   */
  | {
      type: 'ResolveDispute';
      lot: LotIdentity;
      finalOutcome: 'passed' | 'failed';
      overturned: boolean;
      passedQuantity: number;
      reinspectorId: string;
      resolvedAt: string;
      workshopAvailable: bigint;
      context: LotContext;
    };

export interface LotPaymentState {
  known: boolean;
  lot: LotIdentity | null;
  status: LotStatus;
  price: Money | null;
  acceptedAt: string | null;
  plannedEnd: string | null;
  dueAt: string | null;
  completedAt: string | null;
  passedAt: string | null;
  passedQuantity: number | null;
  failures: number;
  lastFailure: string | null;
  /** How many times the lot was escrowed: each funding and refund is its own ledger transfer. */
  fundings: number;
  /** What its release paid (for a clawback). */
  released: { net: Money; platformFee: Money } | null;
  /** A dispute overturned its pass: no pass of it is paid any more. */
  overturned: boolean;
  /** Its escrow came from funds with instant money on hold until then (null: none). */
  fundsHeldUntil: string | null;
}

export class LotBelongsElsewhere extends DomainError {
  constructor(subtaskId: string, field: string, known: string, got: string) {
    super('lot_identity_mismatch', `lot ${subtaskId} has ${field} ${known}, an event says ${got}`, 'conflict', { subtaskId, field });
  }
}

const initialState = (): LotPaymentState => ({
  known: false,
  lot: null,
  status: 'awaiting_acceptance',
  price: null,
  acceptedAt: null,
  plannedEnd: null,
  dueAt: null,
  completedAt: null,
  passedAt: null,
  passedQuantity: null,
  failures: 0,
  lastFailure: null,
  fundings: 0,
  released: null,
  overturned: false,
  fundsHeldUntil: null,
});

const later = (a: string | null, b: string): string => (a === null || new Date(b).getTime() > new Date(a).getTime() ? b : a);

/** Delivered, escrowed and never failed: its inspection verdict is still to come. */
const awaitsInspection = (s: LotPaymentState): boolean => s.status === 'escrowed' && s.completedAt !== null && s.failures === 0;

/**
 * Whether a lot of an order that just closed keeps its escrow until its own events decide it. A completed
 * order completed because every lot it needed passed: a delivered lot still escrowed (even one that failed
 * and was reworked) has a verdict on its way on inspection's topic; refunding it here and funding it again
 * when its pass arrives would make the money movements depend on which topic settlement heard first
 * (redelivery seed 1969368887). A cancelled or failed order stops rework: only a first delivery, never
 * failed, still awaits a verdict.
 */
const heldAtClose = (s: LotPaymentState, status: ClosedOrderStatus): boolean =>
  status === 'completed' ? s.status === 'escrowed' && s.completedAt !== null : awaitsInspection(s);

function evolve(state: LotPaymentState, event: LotPaymentEvent): LotPaymentState {
  switch (event.type) {
    case 'LotAccepted': {
      const { price, acceptedAt, plannedEnd, ...lot } = event.data;
      return { ...state, known: true, lot, status: 'awaiting_funds', price, acceptedAt, plannedEnd };
    }
    case 'LotDelivered': {
      const { completedAt, dueAt, ...lot } = event.data;
      return { ...state, known: true, lot: state.lot ?? lot, completedAt: later(state.completedAt, completedAt), dueAt };
    }
    case 'LotPassed': {
      const { passedAt, passedQuantity, ...lot } = event.data;
      return { ...state, known: true, lot: state.lot ?? lot, passedAt, passedQuantity };
    }
    case 'LotPaymentWithheld':
      return { ...state, failures: state.failures + 1, lastFailure: event.data.disposition };
    case 'FundsShort':
      return { ...state, status: 'awaiting_funds' };
    case 'EscrowFunded':
      return { ...state, status: 'escrowed', fundings: state.fundings + 1, fundsHeldUntil: event.data.fundsHeldUntil ?? null };
    case 'PaymentReleased':
      return { ...state, status: 'paid', released: { net: event.data.net, platformFee: event.data.platformFee } };
    case 'EscrowRefunded':
      return { ...state, status: 'refunded' };
    case 'LotPaymentCancelled':
      return { ...state, status: 'cancelled' };
    case 'LotPassOverturned':
      return { ...state, passedAt: null, passedQuantity: null, overturned: true };
    case 'PaymentClawedBack':
      return { ...state, status: 'clawed_back' };
  }
}

/** Runs the decisions in order, each seeing the state the previous ones left. */
class Decisions {
  readonly events: LotPaymentEvent[] = [];
  constructor(public state: LotPaymentState) {}
  push(event: LotPaymentEvent): void {
    this.events.push(event);
    this.state = evolve(this.state, event);
  }
}

/** Funds the lot from the brand's available funds, or records that they fall short (once per waiting spell). */
function fund(d: Decisions, context: LotContext, announceShortfall: boolean): void {
  const s = d.state;
  if (!s.lot || !s.price) return; // no agreed price yet: funded when the acceptance arrives
  const price = BigInt(s.price.amountMinor);
  const { orderId, subtaskId, brandId } = s.lot;
  if (context.available < price) {
    // Announced when the lot starts waiting (or on acceptance); a lot already waiting waits on quietly.
    if (announceShortfall || s.status !== 'awaiting_funds') {
      d.push({ type: 'FundsShort', data: { orderId, subtaskId, brandId, required: s.price, available: { amountMinor: toJsonMinor(context.available), currency: s.price.currency } } });
    }
    return;
  }
  const held = context.fundsHeldUntil && new Date(context.fundsHeldUntil).getTime() > context.now.getTime() ? context.fundsHeldUntil : null;
  d.push({ type: 'EscrowFunded', data: { orderId, subtaskId, brandId, amount: s.price, ...(held ? { fundsHeldUntil: held } : {}) } });
  if (d.state.passedAt && d.state.completedAt) release(d, context);
}

/** Pays the escrowed price to the workshop, less the platform fee and the late-delivery penalty. */
function release(d: Decisions, context: LotContext): void {
  const s = d.state;
  if (!s.lot || !s.price || s.status !== 'escrowed') return;
  const delivered = s.completedAt ?? s.passedAt;
  const due = s.dueAt ?? s.plannedEnd;
  const late = delivered && due ? daysLate(new Date(delivered), new Date(due), context.policy.graceHours) : 0;
  const split = splitRelease(s.price.amountMinor, context.policy, late);
  const money = (amountMinor: number): Money => ({ amountMinor, currency: s.price!.currency });
  d.push({
    type: 'PaymentReleased',
    data: {
      orderId: s.lot.orderId,
      subtaskId: s.lot.subtaskId,
      workshopId: s.lot.workshopId,
      gross: money(split.gross),
      platformFee: money(split.fee),
      penalty: money(split.penalty),
      net: money(split.net),
      daysLate: split.daysLate,
      releasedAt: context.now.toISOString(),
      // Released while the instant money that funded it is still on hold: the net is payable out from then on.
      ...(s.fundsHeldUntil && new Date(s.fundsHeldUntil).getTime() > context.now.getTime() ? { availableOn: s.fundsHeldUntil } : {}),
    },
  });
}

/** A lot that will not be paid: its escrow goes back to the brand; if it was waiting for funds, it stops waiting. */
function withdraw(d: Decisions, reason: string): void {
  const s = d.state;
  if (!s.lot) return;
  const { orderId, subtaskId, brandId } = s.lot;
  switch (s.status) {
    case 'escrowed':
      d.push({ type: 'EscrowRefunded', data: { orderId, subtaskId, brandId, amount: s.price!, reason } });
      return;
    case 'awaiting_funds':
    case 'awaiting_acceptance':
      d.push({ type: 'LotPaymentCancelled', data: { orderId, subtaskId, reason } });
      return;
    case 'paid':
    case 'refunded':
    case 'cancelled':
    case 'clawed_back':
      return;
  }
}

function assertSameLot(state: LotPaymentState, lot: LotIdentity): void {
  if (!state.lot) return;
  for (const field of ['orderId', 'brandId'] as const) {
    if (state.lot[field] !== lot[field]) throw new LotBelongsElsewhere(lot.subtaskId, field, state.lot[field], lot[field]);
  }
}

function decide(command: LotPaymentCommand, state: LotPaymentState): LotPaymentEvent[] {
  const d = new Decisions(state);
  switch (command.type) {
    case 'AcceptLot': {
      assertSameLot(state, command.lot);
      if (state.known && state.status !== 'awaiting_acceptance') return []; // already accepted (or withdrawn first)
      d.push({ type: 'LotAccepted', data: { ...command.lot, price: command.price, acceptedAt: command.acceptedAt, plannedEnd: command.plannedEnd } });
      // The order closed before this acceptance arrived: nothing to fund unless the lot already passed.
      if (command.context.orderStatus !== 'open' && !d.state.passedAt) withdraw(d, `order ${command.context.orderStatus} before the acceptance arrived`);
      else fund(d, command.context, true);
      return d.events;
    }
    case 'RecordDelivery': {
      assertSameLot(state, command.lot);
      const completedAt = later(state.completedAt, command.completedAt);
      if (state.known && completedAt === state.completedAt && command.dueAt === state.dueAt) return [];
      d.push({ type: 'LotDelivered', data: { ...command.lot, completedAt: command.completedAt, dueAt: command.dueAt } });
      // Inspection's topic overtook this completion: the pass waited for the delivery time; pay now.
      if (d.state.status === 'escrowed' && d.state.passedAt) release(d, command.context);
      return d.events;
    }
    case 'RecordPass': {
      assertSameLot(state, command.lot);
      if (state.passedAt || state.overturned) return []; // a lot passes (and is paid) once; an overturned pass is final
      d.push({ type: 'LotPassed', data: { ...command.lot, passedAt: command.passedAt, passedQuantity: command.passedQuantity } });
      if (!state.known) return d.events; // paid when the acceptance (with the price) arrives
      switch (state.status) {
        case 'escrowed':
          if (d.state.completedAt) release(d, command.context);
          break;
        case 'refunded':
        case 'cancelled':
          // Passed work is paid even when its escrow was already returned (order closed first): fund it again.
          fund(d, command.context, true);
          break;
        case 'awaiting_funds': // paid as soon as funds cover it
        case 'awaiting_acceptance': // paid when the acceptance arrives
        case 'paid':
        case 'clawed_back':
          break;
      }
      return d.events;
    }
    case 'RecordFailure': {
      if (!state.known || state.passedAt || !state.lot) return [];
      d.push({
        type: 'LotPaymentWithheld',
        data: { orderId: state.lot.orderId, subtaskId: state.lot.subtaskId, workshopId: command.lot.workshopId, disposition: command.disposition, inspectionLotId: command.inspectionLotId },
      });
      // Re-plan: this subtask will never pass, its escrow goes back (the replacement is funded on its own
      // acceptance). A cancelled or failed order has no rework to come. A completed order heard before
      // this failure completed after the rework passed: that pass is on its way.
      const order = command.context.orderStatus;
      if (command.disposition === 'replan') withdraw(d, 'replanned after failed inspection');
      else if (order === 'cancelled' || order === 'failed') withdraw(d, `failed inspection after the order was ${order}`);
      return d.events;
    }
    case 'WithdrawLot':
      if (state.passedAt) return [];
      withdraw(d, command.reason);
      return d.events;
    case 'CloseLot':
      if (state.passedAt || heldAtClose(state, command.orderStatus)) return [];
      withdraw(d, `order ${command.orderStatus}`);
      return d.events;
    case 'FundWaitingLot':
      if (state.status !== 'awaiting_funds') return [];
      fund(d, command.context, false);
      return d.events;
    case 'ResolveDispute':
      return resolveDispute(state, command);
  }
}

function resolveDispute(state: LotPaymentState, command: Extract<LotPaymentCommand, { type: 'ResolveDispute' }>): LotPaymentEvent[] {
  if (!command.overturned || state.overturned) return [];
  if (command.finalOutcome === 'passed') {
    // An overturned fail: the lot is paid as a pass (funded again if its escrow went back on the failure).
    return decide({ type: 'RecordPass', lot: command.lot, passedAt: command.resolvedAt, passedQuantity: command.passedQuantity, context: command.context }, state);
  }
  assertSameLot(state, command.lot);
  const d = new Decisions(state);
  const { orderId, subtaskId, brandId, workshopId } = state.lot ?? command.lot;
  d.push({ type: 'LotPassOverturned', data: { orderId, subtaskId, reinspectorId: command.reinspectorId, overturnedAt: command.resolvedAt } });
  if (state.status === 'paid' && state.released) {
    const { net, platformFee } = state.released;
    const clawed = BigInt(net.amountMinor) < command.workshopAvailable ? BigInt(net.amountMinor) : command.workshopAvailable;
    const money = (amountMinor: bigint): Money => ({ amountMinor: toJsonMinor(amountMinor), currency: net.currency });
    d.push({
      type: 'PaymentClawedBack',
      data: { orderId, subtaskId, workshopId, brandId, net, platformFee, clawedBack: money(clawed), uncovered: money(BigInt(net.amountMinor) - clawed), clawedBackAt: command.resolvedAt },
    });
  } else {
    withdraw(d, 'pass overturned on dispute');
  }
  return d.events;
}

export const lotPaymentDecider: Decider<LotPaymentState, LotPaymentCommand, LotPaymentEvent> = { decide, evolve, initialState };

export const lotStream = (subtaskId: string): string => `settlement-lot-${subtaskId}`;
