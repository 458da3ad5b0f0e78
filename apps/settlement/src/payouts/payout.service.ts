import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, NotFound } from '#libs/domain';
import { CommandHandler, ident, ServiceDatabase, type EventMetadata } from '#libs/eventsourcing';
import { toCursorPage, type CursorPage } from '#libs/platform';
import { Accounts } from '../ledger/domain/accounts.js';
import { minorFromDb, parseMinor, toJsonMinor, type Money } from '../ledger/domain/money.js';
import { Ledger } from '../ledger/ledger.js';
import { payableNow, payoutDecider, payoutPosting, payoutStream, type HeldFunds, type PayoutCommand, type PayoutEvent, type PayoutState, type PayoutStatus } from '../settlement/domain/payout.decider.js';
import { payoutsProjection } from '../settlement/settlement.projections.js';
import { SETTLEMENT_SETTINGS, type SettlementSettings } from '../settlement/settlement-settings.js';

interface PayoutRow {
  payout_id: string;
  workshop_id: string;
  amount_minor: string;
  currency: string;
  status: PayoutStatus;
  requested_at: Date;
  paid_at: Date | null;
  failed_at: Date | null;
  bank_reference: string | null;
  hold_reason: string | null;
  provider: string | null;
  instruction_id: string | null;
  confirmation_source: string | null;
  confirmation_txid: string | null;
  confirmed_by: string | null;
  failure_reason: string | null;
}

export interface PayoutView {
  payoutId: string;
  workshopId: string;
  amount: Money;
  status: PayoutStatus;
  requestedAt: string;
  paidAt: string | null;
  failedAt: string | null;
  holdReason: string | null;
  provider: string | null;
  /** Who confirmed it and by which transaction: `provider:<name>` or `bank`, and its transaction id. */
  confirmation: { source: string; transactionId: string; confirmedBy: string | null } | null;
  bankReference: string | null;
  failureReason: string | null;
}

const toView = (r: PayoutRow): PayoutView => ({
  payoutId: r.payout_id,
  workshopId: r.workshop_id,
  amount: { amountMinor: minorFromDb(r.amount_minor), currency: r.currency },
  status: r.status,
  requestedAt: r.requested_at.toISOString(),
  paidAt: r.paid_at?.toISOString() ?? null,
  failedAt: r.failed_at?.toISOString() ?? null,
  holdReason: r.hold_reason,
  provider: r.provider,
  confirmation: r.confirmation_source && r.confirmation_txid ? { source: r.confirmation_source, transactionId: r.confirmation_txid, confirmedBy: r.confirmed_by } : null,
  bankReference: r.bank_reference,
  failureReason: r.failure_reason,
});

export const BANK_SOURCE = 'bank';

/**
 * Money out. A workshop's payout request moves its payable balance to payout-pending and leaves an
 * instruction for the payout rail (PayoutDispatcher hands it to the provider); the provider's signed
 * webhook confirms it paid (money leaves through bank clearing) or failed (money back to payable). Without
 * a provider, an operator reconciles a payout against the bank transaction that paid it. A suspended
 * workshop's payouts are held until the registry reinstates it.
 *
 * Every change is a command on the payout's stream (payout.decider.ts), its transfers posted and the
 * `payouts` read model updated in the same transaction. Locks: the workshop (advisory), then the payout
 * (advisory), then accounts ascending.
 */
@Injectable()
export class PayoutService {
  private readonly s: string;
  private readonly handler: CommandHandler<PayoutState, PayoutCommand, PayoutEvent>;

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(Ledger) private readonly ledger: Ledger,
    @Inject(SETTLEMENT_SETTINGS) private readonly settings: SettlementSettings,
  ) {
    this.s = ident(db.schema);
    this.handler = new CommandHandler(db.dataSource, db.store, payoutDecider, { projections: [payoutsProjection(db.schema)] });
  }

  /** Moves (part of) the workshop's payable balance to a new payout; held at once if the workshop is suspended. */
  async request(workshopId: string, currency: string, amountMinor: number | undefined, key: string, request: unknown): Promise<{ status: number; body: PayoutView; replayed: boolean }> {
    return this.db.idempotency.run(`payout:${workshopId}`, key, request, async (m) => {
      await this.lockMember(m, workshopId);
      const payable = Accounts.workshopPayable(workshopId, currency);
      const balances = await this.ledger.lock(m, [payable, Accounts.workshopPayoutPending(workshopId, currency)]);
      const available = balances.get(payable.id) ?? 0n;
      const now = this.settings.clock();
      const held = await this.heldFunds(m, workshopId, currency, now);
      // `{currency}` alone asks for all of it: all that is not on hold.
      const amount: Money = { amountMinor: amountMinor ?? toJsonMinor(payableNow(available, held, now)), currency };
      const payoutId = `payout-${randomUUID()}`;
      const suspended = await this.isSuspended(m, workshopId);
      await this.decide(m, payoutId, { type: 'RequestPayout', payoutId, workshopId, amount, available, held, suspended, now }, {
        correlationId: payoutId,
        causationId: `http:payout:${workshopId}:${key}`,
      });
      return { status: 201, body: (await this.view(m, payoutId))! };
    });
  }

  /**
   * The parts of the workshop's payable balance still on hold: nets of its paid lots whose escrow came from
   * instant money (card, wallet) still inside MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS, by the date each
   * becomes available (the `lots` read model, kept in the transaction that released them).
   */
  private async heldFunds(m: EntityManager, workshopId: string, currency: string, now: Date): Promise<HeldFunds[]> {
    const rows: { available_on: Date; held: string }[] = await m.query(
      `SELECT funds_available_on AS available_on, sum(net_minor)::text AS held FROM ${this.s}.lots
       WHERE workshop_id = $1 AND currency = $2 AND status = 'paid' AND funds_available_on > $3 GROUP BY funds_available_on ORDER BY funds_available_on`,
      [workshopId, currency, now],
    );
    return rows.map((r) => ({ amountMinor: parseMinor(r.held), availableOn: r.available_on.toISOString() }));
  }

  /** The rail took the instruction (again: a resent instruction records nothing new). */
  async recordInstruction(payoutId: string, provider: string, instructionId: string): Promise<void> {
    await this.db.dataSource.transaction(async (m) => {
      await this.lockPayout(m, payoutId);
      await this.decide(m, payoutId, { type: 'RecordInstruction', provider, instructionId, now: this.settings.clock() }, { correlationId: payoutId, causationId: `rail:${provider}:${instructionId}` });
    });
  }

  /**
   * A provider's signed webhook: the payout was paid or failed. Idempotent on the provider's transaction
   * id; a confirmation of a payout that is not the provider's to confirm (held, already settled by other
   * money) is a 409 the provider will see.
   */
  async confirmFromProvider(
    provider: string,
    outcome: { kind: 'payout_paid'; payoutId: string; transactionId: string; amount: Money } | { kind: 'payout_failed'; payoutId: string; transactionId: string; reason: string },
    webhookId: string,
  ): Promise<PayoutView> {
    const confirmation = { source: `provider:${provider}`, transactionId: outcome.transactionId };
    const meta = { correlationId: outcome.payoutId, causationId: `webhook:${provider}:${webhookId}` };
    return this.db.dataSource.transaction(async (m) => {
      await this.lockPayout(m, outcome.payoutId);
      const command: PayoutCommand =
        outcome.kind === 'payout_paid'
          ? { type: 'ConfirmPaid', confirmation, amount: outcome.amount, confirmedBy: confirmation.source, bankReference: null, now: this.settings.clock() }
          : { type: 'ConfirmFailed', confirmation, reason: outcome.reason, now: this.settings.clock() };
      await this.decide(m, outcome.payoutId, command, meta);
      return (await this.view(m, outcome.payoutId))!;
    });
  }

  /**
   * An operator reconciles a payout with the bank transaction that paid it (no provider): the bank's
   * transaction id is required and confirms one payout only, once.
   */
  async reconcileWithBank(payoutId: string, bankTransactionId: string, bankReference: string | undefined, operator: string): Promise<PayoutView> {
    return this.db.dataSource.transaction(async (m) => {
      await this.lockPayout(m, payoutId);
      const row = await this.row(m, payoutId);
      if (!row) throw new NotFound('payout', payoutId);
      const [other]: { payout_id: string }[] = await m.query(
        `SELECT payout_id FROM ${this.s}.payouts WHERE currency = $1 AND confirmation_source = $2 AND confirmation_txid = $3 AND payout_id <> $4`,
        [row.currency, BANK_SOURCE, bankTransactionId, payoutId],
      );
      if (other) {
        throw new DomainError('bank_transaction_already_reconciled', `bank transaction ${bankTransactionId} already confirmed payout ${other.payout_id}`, 'conflict', {
          bankTransactionId,
          payoutId: other.payout_id,
        });
      }
      const amount = { amountMinor: minorFromDb(row.amount_minor), currency: row.currency };
      await this.decide(
        m,
        payoutId,
        { type: 'ConfirmPaid', confirmation: { source: BANK_SOURCE, transactionId: bankTransactionId }, amount, confirmedBy: operator, bankReference: bankReference ?? null, now: this.settings.clock() },
        { correlationId: payoutId, causationId: `http:payout-paid:${payoutId}:${bankTransactionId}` },
      );
      return (await this.view(m, payoutId))!;
    });
  }

  /** The registry suspended the workshop: nothing of its leaves until it is reinstated. */
  async onMemberSuspended(memberId: string, reason: string, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockMember(m, memberId);
    // The same table the token guard reads (revoked-tokens.module.ts keeps it too where the registry is not hosted).
    await m.query(`INSERT INTO ${this.s}.suspended_members (member_id) VALUES ($1) ON CONFLICT (member_id) DO NOTHING`, [memberId]);
    for (const payoutId of await this.payoutIds(m, memberId, 'requested')) {
      await this.lockPayout(m, payoutId);
      await this.decide(m, payoutId, { type: 'HoldPayout', reason: `the workshop is suspended: ${reason}`, now: this.settings.clock() }, meta);
    }
  }

  async onMemberReinstated(memberId: string, reason: string | undefined, m: EntityManager, meta: EventMetadata): Promise<void> {
    await this.lockMember(m, memberId);
    await m.query(`DELETE FROM ${this.s}.suspended_members WHERE member_id = $1`, [memberId]);
    for (const payoutId of await this.payoutIds(m, memberId, 'held')) {
      await this.lockPayout(m, payoutId);
      await this.decide(m, payoutId, { type: 'LiftHold', reason: reason ?? 'the workshop was reinstated', now: this.settings.clock() }, meta);
    }
  }

  /**
   * Payouts waiting for their instruction to reach the rail, oldest first, and instructed ones the
   * provider has not confirmed for `resendAfterMs` (asked again: the rail is idempotent per payout, and
   * a provider that lost the instruction, as a restarted sandbox does, gets it again).
   */
  async toInstruct(limit: number, resendAfterMs: number): Promise<{ payoutId: string; workshopId: string; amount: Money }[]> {
    const rows: PayoutRow[] = await this.db.dataSource.query(
      `SELECT * FROM ${this.s}.payouts WHERE status = 'requested' OR (status = 'instructed' AND updated_at < $2::timestamptz)
       ORDER BY requested_at, payout_id LIMIT $1`,
      [limit, new Date(this.settings.clock().getTime() - resendAfterMs)],
    );
    return rows.map((r) => ({ payoutId: r.payout_id, workshopId: r.workshop_id, amount: { amountMinor: minorFromDb(r.amount_minor), currency: r.currency } }));
  }

  /** Newest first, a page at a time (`after`: the key of the previous page's last payout). */
  async list(workshopId: string | undefined, page: { limit: number; after?: string[] }): Promise<CursorPage<PayoutView>> {
    const rows: (PayoutRow & { sort_at: string })[] = await this.db.dataSource.query(
      `SELECT *, requested_at::text AS sort_at FROM ${this.s}.payouts
        WHERE ($1::text IS NULL OR workshop_id = $1) AND ($2::timestamptz IS NULL OR (requested_at, payout_id) < ($2::timestamptz, $3::text))
        ORDER BY requested_at DESC, payout_id DESC LIMIT $4`,
      [workshopId ?? null, page.after?.[0] ?? null, page.after?.[1] ?? null, page.limit + 1],
    );
    return toCursorPage(rows, page.limit, (r) => [r.sort_at, r.payout_id], toView);
  }

  /** One payout, for its workshop or an operator (`workshopId` undefined). */
  async get(payoutId: string, workshopId: string | undefined): Promise<PayoutView> {
    const row = await this.row(this.db.dataSource.manager, payoutId);
    if (!row || (workshopId !== undefined && row.workshop_id !== workshopId)) throw new NotFound('payout', payoutId);
    return toView(row);
  }

  /**
   * Paid out = confirmed payouts: the ledger's payout_paid transfers and the payouts confirmed paid agree
   * one to one and in amount; every failed payout's money went back; nothing is paid twice.
   */
  async audit() {
    const ds = this.db.dataSource;
    const mismatched: { payout_id: string | null; transfer_id: string | null }[] = await ds.query(
      `SELECT p.payout_id, t.id AS transfer_id
         FROM (SELECT payout_id, amount_minor FROM ${this.s}.payouts WHERE status = 'paid') p
         FULL JOIN (SELECT t.id, e.amount FROM ${this.s}.transfers t CROSS JOIN LATERAL ${this.s}.transfer_legs(t.id, t.leg_accounts, t.leg_amounts) e
                     WHERE t.kind = 'payout_paid' AND e.amount > 0) t
           ON t.id = 'payout-paid:' || p.payout_id AND t.amount = p.amount_minor
        WHERE p.payout_id IS NULL OR t.id IS NULL`,
    );
    const failedNotReturned: { payout_id: string }[] = await ds.query(
      `SELECT payout_id FROM ${this.s}.payouts p WHERE status = 'failed' AND NOT EXISTS (SELECT 1 FROM ${this.s}.transfers t WHERE t.id = 'payout-failed:' || p.payout_id)`,
    );
    const [totals]: { paid: string; confirmed: string }[] = await ds.query(
      `SELECT (SELECT coalesce(sum(e.amount), 0) FROM ${this.s}.transfers t CROSS JOIN LATERAL ${this.s}.transfer_legs(t.id, t.leg_accounts, t.leg_amounts) e WHERE t.kind = 'payout_paid' AND e.amount > 0)::text AS paid,
              (SELECT coalesce(sum(amount_minor), 0) FROM ${this.s}.payouts WHERE status = 'paid')::text AS confirmed`,
    );
    const ok = mismatched.length === 0 && failedNotReturned.length === 0 && totals.paid === totals.confirmed;
    return {
      ok,
      paidOutMinor: minorFromDb(totals.paid),
      confirmedPayoutsMinor: minorFromDb(totals.confirmed),
      payoutsWithoutMatchingTransfer: mismatched.map((r) => r.payout_id ?? r.transfer_id!),
      failedPayoutsNotReturned: failedNotReturned.map((r) => r.payout_id),
    };
  }

  // ---------------------------------------------------------------- internals

  private async decide(m: EntityManager, payoutId: string, command: PayoutCommand, meta: EventMetadata): Promise<void> {
    const { decided } = await this.handler.handle(payoutStream(payoutId), command, { manager: m, metadata: meta });
    for (const event of decided) {
      const transfer = payoutPosting(event);
      if (transfer) await this.ledger.post(m, transfer);
    }
  }

  private async isSuspended(m: EntityManager, memberId: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM ${this.s}.suspended_members WHERE member_id = $1`, [memberId]);
    return rows.length > 0;
  }

  private async payoutIds(m: EntityManager, workshopId: string, status: PayoutStatus): Promise<string[]> {
    const rows: { payout_id: string }[] = await m.query(`SELECT payout_id FROM ${this.s}.payouts WHERE workshop_id = $1 AND status = $2 ORDER BY payout_id`, [workshopId, status]);
    return rows.map((r) => r.payout_id);
  }

  private async row(m: EntityManager, payoutId: string): Promise<PayoutRow | undefined> {
    const rows: PayoutRow[] = await m.query(`SELECT * FROM ${this.s}.payouts WHERE payout_id = $1`, [payoutId]);
    return rows[0];
  }

  private async view(m: EntityManager, payoutId: string): Promise<PayoutView | undefined> {
    const row = await this.row(m, payoutId);
    return row ? toView(row) : undefined;
  }

  private async lockMember(m: EntityManager, memberId: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`meshfab-settlement:${this.db.schema}:member:${memberId}`]);
  }

  private async lockPayout(m: EntityManager, payoutId: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`meshfab-settlement:${this.db.schema}:payout:${payoutId}`]);
  }
}
