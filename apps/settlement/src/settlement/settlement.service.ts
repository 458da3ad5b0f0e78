import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type {
  InspectionDisputeResolvedContract,
  InspectionFailedContract,
  InspectionPassedContract,
  SubtaskAcceptedContract,
  SubtaskCancelledContract,
  SubtaskCompletedContract,
} from '#libs/contracts';
import { CommandHandler, ident, ServiceDatabase, TransactionLocks, type EventMetadata } from '#libs/eventsourcing';
import { Accounts } from '../ledger/domain/accounts.js';
import { minorFromDb, parseMinor, toJsonMinor, toMinor, type Money } from '../ledger/domain/money.js';
import { move, type TransferRequest } from '../ledger/domain/transfer.js';
import { Ledger } from '../ledger/ledger.js';
import { brandFundsDecider, brandFundsStream, type BrandFundsCommand, type BrandFundsEvent, type BrandFundsState } from './domain/brand-funds.decider.js';
import { lotPaymentDecider, lotStream, type ClosedOrderStatus, type LotContext, type LotIdentity, type LotPaymentCommand, type LotPaymentEvent, type LotPaymentState, type LotStatus } from './domain/lot-payment.decider.js';
import { lotPosting } from './domain/lot-postings.js';
import { orderPostings, orderSettlementDecider, orderStream, type OrderSettlementCommand, type OrderSettlementEvent, type OrderSettlementState } from './domain/order-settlement.decider.js';
import { SETTLEMENT_SETTINGS, type SettlementSettings } from './settlement-settings.js';
import { lotsProjection, ordersProjection } from './settlement.projections.js';

export type { LotStatus };
export type OrderStatus = 'open' | ClosedOrderStatus;

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
  passed_at: Date | null;
  failures: number;
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

/** The lot a consumed event is about. */
const identity = (e: { orderId: string; subtaskId: string; brandId: string; workshopId: string; stepId: string }): LotIdentity => ({
  orderId: e.orderId,
  subtaskId: e.subtaskId,
  brandId: e.brandId,
  workshopId: e.workshopId,
  stepId: e.stepId,
});

const parseTime = (text: string | undefined, fallback: Date): string => {
  const t = text ? new Date(text) : undefined;
  return (t && !Number.isNaN(t.getTime()) ? t : fallback).toISOString();
};

/**
 * The money flows of orders, on one write path: every change is a command decided by a stream's decider
 * (a lot's payment: lot-payment.decider.ts; an order's settlement: order-settlement.decider.ts; a brand's
 * funds: brand-funds.decider.ts), appended with the version it was decided on; the ledger transfers the
 * new events stand for are posted and the read models (`lots`, `orders`) updated in the same transaction
 * (the consumer's inbox transaction or the HTTP request's).
 *
 * Concurrency: every flow that touches a brand's money first takes a transaction-scoped advisory lock on
 * the brand, so the flows of one brand (and of its orders and lots) run one at a time; account rows are
 * then locked FOR UPDATE (ascending id) by the ledger. The lock order is always brand → accounts ascending.
 */
@Injectable()
export class SettlementService {
  private readonly s: string;
  private readonly lots: CommandHandler<LotPaymentState, LotPaymentCommand, LotPaymentEvent>;
  private readonly orders: CommandHandler<OrderSettlementState, OrderSettlementCommand, OrderSettlementEvent>;
  private readonly brands: CommandHandler<BrandFundsState, BrandFundsCommand, BrandFundsEvent>;
  /** The brand's lock, asked for once per transaction (a consumer's batch may hold several events of one brand). */
  private readonly locks: TransactionLocks;

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(Ledger) private readonly ledger: Ledger,
    @Inject(SETTLEMENT_SETTINGS) private readonly settings: SettlementSettings,
  ) {
    this.s = ident(db.schema);
    this.lots = new CommandHandler(db.dataSource, db.store, lotPaymentDecider, { projections: [lotsProjection(db.schema)] });
    this.orders = new CommandHandler(db.dataSource, db.store, orderSettlementDecider, { projections: [ordersProjection(db.schema)] });
    this.brands = new CommandHandler(db.dataSource, db.store, brandFundsDecider);
    this.locks = new TransactionLocks(db.dataSource);
  }

  // ---------------------------------------------------------------- event-driven flows

  /** The lot's agreed price moves from the brand's funds into the order's escrow, or the lot waits for funds. */
  async onSubtaskAccepted(e: SubtaskAcceptedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const order = await this.trackOrder(m, e.orderId, e.brandId, e.price.currency, meta);
    const context = await this.context(m, e.orderId, e.brandId, e.price.currency, true, order.status);
    const price = { amountMinor: e.price.amountMinor, currency: e.price.currency };
    await this.lot(m, meta, { type: 'AcceptLot', lot: identity(e), price, acceptedAt: e.acceptedAt, plannedEnd: e.plannedEnd ?? null, context });
  }

  /**
   * Records when the lot was delivered and when it was due (for the late-delivery penalty). A lot is paid
   * only once both its pass and its completion are known: inspection opens lots from completions, so the
   * completion always exists, but as another producer's event it may reach settlement after the pass.
   */
  async onSubtaskCompleted(e: SubtaskCompletedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const order = await this.trackOrder(m, e.orderId, e.brandId, null, meta);
    const context = await this.context(m, e.orderId, e.brandId, null, false, order.status);
    await this.lot(m, meta, { type: 'RecordDelivery', lot: identity(e), completedAt: e.completedAt, dueAt: e.dueAt ?? null, context });
  }

  /** Pays the lot exactly once: its escrowed price goes to the workshop less fee and late penalty. */
  async onInspectionPassed(e: InspectionPassedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const order = await this.trackOrder(m, e.orderId, e.brandId, null, meta);
    // A pass funds the lot again only when its escrow was returned before (the order closed first).
    const row = await this.lotRow(m, e.subtaskId);
    const context = await this.context(m, e.orderId, e.brandId, row?.currency ?? null, row?.status === 'refunded' || row?.status === 'cancelled', order.status);
    await this.lot(m, meta, { type: 'RecordPass', lot: identity(e), passedAt: parseTime(e.inspectedAt, this.settings.clock()), passedQuantity: e.passedQuantity, context });
  }

  /**
   * Withholds payment. Rework: the escrow stays, the lot is paid once when its rework passes.
   * Re-plan: this subtask will never pass, its escrow goes back to the brand (the replacement subtask is
   * funded on its own acceptance); scrap is not paid for.
   */
  async onInspectionFailed(e: InspectionFailedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    const context = await this.context(m, e.orderId, e.brandId, null, false);
    await this.lot(m, meta, { type: 'RecordFailure', lot: identity(e), disposition: e.disposition, inspectionLotId: e.inspectionLotId, context });
  }

  /**
   * A dispute's re-inspection is final (issue 17): an overturned fail is paid as a pass; an overturned pass is
   * owed nothing — its payment is clawed back from the workshop's available balance (and the fee from the
   * platform) to the brand, or its escrow refunded if it was not paid yet.
   */
  async onInspectionDisputeResolved(e: InspectionDisputeResolvedContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    if (!e.overturned) return;
    await this.lockBrand(m, e.brandId);
    const order = await this.trackOrder(m, e.orderId, e.brandId, null, meta);
    const row = await this.lotRow(m, e.subtaskId);
    const currency = row?.currency ?? null;
    let workshopAvailable = 0n;
    if (e.finalOutcome === 'failed' && currency) {
      const payable = Accounts.workshopPayable(e.workshopId, currency);
      workshopAvailable = (await this.ledger.lock(m, [payable])).get(payable.id) ?? 0n;
    }
    const mayFund = e.finalOutcome === 'passed' && (row?.status === 'refunded' || row?.status === 'cancelled');
    const context = await this.context(m, e.orderId, e.brandId, currency, mayFund, order.status);
    await this.lot(m, meta, {
      type: 'ResolveDispute',
      lot: identity(e),
      finalOutcome: e.finalOutcome,
      overturned: e.overturned,
      passedQuantity: e.passedQuantity,
      reinspectorId: e.reinspectorId,
      resolvedAt: parseTime(e.resolvedAt, this.settings.clock()),
      workshopAvailable,
      context,
    });
  }

  async onSubtaskCancelled(e: SubtaskCancelledContract, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, e.brandId);
    // Cancelled with its order: the refund reads as the order's, whichever of the two settlement hears
    // first (the order's cancellation comes from orders, the subtask's from matching, on other topics).
    const reason = e.cause === 'order_cancelled' ? 'order cancelled' : `subtask cancelled: ${e.reason}`;
    await this.lot(m, meta, { type: 'WithdrawLot', reason }, e.subtaskId);
  }

  /**
   * Completed, cancelled or failed: passed lots are already paid; escrow of lots that did not pass goes
   * back to the brand, lots still waiting for funds are dropped, the order is settled (`OrderSettled`).
   */
  async onOrderClosed(orderId: string, brandId: string, status: ClosedOrderStatus, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, brandId);
    const order = await this.trackOrder(m, orderId, brandId, null, meta);
    if (order.status !== 'open') return;
    const lots: { subtask_id: string }[] = await m.query(`SELECT subtask_id FROM ${this.s}.lots WHERE order_id = $1 ORDER BY subtask_id`, [orderId]);
    // Work delivered and not yet judged is judged like any other (heldAtClose in the lot's decider).
    for (const lot of lots) await this.lot(m, meta, { type: 'CloseLot', orderStatus: status }, lot.subtask_id, false);
    // A lot that passed but is not paid yet, or that is held for its inspection, keeps its escrow. Anything beyond that goes back to the brand.
    const owedRows: { currency: string; owed: string }[] = await m.query(
      `SELECT currency, sum(price_minor)::text AS owed FROM ${this.s}.lots WHERE order_id = $1 AND status = 'escrowed' AND price_minor IS NOT NULL GROUP BY currency`,
      [orderId],
    );
    const owed = new Map(owedRows.map((r) => [r.currency, parseMinor(r.owed)]));
    const leftover: Money[] = [];
    for (const account of await this.ledger.accountsOfOrder(orderId, m)) {
      const rest = toMinor(account.balanceMinor) - (owed.get(account.currency) ?? 0n);
      if (account.purpose === 'order_escrow' && rest > 0n) leftover.push({ amountMinor: toJsonMinor(rest), currency: account.currency });
    }
    const currency = order.currency ?? this.settings.currency;
    const totals = await this.orderTotals(m, orderId);
    const refundedNow = leftover.filter((l) => l.currency === currency).reduce((sum, l) => sum + l.amountMinor, 0);
    const { decided } = await this.orders.handle(
      orderStream(orderId),
      {
        type: 'CloseOrder',
        orderId,
        brandId,
        status,
        now: this.settings.clock(),
        leftover,
        paidToWorkshopsMinor: totals.paidToWorkshopsMinor,
        refundedToBrandMinor: totals.refundedToBrandMinor + refundedNow,
        fallbackCurrency: this.settings.currency,
      },
      { manager: m, metadata: meta },
    );
    for (const event of decided) for (const transfer of orderPostings(event)) await this.ledger.post(m, transfer);
    await this.fundPending(m, brandId, currency, meta);
  }

  // ---------------------------------------------------------------- money in

  /**
   * Credits CONFIRMED money to a brand's funds (a provider-confirmed payment, a reconciled bank-statement
   * line, an approved manual credit: apps/settlement/src/funding), then funds its waiting lots oldest
   * first. Runs in the caller's transaction; `transferId` makes the ledger posting happen once.
   */
  async creditConfirmedFunds(m: EntityManager, brandId: string, amount: Money, transferId: string, memo: string, meta: EventMetadata): Promise<void> {
    await this.lockBrand(m, brandId);
    const funds = Accounts.brandFunds(brandId, amount.currency);
    const posted = await this.ledger.post(m, { transferId, kind: 'deposit', currency: amount.currency, legs: move(Accounts.bankClearing(amount.currency), funds, amount.amountMinor), memo });
    if (!posted.replayed) {
      const available = await this.ledger.exactBalance(funds.id, m);
      await this.brands.handle(brandFundsStream(brandId), { type: 'CreditFunds', brandId, depositId: transferId, amount, available }, { manager: m, metadata: meta });
    }
    await this.fundPending(m, brandId, amount.currency, meta);
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
    // Overturned passes whose net the workshop had already paid out: owed by the workshop, for the operator to collect.
    const uncovered: { subtask_id: string; workshop_id: string; uncovered: string; currency: string }[] = await ds.query(
      `SELECT data->>'subtaskId' AS subtask_id, data->>'workshopId' AS workshop_id, data->'uncovered'->>'amountMinor' AS uncovered, data->'uncovered'->>'currency' AS currency
         FROM ${this.s}.events WHERE type = 'PaymentClawedBack' AND (data->'uncovered'->>'amountMinor')::bigint > 0 ORDER BY global_position`,
    );
    return {
      lotsPaidMoreThanOnce: paidTwice.map((r) => r.subtask_id),
      paidLotsWithoutRelease: paidWithoutRelease.map((r) => r.subtask_id),
      closedOrdersWithEscrow: closedWithEscrow.map((r) => ({ orderId: r.order_id, balanceMinor: minorFromDb(r.balance) })),
      /** Not violations: passed lots waiting for their acceptance or for funds (visible, never dropped). */
      passedLotsAwaitingPayment: passedUnpaid.map((r) => ({ subtaskId: r.subtask_id, status: r.status })),
      lotsAwaitingFunds: awaitingFunds[0].n,
      /** Not violations: clawbacks of overturned passes the workshop's balance did not cover (it owes them). */
      clawbacksNotCovered: uncovered.map((r) => ({ subtaskId: r.subtask_id, workshopId: r.workshop_id, owedMinor: minorFromDb(r.uncovered), currency: r.currency })),
    };
  }

  // ---------------------------------------------------------------- internals

  /**
   * Decides a command on the lot's stream, posts the transfers its events stand for and, when the brand's
   * funds grew (a refund, a late penalty), funds the brand's waiting lots. Returns the decided events.
   */
  private async lot(m: EntityManager, meta: EventMetadata, command: LotPaymentCommand, subtaskId = 'lot' in command ? command.lot.subtaskId : '', fundOthers = true): Promise<LotPaymentEvent[]> {
    const { previous, decided } = await this.lots.handle(lotStream(subtaskId), command, { manager: m, metadata: meta });
    let state = previous;
    let grew: { brandId: string; currency: string } | null = null;
    for (const event of decided) {
      const transfer: TransferRequest | null = lotPosting(state, event);
      if (transfer) await this.ledger.post(m, transfer);
      if (state.lot && (event.type === 'EscrowRefunded' || event.type === 'PaymentClawedBack' || (event.type === 'PaymentReleased' && event.data.penalty.amountMinor > 0))) {
        const currency = event.type === 'EscrowRefunded' ? event.data.amount.currency : event.type === 'PaymentClawedBack' ? event.data.net.currency : event.data.penalty.currency;
        grew = { brandId: state.lot.brandId, currency };
      }
      state = lotPaymentDecider.evolve(state, event);
    }
    if (grew && fundOthers) await this.fundPending(m, grew.brandId, grew.currency, meta);
    return decided;
  }

  /**
   * What a lot's decision needs from outside its stream. The brand's available funds are read (under the
   * accounts' row locks) only for a command that may fund the lot: an acceptance, a pass of a lot whose
   * escrow was returned, a waiting lot's turn.
   */
  private async context(m: EntityManager, orderId: string, brandId: string, currency: string | null, mayFund: boolean, orderStatus?: OrderStatus): Promise<LotContext> {
    // The order's status as the caller tracked it (trackOrder), else from the read model.
    const status = orderStatus ?? (await m.query<Pick<OrderRow, 'status'>[]>(`SELECT status FROM ${this.s}.orders WHERE order_id = $1`, [orderId]))[0]?.status ?? 'open';
    let available = 0n;
    let fundsHeldUntil: string | null = null;
    const now = this.settings.clock();
    if (mayFund && currency) {
      const funds = Accounts.brandFunds(brandId, currency);
      const balances = await this.ledger.lock(m, [funds, Accounts.orderEscrow(orderId, brandId, currency)]);
      available = balances.get(funds.id) ?? 0n;
      if (this.settings.instantFundsHoldDays > 0) {
        const [held]: { until: Date | null }[] = await m.query(
          `SELECT max(held_until) AS until FROM ${this.s}.payment_receipts WHERE brand_id = $1 AND currency = $2 AND status = 'credited' AND held_until > $3`,
          [brandId, currency, now],
        );
        fundsHeldUntil = held?.until ? held.until.toISOString() : null;
      }
    }
    return { available, orderStatus: status, now, policy: this.settings.policy, fundsHeldUntil };
  }

  /** The lot's currency and status from the read model (null: settlement has not heard of the lot's price yet). */
  private async lotRow(m: EntityManager, subtaskId: string): Promise<{ currency: string | null; status: LotStatus } | undefined> {
    const rows: { currency: string | null; status: LotStatus }[] = await m.query(`SELECT currency, status FROM ${this.s}.lots WHERE subtask_id = $1`, [subtaskId]);
    return rows[0];
  }

  private async trackOrder(m: EntityManager, orderId: string, brandId: string, currency: string | null, meta: EventMetadata): Promise<OrderSettlementState> {
    const { state } = await this.orders.handle(orderStream(orderId), { type: 'TrackOrder', orderId, brandId, currency }, { manager: m, metadata: meta });
    return state;
  }

  /** Funds the brand's waiting lots, oldest acceptance first, stopping at the first that does not fit. */
  private async fundPending(m: EntityManager, brandId: string, currency: string, meta: EventMetadata): Promise<void> {
    const waiting: { subtask_id: string; order_id: string }[] = await m.query(
      `SELECT subtask_id, order_id FROM ${this.s}.lots WHERE brand_id = $1 AND currency = $2 AND status = 'awaiting_funds' ORDER BY accepted_at, subtask_id`,
      [brandId, currency],
    );
    for (const lot of waiting) {
      const context = await this.context(m, lot.order_id, brandId, currency, true);
      const decided = await this.lot(m, meta, { type: 'FundWaitingLot', context }, lot.subtask_id, false);
      if (!decided.some((e) => e.type === 'EscrowFunded')) break;
    }
  }

  private async orderTotals(m: EntityManager, orderId: string) {
    const rows: { kind: string; purpose: string; total: string }[] = await m.query(
      `SELECT t.kind, a.purpose, sum(e.amount)::text AS total
       FROM ${this.s}.transfers t CROSS JOIN LATERAL ${this.s}.transfer_legs(t.id, t.leg_accounts, t.leg_amounts) e JOIN ${this.s}.accounts a ON a.id = e.account_id
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
    await this.locks.lock(m, `meshfab-settlement:${this.db.schema}:brand:${brandId}`);
  }

}
