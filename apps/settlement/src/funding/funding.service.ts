import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, NotFound } from '#libs/domain';
import { CommandHandler, ident, ServiceDatabase, type EventMetadata } from '#libs/eventsourcing';
import { toCursorPage } from '#libs/platform';
import { assertWithinCap } from '../ledger/domain/limits.js';
import { minorFromDb, type Money } from '../ledger/domain/money.js';
import { Ledger } from '../ledger/ledger.js';
import { PayoutService } from '../payouts/payout.service.js';
import { SettlementService } from '../settlement/settlement.service.js';
import { findReference, normalizeReference, parseStatement, StatementFormatError, type StatementLine } from './domain/bank-statement.js';
import { fundingIntentDecider, fundingIntentStatus, type FundingIntentState } from './domain/funding-intent.decider.js';
import { manualCreditDecider } from './domain/manual-credit.decider.js';
import { FUNDING_SETTINGS, type FundingSettings } from './funding-settings.js';
import type { ConfirmedPayment } from './payment-provider.js';
import { WebhookRefused } from './standard-webhooks.js';

interface IntentRow {
  intent_id: string;
  brand_id: string;
  reference: string;
  display_reference: string;
  amount_minor: string;
  currency: string;
  received_minor: string;
  payments: number;
  funded_at: Date | null;
  created_at: Date;
  expires_at: Date;
}

interface ReceiptRow {
  receipt_id: string;
  source: string;
  transaction_id: string;
  currency: string;
  amount_minor: string;
  reference: string | null;
  intent_id: string | null;
  brand_id: string | null;
  status: 'credited' | 'unmatched';
  excess_minor: string;
  late: boolean;
  statement_id: string | null;
  line_no: number | null;
  note: string | null;
  received_at: Date;
}

interface ManualCreditRow {
  credit_id: string;
  brand_id: string;
  amount_minor: string;
  currency: string;
  reason: string;
  status: string;
  requested_by: string;
  requested_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

export type PaymentOutcome = 'credited' | 'duplicate' | 'unmatched';

/** Crockford base32 (no I, L, O, U): what a person can read out and type into a bank's remittance field. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function newReference(): string {
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => ALPHABET[b % 32]).join('');
  return `MF-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

export const SOURCE_BANK = 'bank';
export const SOURCE_MANUAL = 'manual';
export const providerSource = (provider: string) => `provider:${provider}`;

/**
 * Money in. Funds are credited only here, from confirmed money: a provider's signed webhook, a line of a
 * bank statement the operator uploaded, or a manual credit a second operator approved. Each such payment
 * is first recorded as a receipt, unique per (currency, source, transaction id) in the database, so the
 * same money is credited once however often it is delivered or uploaded; then it is applied to the
 * funding intent its reference names (the intent's decider), credited to the brand's funds, and the
 * brand's waiting lots are funded oldest first (SettlementService.creditConfirmedFunds).
 *
 * Lock order: settlement's brand lock (brands ascending when a statement names several), then the intent
 * or manual-credit row (FOR UPDATE), then accounts ascending. The brand's lock comes before the first
 * write: PostgreSQL gives a transaction its id at its first write (a row lock too), and a transaction
 * that got its id and then waited for the brand while a flow of that brand appended to the brand's or its
 * orders' streams would be refused as a late writer by the event store (event-store.ts) on its own append
 * to those streams — a webhook answered 503 again and again while the brand's orders are busy.
 */
@Injectable()
export class FundingService {
  private readonly s: string;
  private readonly intents: CommandHandler<FundingIntentState, Parameters<typeof fundingIntentDecider.decide>[0], ReturnType<typeof fundingIntentDecider.decide>[number]>;
  private readonly manual: CommandHandler<ReturnType<typeof manualCreditDecider.initialState>, Parameters<typeof manualCreditDecider.decide>[0], ReturnType<typeof manualCreditDecider.decide>[number]>;
  private readonly logger = new Logger('settlement.funding');

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(SettlementService) private readonly settlement: SettlementService,
    @Inject(FUNDING_SETTINGS) private readonly settings: FundingSettings,
    @Inject(Ledger) private readonly ledger: Ledger,
    @Inject(PayoutService) private readonly payouts: PayoutService,
  ) {
    this.s = ident(db.schema);
    this.intents = new CommandHandler(db.dataSource, db.store, fundingIntentDecider);
    this.manual = new CommandHandler(db.dataSource, db.store, manualCreditDecider);
  }

  // ---------------------------------------------------------------- funding intents

  /** Refuses (422 `amount_over_cap`, nothing stored) an intent larger than MESHFAB_SETTLEMENT_MAX_FUNDING_INTENT_MINOR. */
  async createIntent(brandId: string, amount: Money, key: string, request: unknown) {
    assertWithinCap(this.ledger.limits, 'maxFundingIntentMinor', 'funding intent', amount.amountMinor, amount.currency);
    return this.db.idempotency.run(`funding-intent:${brandId}`, key, request, async (m) => {
      const intentId = `fi-${randomUUID()}`;
      const reference = newReference();
      const now = this.settings.clock();
      const meta = { correlationId: intentId, causationId: `http:funding-intent:${brandId}:${key}` };
      const { state } = await this.intents.handle(
        `settlement-funding-intent-${intentId}`,
        { type: 'CreateFundingIntent', intentId, brandId, reference, amount, now, ttlMs: this.settings.intentTtlMs },
        { manager: m, metadata: meta },
      );
      if (!state.exists) throw new Error('intent not created');
      await m.query(
        `INSERT INTO ${this.s}.funding_intents (intent_id, brand_id, reference, display_reference, amount_minor, currency, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [intentId, brandId, normalizeReference(reference), reference, String(amount.amountMinor), amount.currency, now, state.expiresAt],
      );
      return { status: 201, body: this.toIntent((await this.intentRow(m, intentId))!) };
    });
  }

  /** Newest first, a page at a time (`after`: the previous page's last intent's creation time and id). */
  async listIntents(brandId: string | undefined, page: { limit: number; after?: string[] }) {
    const rows: (IntentRow & { sort_at: string })[] = await this.db.dataSource.query(
      `SELECT *, created_at::text AS sort_at FROM ${this.s}.funding_intents WHERE ($1::text IS NULL OR brand_id = $1)
          AND ($2::timestamptz IS NULL OR created_at < $2::timestamptz OR (created_at = $2::timestamptz AND intent_id > $3::text))
        ORDER BY created_at DESC, intent_id LIMIT $4`,
      [brandId ?? null, page.after?.[0] ?? null, page.after?.[1] ?? null, page.limit + 1],
    );
    return toCursorPage(rows, page.limit, (r) => [r.sort_at, r.intent_id], (r) => this.toIntent(r));
  }

  /** The intent, for its brand or an operator (`brandId` undefined); anyone else gets the same 404 as a missing id. */
  async intent(intentId: string, brandId: string | undefined) {
    const row = await this.intentRow(this.db.dataSource.manager, intentId);
    if (!row || (brandId !== undefined && row.brand_id !== brandId)) throw new NotFound('funding_intent', intentId);
    const receipts: ReceiptRow[] = await this.db.dataSource.query(`SELECT * FROM ${this.s}.payment_receipts WHERE intent_id = $1 ORDER BY receipt_id`, [intentId]);
    return { ...this.toIntent(row), payments: receipts.map((r) => this.toReceipt(r)) };
  }

  // ---------------------------------------------------------------- provider webhooks

  async receiveWebhook(providerName: string, headers: IncomingHttpHeaders, rawBody: Buffer | undefined, remote: string | undefined) {
    const provider = this.settings.providers.get(providerName);
    if (!provider) throw new NotFound('payment_provider', providerName);
    if (!rawBody || rawBody.length === 0) throw new DomainError('webhook_payload_invalid', 'the webhook has no body', 'invalid');
    let outcome;
    try {
      outcome = provider.readWebhook({ headers, rawBody, now: this.settings.clock() });
    } catch (error) {
      if (error instanceof WebhookRefused) {
        // Never the secret or the signature: which provider, which delivery, why, from where.
        const webhookId = typeof headers['webhook-id'] === 'string' ? headers['webhook-id'].slice(0, 100) : undefined;
        this.logger.warn(`refused webhook of ${providerName}: ${error.logReason} (webhook-id ${webhookId ?? '-'}, from ${remote ?? '-'})`);
      }
      throw error;
    }
    if (outcome.kind === 'ignored') return { received: true, outcome: 'ignored' as const, eventType: outcome.eventType };
    if (outcome.kind === 'payout_paid' || outcome.kind === 'payout_failed') {
      const payout = await this.payouts.confirmFromProvider(providerName, outcome, outcome.webhookId);
      return { received: true, outcome: outcome.kind, payoutId: payout.payoutId, status: payout.status };
    }
    const source = providerSource(providerName);
    const result = await this.db.dataSource.transaction((m) =>
      this.recordPayment(m, source, outcome.payment, { correlationId: `${source}:${outcome.payment.transactionId}`, causationId: `webhook:${providerName}:${outcome.webhookId}` }),
    );
    return { received: true, ...result };
  }

  /**
   * Records one confirmed payment once and credits it to the brand of the intent its reference names.
   * A payment already recorded (same currency, source, transaction id) changes nothing; one whose
   * reference names no intent, or an intent in another currency, is kept as unmatched and credited to no one.
   */
  async recordPayment(
    m: EntityManager,
    source: string,
    payment: ConfirmedPayment,
    meta: EventMetadata,
    line?: { statementId: string; lineNo: number },
  ): Promise<{ outcome: PaymentOutcome; intentId: string | null; note?: string }> {
    const reference = findReference(payment.reference) ?? normalizeReference(payment.reference);
    // The brand first, before any write (see the class comment); an intent's brand never changes.
    const [owner]: { brand_id: string }[] = await m.query(`SELECT brand_id FROM ${this.s}.funding_intents WHERE reference = $1`, [reference]);
    if (owner) await this.settlement.lockBrand(m, owner.brand_id);
    const [intent]: IntentRow[] = await m.query(`SELECT * FROM ${this.s}.funding_intents WHERE reference = $1 FOR UPDATE`, [reference]);
    const note = !intent ? 'no funding intent has this reference' : intent.currency !== payment.amount.currency ? `the intent is in ${intent.currency}` : null;
    const now = this.settings.clock();
    // Instant money (card, wallet) can still be reversed by the payer: what it pays for is held (see lots' funds_available_on).
    const heldUntil = payment.instant && this.settings.instantFundsHoldDays > 0 ? new Date(now.getTime() + this.settings.instantFundsHoldDays * 86_400_000) : null;
    const inserted: { receipt_id: string }[] = await m.query(
      `INSERT INTO ${this.s}.payment_receipts (source, transaction_id, currency, amount_minor, reference, intent_id, brand_id, status, credited_minor, statement_id, line_no, note, received_at, method, held_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT ON CONSTRAINT payment_receipts_credited_once DO NOTHING RETURNING receipt_id`,
      [
        source,
        payment.transactionId,
        payment.amount.currency,
        String(payment.amount.amountMinor),
        payment.reference,
        note ? null : intent.intent_id,
        note ? null : intent.brand_id,
        note ? 'unmatched' : 'credited',
        note ? '0' : String(payment.amount.amountMinor),
        line?.statementId ?? null,
        line?.lineNo ?? null,
        note,
        now,
        payment.method ?? null,
        note ? null : heldUntil,
      ],
    );
    if (inserted.length === 0) return { outcome: 'duplicate', intentId: null };
    if (note) return { outcome: 'unmatched', intentId: null, note };
    const { newEvents, state } = await this.intents.handle(
      `settlement-funding-intent-${intent.intent_id}`,
      { type: 'ApplyPayment', source, transactionId: payment.transactionId, amount: payment.amount, now: this.settings.clock() },
      { manager: m, metadata: meta },
    );
    const applied = newEvents.find((e) => e.type === 'FundingIntentPaymentApplied')?.data as { excessMinor: number; late: boolean } | undefined;
    if (!state.exists || !applied) throw new Error(`payment ${payment.transactionId} was not applied`);
    await m.query(`UPDATE ${this.s}.payment_receipts SET excess_minor = $2, late = $3 WHERE receipt_id = $1`, [inserted[0].receipt_id, String(applied.excessMinor), applied.late]);
    await m.query(
      `UPDATE ${this.s}.funding_intents SET received_minor = $2, payments = payments + 1, funded_at = CASE WHEN $3 AND funded_at IS NULL THEN $4::timestamptz ELSE funded_at END WHERE intent_id = $1`,
      [intent.intent_id, String(state.receivedMinor), state.funded, this.settings.clock()],
    );
    await this.settlement.creditConfirmedFunds(
      m,
      intent.brand_id,
      payment.amount,
      `credit:${source}:${payment.amount.currency}:${payment.transactionId}`,
      `${source} payment ${payment.transactionId} for ${intent.display_reference}`,
      meta,
    );
    return { outcome: 'credited', intentId: intent.intent_id };
  }

  // ---------------------------------------------------------------- bank statements

  /** Reconciles an uploaded statement; the same statement again (same bytes) changes nothing and answers the first result. */
  async uploadStatement(csv: string, operator: string) {
    let lines: StatementLine[];
    try {
      lines = parseStatement(csv);
    } catch (error) {
      if (error instanceof StatementFormatError) throw new DomainError('statement_invalid', `the bank statement cannot be read: ${error.reason}`, 'invalid');
      throw error;
    }
    const contentHash = createHash('sha256').update(csv).digest('hex');
    const statementId = `stmt-${contentHash.slice(0, 24)}`;
    const replayed = await this.db.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`meshfab-settlement:${this.db.schema}:statement:${contentHash}`]);
      const existing: { statement_id: string }[] = await m.query(`SELECT statement_id FROM ${this.s}.bank_statements WHERE content_hash = $1`, [contentHash]);
      if (existing.length > 0) return true;
      // Every brand the lines pay, ascending, before the first write (see the class comment).
      const references = lines.filter((l) => !l.problem && l.amountMinor !== null).map((l) => findReference(l.reference) ?? normalizeReference(l.reference));
      const owners: { brand_id: string }[] = await m.query(
        `SELECT DISTINCT brand_id FROM ${this.s}.funding_intents WHERE reference = ANY($1::text[]) ORDER BY brand_id`,
        [references],
      );
      for (const { brand_id } of owners) await this.settlement.lockBrand(m, brand_id);
      await m.query(`INSERT INTO ${this.s}.bank_statements (statement_id, content_hash, uploaded_by, uploaded_at, line_count) VALUES ($1, $2, $3, $4, $5)`, [
        statementId,
        contentHash,
        operator,
        this.settings.clock(),
        lines.length,
      ]);
      for (const line of lines) {
        let outcome: PaymentOutcome | 'invalid' = 'invalid';
        let intentId: string | null = null;
        let note = line.problem;
        if (!line.problem && line.amountMinor !== null) {
          const meta = { correlationId: statementId, causationId: `statement:${statementId}:${line.lineNo}` };
          const r = await this.recordPayment(m, SOURCE_BANK, { transactionId: line.bankTransactionId, reference: line.reference, amount: { amountMinor: line.amountMinor, currency: line.currency }, instant: false }, meta, {
            statementId,
            lineNo: line.lineNo,
          });
          ({ outcome, intentId } = r);
          note = r.note ?? (r.outcome === 'duplicate' ? 'this bank transaction was already recorded' : null);
        }
        await m.query(
          `INSERT INTO ${this.s}.bank_statement_lines (statement_id, line_no, booked_on, amount_minor, currency, reference, bank_transaction_id, outcome, intent_id, note)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [statementId, line.lineNo, line.date, line.amountMinor === null ? null : String(line.amountMinor), line.currency, line.reference, line.bankTransactionId, outcome, intentId, note],
        );
      }
      return false;
    });
    const [row]: { statement_id: string }[] = await this.db.dataSource.query(`SELECT statement_id FROM ${this.s}.bank_statements WHERE content_hash = $1`, [contentHash]);
    return { replayed, statement: await this.statement(row.statement_id) };
  }

  async statement(statementId: string) {
    const [head]: { statement_id: string; uploaded_by: string; uploaded_at: Date; line_count: number }[] = await this.db.dataSource.query(
      `SELECT * FROM ${this.s}.bank_statements WHERE statement_id = $1`,
      [statementId],
    );
    if (!head) throw new NotFound('bank_statement', statementId);
    const rows: { line_no: number; booked_on: string; amount_minor: string | null; currency: string; reference: string; bank_transaction_id: string; outcome: string; intent_id: string | null; note: string | null }[] =
      await this.db.dataSource.query(`SELECT * FROM ${this.s}.bank_statement_lines WHERE statement_id = $1 ORDER BY line_no`, [statementId]);
    const lines = rows.map((r) => ({
      lineNo: r.line_no,
      date: r.booked_on,
      amount: r.amount_minor === null ? null : { amountMinor: minorFromDb(r.amount_minor), currency: r.currency },
      reference: r.reference,
      bankTransactionId: r.bank_transaction_id,
      outcome: r.outcome,
      intentId: r.intent_id,
      note: r.note,
    }));
    const count = (o: string) => lines.filter((l) => l.outcome === o).length;
    return {
      statementId: head.statement_id,
      uploadedBy: head.uploaded_by,
      uploadedAt: head.uploaded_at.toISOString(),
      lineCount: head.line_count,
      counts: { credited: count('credited'), duplicate: count('duplicate'), unmatched: count('unmatched'), invalid: count('invalid') },
      lines,
      unmatched: lines.filter((l) => l.outcome === 'unmatched' || l.outcome === 'invalid'),
    };
  }

  /** Confirmed money that names no intent (webhooks and statement lines): credited to no one, for the operator to resolve. */
  /** Newest first, a page at a time (`after`: the previous page's last receipt id). */
  async unmatchedPayments(page: { limit: number; after?: string }) {
    const rows: ReceiptRow[] = await this.db.dataSource.query(
      `SELECT * FROM ${this.s}.payment_receipts WHERE status = 'unmatched' AND ($1::bigint IS NULL OR receipt_id < $1::bigint) ORDER BY receipt_id DESC LIMIT $2`,
      [page.after ?? null, page.limit + 1],
    );
    return toCursorPage(rows, page.limit, (r) => [String(r.receipt_id)], (r) => this.toReceipt(r));
  }

  // ---------------------------------------------------------------- manual credits (four eyes)

  /**
   * Records a manual credit for a second operator to approve. One larger than a single deposit may be
   * (MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR) could never be posted: refused here (422 `amount_over_cap`, nothing stored).
   */
  async requestManualCredit(operator: string, body: { brandId: string; amount: Money; reason: string }, key: string) {
    assertWithinCap(this.ledger.limits, 'maxDepositMinor', 'manual credit', body.amount.amountMinor, body.amount.currency);
    return this.db.idempotency.run(`manual-credit:${operator}`, key, body, async (m) => {
      const creditId = `mc-${randomUUID()}`;
      const now = this.settings.clock();
      await this.manual.handle(
        `settlement-manual-credit-${creditId}`,
        { type: 'RequestManualCredit', creditId, brandId: body.brandId, amount: body.amount, reason: body.reason, requestedBy: operator, now },
        { manager: m, metadata: { correlationId: creditId, causationId: `http:manual-credit:${operator}:${key}` } },
      );
      await m.query(
        `INSERT INTO ${this.s}.manual_credits (credit_id, brand_id, amount_minor, currency, reason, status, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7)`,
        [creditId, body.brandId, String(body.amount.amountMinor), body.amount.currency, body.reason, operator, now],
      );
      return { status: 201, body: this.toManualCredit((await this.manualRow(m, creditId))!) };
    });
  }

  /** A second operator approves: the credit is posted once (receipt source `manual`, transaction id = credit id). */
  async decideManualCredit(creditId: string, operator: string, decision: { approve: true } | { approve: false; reason: string }) {
    return this.db.dataSource.transaction(async (m) => {
      // The brand first, before any write (see the class comment); a credit's brand never changes.
      const [owner]: { brand_id: string }[] = await m.query(`SELECT brand_id FROM ${this.s}.manual_credits WHERE credit_id = $1`, [creditId]);
      if (owner) await this.settlement.lockBrand(m, owner.brand_id);
      const [row]: ManualCreditRow[] = await m.query(`SELECT * FROM ${this.s}.manual_credits WHERE credit_id = $1 FOR UPDATE`, [creditId]);
      if (!row) throw new NotFound('manual_credit', creditId);
      const now = this.settings.clock();
      const meta = { correlationId: creditId, causationId: `http:manual-credit:${creditId}:${decision.approve ? 'approve' : 'reject'}:${operator}` };
      const { decided } = await this.manual.handle(
        `settlement-manual-credit-${creditId}`,
        decision.approve ? { type: 'ApproveManualCredit', approvedBy: operator, now } : { type: 'RejectManualCredit', rejectedBy: operator, reason: decision.reason, now },
        { manager: m, metadata: meta },
      );
      for (const event of decided) {
        if (event.type === 'ManualCreditApproved') {
          const amount = event.data.amount;
          await m.query(
            `INSERT INTO ${this.s}.payment_receipts (source, transaction_id, currency, amount_minor, brand_id, status, credited_minor, note, received_at)
             VALUES ($1, $2, $3, $4, $5, 'credited', $4, $6, $7)`,
            [SOURCE_MANUAL, creditId, amount.currency, String(amount.amountMinor), event.data.brandId, `requested by ${event.data.requestedBy}, approved by ${operator}`, now],
          );
          await this.settlement.creditConfirmedFunds(m, event.data.brandId, amount, `credit:${SOURCE_MANUAL}:${amount.currency}:${creditId}`, `manual credit ${creditId} (${row.reason}), requested by ${row.requested_by}, approved by ${operator}`, meta);
          await m.query(`UPDATE ${this.s}.manual_credits SET status = 'approved', decided_by = $2, decided_at = $3 WHERE credit_id = $1`, [creditId, operator, now]);
        } else if (event.type === 'ManualCreditRejected') {
          await m.query(`UPDATE ${this.s}.manual_credits SET status = 'rejected', decided_by = $2, decided_at = $3 WHERE credit_id = $1`, [creditId, operator, now]);
        }
      }
      return this.toManualCredit((await this.manualRow(m, creditId))!);
    });
  }

  /** Newest first, a page at a time (`after`: the previous page's last credit's request time and id). */
  async manualCredits(page: { limit: number; after?: string[] }) {
    const rows: (ManualCreditRow & { sort_at: string })[] = await this.db.dataSource.query(
      `SELECT *, requested_at::text AS sort_at FROM ${this.s}.manual_credits
        WHERE $1::timestamptz IS NULL OR requested_at < $1::timestamptz OR (requested_at = $1::timestamptz AND credit_id > $2::text)
        ORDER BY requested_at DESC, credit_id LIMIT $3`,
      [page.after?.[0] ?? null, page.after?.[1] ?? null, page.limit + 1],
    );
    return toCursorPage(rows, page.limit, (r) => [r.sort_at, r.credit_id], (r) => this.toManualCredit(r));
  }

  // ---------------------------------------------------------------- audit

  /**
   * Money in, proved from the tables: what the ledger credited to brands from outside (transfers
   * `credit:*`) equals the confirmed payments plus the approved manual credits; no (currency, source,
   * transaction) twice, no intent received more than its credited payments; every statement line matched or listed.
   */
  async audit() {
    const q = <T>(sql: string): Promise<T[]> => this.db.dataSource.query(sql);
    const [ledger] = await q<{ credited: string; legacy: string }>(
      `SELECT coalesce(sum(e.amount) FILTER (WHERE t.id LIKE 'credit:%'), 0)::text AS credited, coalesce(sum(e.amount) FILTER (WHERE t.id NOT LIKE 'credit:%'), 0)::text AS legacy
       FROM ${this.s}.transfers t CROSS JOIN LATERAL ${this.s}.transfer_legs(t.id, t.leg_accounts, t.leg_amounts) e JOIN ${this.s}.accounts a ON a.id = e.account_id
       WHERE t.kind = 'deposit' AND a.purpose = 'brand_funds'`,
    );
    const [receipts] = await q<{ payments: string; manual: string }>(
      `SELECT coalesce(sum(credited_minor) FILTER (WHERE source <> '${SOURCE_MANUAL}'), 0)::text AS payments, coalesce(sum(credited_minor) FILTER (WHERE source = '${SOURCE_MANUAL}'), 0)::text AS manual
       FROM ${this.s}.payment_receipts WHERE status = 'credited'`,
    );
    const [approved] = await q<{ total: string }>(`SELECT coalesce(sum(amount_minor), 0)::text AS total FROM ${this.s}.manual_credits WHERE status = 'approved'`);
    const duplicates = await q<{ key: string }>(
      `SELECT currency || ':' || source || ':' || transaction_id AS key FROM ${this.s}.payment_receipts GROUP BY currency, source, transaction_id HAVING count(*) > 1`,
    );
    const intentMismatch = await q<{ intent_id: string }>(
      `SELECT i.intent_id FROM ${this.s}.funding_intents i LEFT JOIN (SELECT intent_id, sum(credited_minor) AS total FROM ${this.s}.payment_receipts WHERE status = 'credited' GROUP BY intent_id) r
         ON r.intent_id = i.intent_id WHERE i.received_minor <> coalesce(r.total, 0)`,
    );
    const transfersPerReceipt = await q<{ id: string }>(
      `SELECT r.source || ':' || r.currency || ':' || r.transaction_id AS id FROM ${this.s}.payment_receipts r
       LEFT JOIN ${this.s}.transfers t ON t.id = 'credit:' || r.source || ':' || r.currency || ':' || r.transaction_id
       WHERE (r.status = 'credited') <> (t.id IS NOT NULL)`,
    );
    const [lines] = await q<{ total: number; listed: number; matched: number; statements_short: number }>(
      `SELECT (SELECT count(*) FROM ${this.s}.bank_statement_lines)::int AS total,
              (SELECT count(*) FROM ${this.s}.bank_statement_lines WHERE outcome IN ('unmatched', 'invalid', 'duplicate'))::int AS listed,
              (SELECT count(*) FROM ${this.s}.bank_statement_lines WHERE outcome = 'credited')::int AS matched,
              (SELECT count(*) FROM ${this.s}.bank_statements s WHERE s.line_count <> (SELECT count(*) FROM ${this.s}.bank_statement_lines l WHERE l.statement_id = s.statement_id))::int AS statements_short`,
    );
    const creditedMinor = minorFromDb(ledger.credited);
    const confirmedPaymentsMinor = minorFromDb(receipts.payments);
    const approvedManualCreditsMinor = minorFromDb(approved.total);
    const creditedEqualsConfirmed = creditedMinor === confirmedPaymentsMinor + approvedManualCreditsMinor && minorFromDb(receipts.manual) === approvedManualCreditsMinor;
    const statementLinesAccounted = lines.total === lines.listed + lines.matched && lines.statements_short === 0;
    return {
      ok: creditedEqualsConfirmed && duplicates.length === 0 && intentMismatch.length === 0 && transfersPerReceipt.length === 0 && statementLinesAccounted,
      creditedMinor,
      confirmedPaymentsMinor,
      approvedManualCreditsMinor,
      /** Deposits recorded by the retired POST /settlement/deposits before this check existed (not confirmed money). */
      legacyUnconfirmedDepositsMinor: minorFromDb(ledger.legacy),
      creditedEqualsConfirmed,
      paymentsRecordedTwice: duplicates.map((d) => d.key),
      intentsNotMatchingPayments: intentMismatch.map((i) => i.intent_id),
      receiptsWithoutSingleCredit: transfersPerReceipt.map((r) => r.id),
      statementLines: { total: lines.total, matched: lines.matched, listed: lines.listed, accounted: statementLinesAccounted },
    };
  }

  // ---------------------------------------------------------------- views

  private async intentRow(m: EntityManager, intentId: string): Promise<IntentRow | undefined> {
    const rows: IntentRow[] = await m.query(`SELECT * FROM ${this.s}.funding_intents WHERE intent_id = $1`, [intentId]);
    return rows[0];
  }

  private async manualRow(m: EntityManager, creditId: string): Promise<ManualCreditRow | undefined> {
    const rows: ManualCreditRow[] = await m.query(`SELECT * FROM ${this.s}.manual_credits WHERE credit_id = $1`, [creditId]);
    return rows[0];
  }

  private toIntent(r: IntentRow) {
    const amountMinor = minorFromDb(r.amount_minor);
    const receivedMinor = minorFromDb(r.received_minor);
    const state: FundingIntentState = {
      exists: true,
      intentId: r.intent_id,
      brandId: r.brand_id,
      reference: r.display_reference,
      amount: { amountMinor, currency: r.currency },
      expiresAt: r.expires_at.toISOString(),
      receivedMinor,
      payments: r.payments,
      funded: r.funded_at !== null,
    };
    return {
      intentId: r.intent_id,
      brandId: r.brand_id,
      reference: r.display_reference,
      amount: { amountMinor, currency: r.currency },
      received: { amountMinor: receivedMinor, currency: r.currency },
      outstanding: { amountMinor: Math.max(0, amountMinor - receivedMinor), currency: r.currency },
      overpaid: { amountMinor: Math.max(0, receivedMinor - amountMinor), currency: r.currency },
      status: fundingIntentStatus(state, this.settings.clock()),
      createdAt: r.created_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      fundedAt: r.funded_at?.toISOString() ?? null,
      instructions: `Pay ${r.currency} ${amountMinor} (minor units) quoting the reference ${r.display_reference}; funds are credited when the payment is confirmed by the payment provider or the bank statement.`,
    };
  }

  private toReceipt(r: ReceiptRow) {
    return {
      source: r.source,
      transactionId: r.transaction_id,
      amount: { amountMinor: minorFromDb(r.amount_minor), currency: r.currency },
      reference: r.reference,
      intentId: r.intent_id,
      brandId: r.brand_id,
      status: r.status,
      excessMinor: minorFromDb(r.excess_minor),
      late: r.late,
      statementId: r.statement_id,
      lineNo: r.line_no,
      note: r.note,
      receivedAt: r.received_at.toISOString(),
    };
  }

  private toManualCredit(r: ManualCreditRow) {
    return {
      creditId: r.credit_id,
      brandId: r.brand_id,
      amount: { amountMinor: minorFromDb(r.amount_minor), currency: r.currency },
      reason: r.reason,
      status: r.status,
      requestedBy: r.requested_by,
      requestedAt: r.requested_at.toISOString(),
      decidedBy: r.decided_by,
      decidedAt: r.decided_at?.toISOString() ?? null,
    };
  }
}
