import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type {
  InspectionFailedContract,
  InspectionPassedContract,
  SubtaskAcceptedContract,
  SubtaskCancelledContract,
  SubtaskCompletedContract,
} from '#libs/contracts';
import { DomainError, NotFound } from '#libs/domain';
import { ident, ServiceDatabase, type EventMetadata, type NewEvent } from '#libs/eventsourcing';
import { Accounts } from '../ledger/domain/accounts.js';
import { minorFromDb, parseMinor, toJsonMinor, toMinor, type Money } from '../ledger/domain/money.js';
import { InsufficientFunds, move, type Leg } from '../ledger/domain/transfer.js';
import { Ledger } from '../ledger/ledger.js';
import { daysLate, splitRelease } from './domain/payment-policy.js';
import { SETTLEMENT_SETTINGS, type SettlementSettings } from './settlement-settings.js';

export type LotStatus = 'awaiting_acceptance' | 'awaiting_funds' | 'escrowed' | 'paid' | 'refunded' | 'cancelled';
export type OrderStatus = 'open' | 'completed' | 'cancelled' | 'failed';

interface LotRow {
  subtask_id: string;
  order_id: string;
  brand_id: string;
  workshop_id: string;
  step_id: string;
  status: LotStatus;
  price_minor: string | null;
  currency: string | null;
  accepted_at: Date | null;
  planned_end: Date | null;
  due_at: Date | null;
  completed_at: Date | null;
  passed_at: Date | null;
  passed_quantity: number | null;
  failures: number;
  last_failure: string | null;
  fundings: number;
  fee_minor: string | null;
  penalty_minor: string | null;
  net_minor: string | null;
  days_late: number | null;
  paid_at: Date | null;
}

interface OrderRow {
  order_id: string;
  brand_id: string;
  currency: string | null;
  status: OrderStatus;
  closed_at: Date | null;
}

interface PayoutRow {
  payout_id: string;
  workshop_id: string;
  amount_minor: string;
  currency: string;
  status: 'pending' | 'paid';
  requested_at: Date;
  paid_at: Date | null;
  bank_reference: string | null;
}

export interface PayoutView {
  payoutId: string;
  workshopId: string;
  amount: Money;
  status: 'pending' | 'paid';
  requestedAt: string;
  paidAt: string | null;
  bankReference: string | null;
}

const toPayout = (r: PayoutRow): PayoutView => ({
  payoutId: r.payout_id,
  workshopId: r.workshop_id,
  amount: { amountMinor: minorFromDb(r.amount_minor), currency: r.currency },
  status: r.status,
  requestedAt: r.requested_at.toISOString(),
  paidAt: r.paid_at?.toISOString() ?? null,
  bankReference: r.bank_reference,
});

/** Delivered (its first completion known), escrowed, never failed: its inspection verdict is still to come. */
const awaitsInspection = (lot: LotRow): boolean => lot.status === 'escrowed' && lot.completed_at !== null && lot.failures === 0;

/**
 * Whether a lot of an order that just closed keeps its escrow until its own events decide it.
 *
 * A completed order completed because every lot it needed passed: so a delivered lot still escrowed here
 * (even one that failed and was reworked) has a verdict on its way on inspection's topic, and a lot the
 * order no longer needed is cancelled or re-planned by its own event. Refunding it at completion and
 * funding it again when its pass arrives would make the money movements depend on which topic settlement
 * heard first (redelivery seed 1969368887). A cancelled or failed order stops rework, so there only a
 * first delivery, never failed, still awaits a verdict.
 */
const heldAtClose = (lot: LotRow, status: Exclude<OrderStatus, 'open'>): boolean =>
  status === 'completed' ? lot.status === 'escrowed' && lot.completed_at !== null : awaitsInspection(lot);

const parseTime = (text: string | undefined, fallback: Date): Date => {
  const t = text ? new Date(text) : undefined;
  return t && !Number.isNaN(t.getTime()) ? t : fallback;
};

/**
 * The money flows. Every method runs in the transaction it is given (a consumer's inbox transaction or
 * an HTTP idempotency transaction) so the ledger rows, settlement's bookkeeping and the events it
 * appends commit together.
 *
 * Concurrency: every flow that touches a brand's money first takes a transaction-scoped advisory lock
 * on the brand, so the flows of one brand (and of its orders and lots) run one at a time; account rows
 * are then locked FOR UPDATE (ascending id) by the ledger. Workshop payouts lock only workshop and
 * clearing accounts, also ascending. The lock order is therefore always brand → accounts ascending.
 */
@Injectable()
export class SettlementService {
  private readonly s: string;

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(Ledger) private readonly ledger: Ledger,
    @Inject(SETTLEMENT_SETTINGS) private readonly settings: SettlementSettings,
  ) {
    this.s = ident(db.schema);
  }

  // ---------------------------------------------------------------- event-driven flows

  /** The lot's agreed price moves from the brand's funds into the order's escrow, or the lot waits for funds. */
  async onSubtaskAccepted(e: SubtaskAcceptedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const order = await this.ensureOrder(m, e.orderId, e.brandId, e.price.currency);
    const existing = await this.lot(m, e.subtaskId);
    if (existing && existing.status !== 'awaiting_acceptance') return; // already accepted: a redelivery
    const values = [e.subtaskId, e.orderId, e.brandId, e.workshopId, e.stepId, String(e.price.amountMinor), e.price.currency, e.acceptedAt, e.plannedEnd];
    if (existing) {
      await m.query(
        `UPDATE ${this.s}.lots SET order_id = $2, brand_id = $3, workshop_id = $4, step_id = $5, price_minor = $6, currency = $7,
           accepted_at = $8, planned_end = $9, status = 'awaiting_funds', updated_at = now() WHERE subtask_id = $1`,
        values,
      );
    } else {
      await m.query(
        `INSERT INTO ${this.s}.lots (subtask_id, order_id, brand_id, workshop_id, step_id, price_minor, currency, accepted_at, planned_end, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'awaiting_funds')`,
        values,
      );
    }
    const lot = (await this.lot(m, e.subtaskId))!;
    if (order.status !== 'open' && !lot.passed_at) {
      // The order closed before this acceptance arrived: nothing to fund unless the lot already passed.
      await this.setStatus(m, lot.subtask_id, 'cancelled');
      return;
    }
    await this.fund(m, lot, meta, true);
  }

  /**
   * Records when the lot was delivered and when it was due (for the late-delivery penalty). A lot is paid
   * only once both its pass and its completion are known: inspection opens lots from completions, so the
   * completion always exists, but as another producer's event it may reach settlement after the pass.
   */
  async onSubtaskCompleted(e: SubtaskCompletedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const lot = await this.lot(m, e.subtaskId);
    if (!lot) {
      await this.ensureOrder(m, e.orderId, e.brandId, null);
      await m.query(
        `INSERT INTO ${this.s}.lots (subtask_id, order_id, brand_id, workshop_id, step_id, status, completed_at, due_at)
         VALUES ($1, $2, $3, $4, $5, 'awaiting_acceptance', $6, $7)`,
        [e.subtaskId, e.orderId, e.brandId, e.workshopId, e.stepId, e.completedAt, e.dueAt],
      );
      return;
    }
    // The latest completion counts: a reworked lot is delivered when its rework is.
    await m.query(`UPDATE ${this.s}.lots SET completed_at = greatest(completed_at, $2::timestamptz), due_at = $3, updated_at = now() WHERE subtask_id = $1`, [
      e.subtaskId,
      e.completedAt,
      e.dueAt,
    ]);
    // Inspection's topic overtook this completion: the pass waited for the delivery time; pay now.
    const updated = (await this.lot(m, e.subtaskId))!;
    if (updated.status === 'escrowed' && updated.passed_at) await this.release(m, updated, meta);
  }

  /** Pays the lot exactly once: its escrowed price goes to the workshop less fee and late penalty. */
  async onInspectionPassed(e: InspectionPassedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const passedAt = parseTime(e.inspectedAt, this.settings.clock());
    const lot = await this.lot(m, e.subtaskId);
    if (!lot) {
      // Inspection's topic overtook matching's: remember the pass, pay when the acceptance (with the price) arrives.
      await this.ensureOrder(m, e.orderId, e.brandId, null);
      await m.query(
        `INSERT INTO ${this.s}.lots (subtask_id, order_id, brand_id, workshop_id, step_id, status, passed_at, passed_quantity)
         VALUES ($1, $2, $3, $4, $5, 'awaiting_acceptance', $6, $7)`,
        [e.subtaskId, e.orderId, e.brandId, e.workshopId, e.stepId, passedAt, e.passedQuantity],
      );
      return;
    }
    if (lot.passed_at) return; // a lot passes (and is paid) once
    await m.query(`UPDATE ${this.s}.lots SET passed_at = $2, passed_quantity = $3, updated_at = now() WHERE subtask_id = $1`, [
      e.subtaskId,
      passedAt,
      e.passedQuantity,
    ]);
    const passed = { ...lot, passed_at: passedAt, passed_quantity: e.passedQuantity };
    switch (lot.status) {
      case 'escrowed':
        // Paid once the delivery time is known (SubtaskCompleted may arrive after the pass: another topic).
        if (passed.completed_at) await this.release(m, passed, meta);
        return;
      case 'refunded':
      case 'cancelled':
        // Passed work is paid even when its escrow was already returned (order closed first): fund it again.
        await this.fund(m, passed, meta, true);
        return;
      case 'awaiting_funds': // paid as soon as a deposit funds it
      case 'awaiting_acceptance': // paid when the acceptance arrives
      case 'paid':
        return;
    }
  }

  /**
   * Withholds payment. Rework: the escrow stays, the lot is paid once when its rework passes.
   * Re-plan: this subtask will never pass, its escrow goes back to the brand (the replacement subtask is
   * funded on its own acceptance); scrap is not paid for.
   */
  async onInspectionFailed(e: InspectionFailedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const lot = await this.lot(m, e.subtaskId);
    if (!lot || lot.passed_at) return;
    await m.query(`UPDATE ${this.s}.lots SET failures = failures + 1, last_failure = $2, updated_at = now() WHERE subtask_id = $1`, [e.subtaskId, e.disposition]);
    await this.append(m, `settlement-order-${e.orderId}`, [
      {
        type: 'LotPaymentWithheld',
        data: { orderId: e.orderId, subtaskId: e.subtaskId, workshopId: e.workshopId, disposition: e.disposition, inspectionLotId: e.inspectionLotId },
      },
    ], meta);
    // A cancelled or failed order has no rework to come: the failed lot's escrow goes back to the brand. A
    // completed order heard before this failure completed after the rework passed: that pass is on its way.
    const [order] = await m.query<Pick<OrderRow, 'status'>[]>(`SELECT status FROM ${this.s}.orders WHERE order_id = $1`, [e.orderId]);
    if (e.disposition === 'replan') await this.withdraw(m, lot, 'replanned after failed inspection', meta);
    else if (order && order.status !== 'open' && order.status !== 'completed') {
      await this.withdraw(m, lot, `failed inspection after the order was ${order.status}`, meta);
    }
  }

  async onSubtaskCancelled(e: SubtaskCancelledContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const lot = await this.lot(m, e.subtaskId);
    // Cancelled with its order: the refund reads as the order's, whichever of the two settlement hears
    // first (the order's cancellation comes from orders, the subtask's from matching, on other topics).
    const reason = e.cause === 'order_cancelled' ? 'order cancelled' : `subtask cancelled: ${e.reason}`;
    if (lot && !lot.passed_at) await this.withdraw(m, lot, reason, meta);
  }

  /**
   * Completed, cancelled or failed: passed lots are already paid; escrow of lots that did not pass goes
   * back to the brand, lots still waiting for funds are dropped, the order is settled (`OrderSettled`).
   */
  async onOrderClosed(orderId: string, brandId: string, status: Exclude<OrderStatus, 'open'>, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, brandId);
    const order = await this.ensureOrder(m, orderId, brandId, null);
    if (order.status !== 'open') return;
    const lots: LotRow[] = await m.query(`SELECT * FROM ${this.s}.lots WHERE order_id = $1 ORDER BY subtask_id`, [orderId]);
    // Work delivered and not yet judged (heldAtClose) is judged like any other:
    // paid if it passes, refunded if it fails (onInspectionFailed). Refunding it here would make the
    // outcome depend on whether inspection's verdict overtook the order's closing on the way here.
    const held = (lot: LotRow) => heldAtClose(lot, status);
    for (const lot of lots) {
      if (lot.passed_at || held(lot)) continue;
      await this.withdraw(m, lot, `order ${status}`, meta, false);
    }
    // A lot that passed but is not paid yet (its SubtaskCompleted, from another topic, has not arrived),
    // or that is held for its inspection, keeps its escrow. Anything beyond that goes back to the brand.
    const owed = new Map<string, bigint>();
    for (const lot of lots) {
      if ((lot.passed_at || held(lot)) && lot.status === 'escrowed' && lot.price_minor !== null && lot.currency) {
        owed.set(lot.currency, (owed.get(lot.currency) ?? 0n) + parseMinor(lot.price_minor));
      }
    }
    for (const account of await this.ledger.accountsOfOrder(orderId, m)) {
      const leftover = toMinor(account.balanceMinor) - (owed.get(account.currency) ?? 0n);
      if (account.purpose !== 'order_escrow' || leftover <= 0n) continue;
      await this.ledger.post(m, {
        transferId: `close:${orderId}:${account.currency}`,
        kind: 'order_refund',
        currency: account.currency,
        orderId,
        legs: move(Accounts.orderEscrow(orderId, brandId, account.currency), Accounts.brandFunds(brandId, account.currency), leftover),
        memo: `leftover escrow of ${status} order`,
      });
    }
    const closedAt = this.settings.clock();
    await m.query(`UPDATE ${this.s}.orders SET status = $2, closed_at = $3 WHERE order_id = $1`, [orderId, status, closedAt]);
    const currency = order.currency ?? this.settings.currency;
    const totals = await this.orderTotals(m, orderId);
    await this.append(m, `settlement-order-${orderId}`, [
      {
        type: 'OrderSettled',
        data: {
          orderId,
          brandId,
          paidToWorkshops: { amountMinor: totals.paidToWorkshopsMinor, currency },
          refundedToBrand: { amountMinor: totals.refundedToBrandMinor, currency },
          statementId: `statement:${orderId}`,
        },
      },
    ], meta);
    await this.fundPending(m, brandId, currency, meta);
  }

  // ---------------------------------------------------------------- HTTP-driven flows

  /**
   * Credits CONFIRMED money to a brand's funds (a provider-confirmed payment, a reconciled bank-statement
   * line, an approved manual credit: apps/settlement/src/funding), then funds its waiting lots oldest
   * first. Runs in the caller's transaction; `transferId` makes the ledger posting happen once.
   */
  async creditConfirmedFunds(m: EntityManager, brandId: string, amount: Money, transferId: string, memo: string, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, brandId);
    const funds = Accounts.brandFunds(brandId, amount.currency);
    await this.ledger.post(m, { transferId, kind: 'deposit', currency: amount.currency, legs: move(Accounts.bankClearing(amount.currency), funds, amount.amountMinor), memo });
    const afterCredit = await this.ledger.balance(funds.id, m);
    await this.append(m, `settlement-brand-${brandId}`, [
      { type: 'FundsDeposited', data: { brandId, depositId: transferId, amount, available: { amountMinor: afterCredit, currency: amount.currency } } },
    ], meta);
    await this.fundPending(m, brandId, amount.currency, meta);
  }

  /** Moves (part of) the workshop's payable balance to a pending payout the operator marks paid. */
  async requestPayout(workshopId: string, currency: string, amountMinor: number | undefined, key: string, request: unknown): Promise<{ status: number; body: PayoutView; replayed: boolean }> {
    return this.db.idempotency.run(`payout:${workshopId}`, key, request, async (m) => {
      const payable = Accounts.workshopPayable(workshopId, currency);
      const pending = Accounts.workshopPayoutPending(workshopId, currency);
      const balances = await this.ledger.lock(m, [payable, pending]);
      const available = balances.get(payable.id) ?? 0n;
      const amount = amountMinor === undefined ? available : toMinor(amountMinor);
      if (amount <= 0n) throw new DomainError('nothing_to_pay_out', `there is no ${currency} balance to pay out`, 'rejected', { availableMinor: toJsonMinor(available), currency });
      if (amount > available) throw new InsufficientFunds(payable.id, available, amount, currency);
      const payoutId = `payout-${randomUUID()}`;
      await this.ledger.post(m, { transferId: `payout:${payoutId}`, kind: 'payout_request', currency, legs: move(payable, pending, amount), memo: `payout ${payoutId} requested` });
      const requestedAt = this.settings.clock();
      await m.query(
        `INSERT INTO ${this.s}.payouts (payout_id, workshop_id, amount_minor, currency, status, requested_at) VALUES ($1, $2, $3, $4, 'pending', $5)`,
        [payoutId, workshopId, String(amount), currency, requestedAt],
      );
      await this.append(m, `settlement-workshop-${workshopId}`, [
        { type: 'PayoutRequested', data: { payoutId, workshopId, amount: { amountMinor: toJsonMinor(amount), currency } } },
      ], { correlationId: payoutId, causationId: `http:payout:${workshopId}:${key}` });
      return { status: 201, body: toPayout((await this.payoutRow(m, payoutId))!) };
    });
  }

  /** The operator confirms the bank paid the workshop: pending payout → external clearing. Idempotent. */
  async markPayoutPaid(payoutId: string, bankReference: string | undefined, operator: string): Promise<PayoutView> {
    return this.db.dataSource.transaction(async (m) => {
      const rows: PayoutRow[] = await m.query(`SELECT * FROM ${this.s}.payouts WHERE payout_id = $1 FOR UPDATE`, [payoutId]);
      if (rows.length === 0) throw new NotFound('payout', payoutId);
      const payout = rows[0];
      if (payout.status === 'paid') return toPayout(payout);
      const amount = minorFromDb(payout.amount_minor);
      await this.ledger.post(m, {
        transferId: `payout-paid:${payoutId}`,
        kind: 'payout_paid',
        currency: payout.currency,
        legs: move(Accounts.workshopPayoutPending(payout.workshop_id, payout.currency), Accounts.bankClearing(payout.currency), amount),
        memo: bankReference ? `paid, bank reference ${bankReference}` : 'paid',
      });
      await m.query(`UPDATE ${this.s}.payouts SET status = 'paid', paid_at = $2, bank_reference = $3 WHERE payout_id = $1`, [payoutId, this.settings.clock(), bankReference ?? null]);
      await this.append(m, `settlement-workshop-${payout.workshop_id}`, [
        { type: 'PayoutPaid', data: { payoutId, workshopId: payout.workshop_id, amount: { amountMinor: amount, currency: payout.currency }, bankReference: bankReference ?? null, markedBy: operator } },
      ], { correlationId: payoutId, causationId: `http:payout-paid:${payoutId}` });
      return toPayout((await this.payoutRow(m, payoutId))!);
    });
  }

  async payouts(workshopId: string | undefined): Promise<PayoutView[]> {
    const rows: PayoutRow[] = await this.db.dataSource.query(
      `SELECT * FROM ${this.s}.payouts WHERE $1::text IS NULL OR workshop_id = $1 ORDER BY requested_at DESC, payout_id LIMIT 500`,
      [workshopId ?? null],
    );
    return rows.map(toPayout);
  }

  // ---------------------------------------------------------------- reads

  async order(orderId: string): Promise<OrderRow | undefined> {
    const rows: OrderRow[] = await this.db.dataSource.query(`SELECT * FROM ${this.s}.orders WHERE order_id = $1`, [orderId]);
    return rows[0];
  }

  async statement(order: OrderRow) {
    const lots: LotRow[] = await this.db.dataSource.query(`SELECT * FROM ${this.s}.lots WHERE order_id = $1 ORDER BY accepted_at NULLS LAST, subtask_id`, [order.order_id]);
    const totals = await this.orderTotals(this.db.dataSource.manager, order.order_id);
    const movements = (await this.ledger.transfers({ orderId: order.order_id, limit: 10_000 })).reverse();
    const currency = order.currency ?? this.settings.currency;
    return {
      statementId: `statement:${order.order_id}`,
      orderId: order.order_id,
      brandId: order.brand_id,
      status: order.status,
      currency,
      closedAt: order.closed_at?.toISOString() ?? null,
      lots: lots.map((l) => ({
        subtaskId: l.subtask_id,
        stepId: l.step_id,
        workshopId: l.workshop_id,
        status: l.status,
        priceMinor: l.price_minor === null ? null : minorFromDb(l.price_minor),
        passedAt: l.passed_at?.toISOString() ?? null,
        failures: l.failures,
        feeMinor: l.fee_minor === null ? null : minorFromDb(l.fee_minor),
        penaltyMinor: l.penalty_minor === null ? null : minorFromDb(l.penalty_minor),
        netMinor: l.net_minor === null ? null : minorFromDb(l.net_minor),
        daysLate: l.days_late,
        paidAt: l.paid_at?.toISOString() ?? null,
      })),
      totals,
      /** escrowed = released (gross) + refunded + still in escrow; released = paid to workshops + fees + penalties. */
      reconciles:
        totals.escrowedMinor === totals.releasedGrossMinor + totals.refundedToBrandMinor + totals.escrowBalanceMinor &&
        totals.releasedGrossMinor === totals.paidToWorkshopsMinor + totals.platformFeesMinor + totals.penaltiesCreditedMinor,
      movements,
    };
  }

  /** Invariants beyond the trial balance: each passed lot paid once, no escrow left on a closed order. */
  async audit() {
    const ds = this.db.dataSource;
    const paidTwice: { subtask_id: string }[] = await ds.query(
      `SELECT subtask_id FROM ${this.s}.transfers WHERE kind = 'lot_release' GROUP BY subtask_id HAVING count(*) > 1`,
    );
    const paidWithoutRelease: { subtask_id: string }[] = await ds.query(
      `SELECT l.subtask_id FROM ${this.s}.lots l WHERE l.status = 'paid' AND l.price_minor > 0
         AND NOT EXISTS (SELECT 1 FROM ${this.s}.transfers t WHERE t.kind = 'lot_release' AND t.subtask_id = l.subtask_id)`,
    );
    // A closed order may still hold the escrow of its lots that are owed a verdict or a payment (status
    // 'escrowed': passed and waiting for their completion, or delivered and waiting for inspection); beyond that, nothing.
    const closedWithEscrow: { order_id: string; balance: string }[] = await ds.query(
      `SELECT o.order_id, (sum(a.balance) - coalesce(h.held, 0))::text AS balance
         FROM ${this.s}.orders o JOIN ${this.s}.accounts a ON a.order_id = o.order_id
         LEFT JOIN (SELECT order_id, sum(price_minor) AS held FROM ${this.s}.lots WHERE status = 'escrowed' GROUP BY order_id) h ON h.order_id = o.order_id
       WHERE o.status <> 'open' GROUP BY o.order_id, h.held HAVING sum(a.balance) <> coalesce(h.held, 0)`,
    );
    const passedUnpaid: { subtask_id: string; status: string }[] = await ds.query(
      `SELECT subtask_id, status FROM ${this.s}.lots WHERE passed_at IS NOT NULL AND status <> 'paid' ORDER BY subtask_id`,
    );
    const awaitingFunds: { n: number }[] = await ds.query(`SELECT count(*)::int AS n FROM ${this.s}.lots WHERE status = 'awaiting_funds'`);
    return {
      lotsPaidMoreThanOnce: paidTwice.map((r) => r.subtask_id),
      paidLotsWithoutRelease: paidWithoutRelease.map((r) => r.subtask_id),
      closedOrdersWithEscrow: closedWithEscrow.map((r) => ({ orderId: r.order_id, balanceMinor: minorFromDb(r.balance) })),
      /** Not violations: passed lots waiting for their acceptance or for funds (visible, never dropped). */
      passedLotsAwaitingPayment: passedUnpaid.map((r) => ({ subtaskId: r.subtask_id, status: r.status })),
      lotsAwaitingFunds: awaitingFunds[0].n,
    };
  }

  // ---------------------------------------------------------------- internals

  /** Funds the lot from the brand's available funds, or parks it as awaiting_funds (FundsShort). */
  private async fund(m: EntityManager, lot: LotRow, meta: EventMetadata, announceShortfall: boolean): Promise<boolean> {
    if (lot.price_minor === null || lot.currency === null) return false; // no agreed price yet: waits for the acceptance
    const price = parseMinor(lot.price_minor);
    const currency = lot.currency;
    const funds = Accounts.brandFunds(lot.brand_id, currency);
    const escrow = Accounts.orderEscrow(lot.order_id, lot.brand_id, currency);
    const balances = await this.ledger.lock(m, [funds, escrow]);
    const available = balances.get(funds.id) ?? 0n;
    const stream = `settlement-order-${lot.order_id}`;
    if (available < price) {
      await this.setStatus(m, lot.subtask_id, 'awaiting_funds');
      if (announceShortfall) {
        await this.append(m, stream, [
          {
            type: 'FundsShort',
            data: {
              orderId: lot.order_id,
              subtaskId: lot.subtask_id,
              brandId: lot.brand_id,
              required: { amountMinor: toJsonMinor(price), currency },
              available: { amountMinor: toJsonMinor(available), currency },
            },
          },
        ], meta);
      }
      return false;
    }
    const fundings = lot.fundings + 1;
    if (price > 0n) {
      await this.ledger.post(m, {
        transferId: `escrow:${lot.subtask_id}:${fundings}`,
        kind: 'escrow_funding',
        currency,
        orderId: lot.order_id,
        subtaskId: lot.subtask_id,
        legs: move(funds, escrow, price),
      });
    }
    await m.query(`UPDATE ${this.s}.lots SET status = 'escrowed', fundings = $2, updated_at = now() WHERE subtask_id = $1`, [lot.subtask_id, fundings]);
    await this.append(m, stream, [
      { type: 'EscrowFunded', data: { orderId: lot.order_id, subtaskId: lot.subtask_id, brandId: lot.brand_id, amount: { amountMinor: toJsonMinor(price), currency } } },
    ], meta);
    if (lot.passed_at && lot.completed_at) await this.release(m, { ...lot, status: 'escrowed', fundings }, meta);
    return true;
  }

  private async release(m: EntityManager, lot: LotRow, meta: EventMetadata): Promise<void> {
    const gross = minorFromDb(lot.price_minor);
    const currency = lot.currency!;
    const delivered = lot.completed_at ?? lot.passed_at;
    const due = lot.due_at ?? lot.planned_end;
    const late = delivered && due ? daysLate(delivered, due, this.settings.policy.graceHours) : 0;
    const split = splitRelease(gross, this.settings.policy, late);
    const legs: Leg[] = [{ account: Accounts.orderEscrow(lot.order_id, lot.brand_id, currency), amountMinor: -gross }];
    if (split.net > 0) legs.push({ account: Accounts.workshopPayable(lot.workshop_id, currency), amountMinor: split.net });
    if (split.fee > 0) legs.push({ account: Accounts.platformFees(currency), amountMinor: split.fee });
    if (split.penalty > 0) legs.push({ account: Accounts.brandFunds(lot.brand_id, currency), amountMinor: split.penalty });
    if (gross > 0) {
      await this.ledger.post(m, {
        transferId: `release:${lot.subtask_id}`,
        kind: 'lot_release',
        currency,
        orderId: lot.order_id,
        subtaskId: lot.subtask_id,
        legs,
        memo: split.daysLate > 0 ? `${split.daysLate} day(s) late` : undefined,
      });
    }
    await m.query(
      `UPDATE ${this.s}.lots SET status = 'paid', fee_minor = $2, penalty_minor = $3, net_minor = $4, days_late = $5, paid_at = $6, updated_at = now() WHERE subtask_id = $1`,
      [lot.subtask_id, String(split.fee), String(split.penalty), String(split.net), split.daysLate, this.settings.clock()],
    );
    const money = (amountMinor: number) => ({ amountMinor, currency });
    await this.append(m, `settlement-order-${lot.order_id}`, [
      {
        type: 'PaymentReleased',
        data: {
          orderId: lot.order_id,
          subtaskId: lot.subtask_id,
          workshopId: lot.workshop_id,
          gross: money(gross),
          platformFee: money(split.fee),
          penalty: money(split.penalty),
          net: money(split.net),
        },
      },
    ], meta);
    if (split.penalty > 0) await this.fundPending(m, lot.brand_id, currency, meta);
  }

  /** A lot that will not be paid: its escrow goes back to the brand; if it was waiting for funds, it stops waiting. */
  private async withdraw(m: EntityManager, lot: LotRow, reason: string, meta: EventMetadata, fundOthers = true): Promise<void> {
    switch (lot.status) {
      case 'escrowed': {
        const price = minorFromDb(lot.price_minor);
        const currency = lot.currency!;
        if (price > 0) {
          await this.ledger.post(m, {
            transferId: `refund:${lot.subtask_id}:${lot.fundings}`,
            kind: 'lot_refund',
            currency,
            orderId: lot.order_id,
            subtaskId: lot.subtask_id,
            legs: move(Accounts.orderEscrow(lot.order_id, lot.brand_id, currency), Accounts.brandFunds(lot.brand_id, currency), price),
            memo: reason,
          });
        }
        await this.setStatus(m, lot.subtask_id, 'refunded');
        await this.append(m, `settlement-order-${lot.order_id}`, [
          { type: 'EscrowRefunded', data: { orderId: lot.order_id, subtaskId: lot.subtask_id, brandId: lot.brand_id, amount: { amountMinor: price, currency }, reason } },
        ], meta);
        if (fundOthers) await this.fundPending(m, lot.brand_id, currency, meta);
        return;
      }
      case 'awaiting_funds':
      case 'awaiting_acceptance':
        await this.setStatus(m, lot.subtask_id, 'cancelled');
        return;
      case 'paid':
      case 'refunded':
      case 'cancelled':
        return;
    }
  }

  /** Funds the brand's waiting lots, oldest acceptance first, stopping at the first that does not fit. */
  private async fundPending(m: EntityManager, brandId: string, currency: string, meta: EventMetadata): Promise<string[]> {
    const waiting: LotRow[] = await m.query(
      `SELECT * FROM ${this.s}.lots WHERE brand_id = $1 AND currency = $2 AND status = 'awaiting_funds' ORDER BY accepted_at, subtask_id`,
      [brandId, currency],
    );
    const funded: string[] = [];
    for (const lot of waiting) {
      if (!(await this.fund(m, lot, meta, false))) break;
      funded.push(lot.subtask_id);
    }
    return funded;
  }

  private async orderTotals(m: EntityManager, orderId: string) {
    const rows: { kind: string; purpose: string; total: string }[] = await m.query(
      `SELECT t.kind, a.purpose, sum(e.amount)::text AS total
       FROM ${this.s}.transfers t JOIN ${this.s}.entries e ON e.transfer_id = t.id JOIN ${this.s}.accounts a ON a.id = e.account_id
       WHERE t.order_id = $1 GROUP BY t.kind, a.purpose`,
      [orderId],
    );
    // Exact sums in bigint, converted once (checked) for the statement's JSON.
    const sum = (kinds: string[], purpose: string) =>
      toJsonMinor(rows.filter((r) => kinds.includes(r.kind) && r.purpose === purpose).reduce((acc, r) => acc + parseMinor(r.total), 0n));
    const escrowBalance = toJsonMinor((await this.ledger.accountsOfOrder(orderId, m)).reduce((acc, a) => acc + toMinor(a.balanceMinor), 0n));
    return {
      escrowedMinor: sum(['escrow_funding'], 'order_escrow'),
      releasedGrossMinor: -sum(['lot_release'], 'order_escrow'),
      paidToWorkshopsMinor: sum(['lot_release'], 'workshop_payable'),
      platformFeesMinor: sum(['lot_release'], 'platform_fees'),
      penaltiesCreditedMinor: sum(['lot_release'], 'brand_funds'),
      refundedToBrandMinor: sum(['lot_refund', 'order_refund'], 'brand_funds'),
      escrowBalanceMinor: escrowBalance,
    };
  }

  /**
   * Takes the brand's lock for the rest of `m`'s transaction (re-entrant). Flows that start elsewhere
   * (money in: apps/settlement/src/funding) take it before their first write, see FundingService.
   */
  async lockBrand(m: EntityManager, brandId: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`meshfab-settlement:${this.db.schema}:brand:${brandId}`]);
  }

  private async ensureOrder(m: EntityManager, orderId: string, brandId: string, currency: string | null): Promise<OrderRow> {
    await m.query(`INSERT INTO ${this.s}.orders (order_id, brand_id, currency) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING`, [orderId, brandId, currency]);
    const rows: OrderRow[] = await m.query(`SELECT * FROM ${this.s}.orders WHERE order_id = $1`, [orderId]);
    const order = rows[0];
    if (order.brand_id !== brandId) {
      throw new DomainError('order_brand_mismatch', `order ${orderId} belongs to ${order.brand_id}, not ${brandId}`, 'conflict');
    }
    if (currency !== null && order.currency === null) {
      await m.query(`UPDATE ${this.s}.orders SET currency = $2 WHERE order_id = $1`, [orderId, currency]);
      return { ...order, currency };
    }
    if (currency !== null && order.currency !== currency) {
      throw new DomainError('currency_mismatch', `order ${orderId} is settled in ${order.currency}; a lot priced in ${currency} cannot be escrowed`, 'rejected');
    }
    return order;
  }

  private async lot(m: EntityManager, subtaskId: string): Promise<LotRow | undefined> {
    const rows: LotRow[] = await m.query(`SELECT * FROM ${this.s}.lots WHERE subtask_id = $1`, [subtaskId]);
    return rows[0];
  }

  private async payoutRow(m: EntityManager, payoutId: string): Promise<PayoutRow | undefined> {
    const rows: PayoutRow[] = await m.query(`SELECT * FROM ${this.s}.payouts WHERE payout_id = $1`, [payoutId]);
    return rows[0];
  }

  private async setStatus(m: EntityManager, subtaskId: string, status: LotStatus): Promise<void> {
    await m.query(`UPDATE ${this.s}.lots SET status = $2, updated_at = now() WHERE subtask_id = $1`, [subtaskId, status]);
  }

  private async append(m: EntityManager, streamId: string, events: NewEvent[], metadata: EventMetadata): Promise<void> {
    await this.db.store.append(streamId, events, { expectedVersion: 'any', metadata, manager: m });
  }
}
