import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '#libs/domain';
import { ident, queryRows } from '#libs/eventsourcing';
import { toCursorPage, type CursorPage } from '#libs/platform';
import { isPooled, isPooledAccountId, lockOrder, poolShard, SHARD_SEPARATOR, type AccountPurpose, type AccountSpec } from './domain/accounts.js';
import { assertBalanceCaps, assertLimits, assertWithinCap, DEFAULT_LEDGER_LIMITS, type LedgerLimits } from './domain/limits.js';
import { minorFromDb, parseMinor, toJsonMinor, type MinorUnits } from './domain/money.js';
import { assertFloors, exactLegs, transferFingerprint, validateTransfer, type TransferRequest } from './domain/transfer.js';

export interface AccountBalance {
  accountId: string;
  purpose: AccountPurpose;
  memberId: string | null;
  orderId: string | null;
  currency: string;
  balanceMinor: number;
}

export interface PostedTransfer {
  transferId: string;
  /** True when this id was already posted with the same content: nothing changed. */
  replayed: boolean;
}

export interface TransferView {
  transferId: string;
  kind: string;
  currency: string;
  orderId: string | null;
  subtaskId: string | null;
  memo: string | null;
  createdAt: string;
  entries: { accountId: string; amountMinor: number }[];
}

export interface TrialBalance {
  balanced: boolean;
  totalsByCurrency: { currency: string; sumOfBalancesMinor: number }[];
  accountsNotMatchingEntries: { accountId: string; balanceMinor: number; sumOfEntriesMinor: number }[];
  unbalancedTransfers: string[];
  accountsBelowFloor: string[];
  accounts: number;
  transfers: number;
}

interface LedgerPostRow {
  result: { outcome: 'posted' | 'replayed' | 'conflict' | 'refused'; balances?: Record<string, string> };
}

interface AccountRow {
  id: string;
  purpose: AccountPurpose;
  member_id: string | null;
  order_id: string | null;
  currency: string;
  balance: string;
}

/**
 * Matches the account `accountId` (`param` holds it), and its shards when it names a pooled account. Shards
 * are only ever pooled accounts, so a member id that happens to end like a shard suffix matches nothing.
 * Any other id is matched by its primary key alone: the prefix match cannot use the index.
 */
const idOrShards = (accountId: string | undefined, column: string, purposeColumn: string, param: string): string =>
  accountId !== undefined && isPooledAccountId(accountId)
    ? `(${column} = ${param} OR (starts_with(${column}, ${param} || '${SHARD_SEPARATOR}') AND ${purposeColumn} IN ('platform_fees', 'bank_clearing')))`
    : `${column} = ${param}`;

const toBalance = (r: AccountRow): AccountBalance => ({
  accountId: r.id,
  purpose: r.purpose,
  memberId: r.member_id,
  orderId: r.order_id,
  currency: r.currency,
  balanceMinor: minorFromDb(r.balance),
});

/**
 * The double-entry ledger. Every write runs inside the caller's transaction (`manager`): account rows
 * are locked `FOR UPDATE` in one global order (ascending id, `COLLATE "C"`), the floors are checked on
 * the locked balances, balances are updated and the transfer is written with its legs — all or nothing.
 * The CHECK constraint on `accounts` and the deferred check of a transfer's legs back this up in the
 * database. A transfer's legs are its ledger lines (`entries`, a view; SettlementLedgerLegsOnTransfers).
 */
export class Ledger {
  private readonly s: string;

  private readonly postSql: string;

  readonly limits: LedgerLimits;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
    limits: LedgerLimits = DEFAULT_LEDGER_LIMITS,
  ) {
    this.s = ident(schema);
    this.postSql = `SELECT ${this.s}.ledger_post($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[]) AS result`;
    assertLimits(limits);
    this.limits = limits;
  }

  /** Creates the accounts that do not exist yet, in the global lock order, in one statement. */
  async ensureAccounts(manager: EntityManager, accounts: readonly AccountSpec[]): Promise<void> {
    const sorted = [...new Map(accounts.map((a) => [a.id, a])).values()].sort((a, b) => lockOrder(a.id, b.id));
    if (sorted.length === 0) return;
    await manager.query(
      `INSERT INTO ${this.s}.accounts (id, purpose, member_id, order_id, currency, min_balance)
       SELECT id, purpose, member_id, order_id, currency, min_balance
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY AS a(id, purpose, member_id, order_id, currency, min_balance, n)
       ORDER BY n
       ON CONFLICT (id) DO NOTHING`,
      [
        sorted.map((a) => a.id),
        sorted.map((a) => a.purpose),
        sorted.map((a) => a.memberId),
        sorted.map((a) => a.orderId),
        sorted.map((a) => a.currency),
        sorted.map((a) => (a.minBalance === null ? null : String(a.minBalance))),
      ],
    );
  }

  /** Creates (if needed) and locks the accounts in the global lock order; returns their exact balances. */
  async lock(manager: EntityManager, accounts: readonly AccountSpec[]): Promise<Map<string, MinorUnits>> {
    await this.ensureAccounts(manager, accounts);
    const ids = [...new Set(accounts.map((a) => a.id))].sort(lockOrder);
    const rows: { id: string; balance: string }[] = await manager.query(
      `SELECT id, balance::text AS balance FROM ${this.s}.accounts WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, parseMinor(r.balance)]));
  }

  /**
   * Posts a transfer exactly once: a repeated id with the same content is a no-op (`replayed`), with
   * different content a 409. Throws InsufficientFunds (422) when a leg would break an account's floor,
   * AmountOverCap (422) for a deposit over its cap and BalanceOverCap (422) when a leg would take any
   * account (a pooled one too) past its balance cap; then nothing is stored.
   *
   * Amounts may be given as safe-integer numbers or bigints; the ledger computes in bigint. A leg on a
   * pooled account (platform fees, bank clearing) goes to the shard `poolShard` picks for this transfer
   * id, so releases of one currency do not queue on one row.
   */
  async post(manager: EntityManager, transfer: TransferRequest): Promise<PostedTransfer> {
    validateTransfer(transfer);
    const exact = exactLegs(transfer.legs);
    const hash = createHash('sha256').update(transferFingerprint({ ...transfer, legs: exact })).digest('hex');
    if (transfer.kind === 'deposit') {
      const credited = exact.reduce((acc, l) => (l.amountMinor > 0n && !isPooled(l.account) ? acc + l.amountMinor : acc), 0n);
      assertWithinCap(this.limits, 'maxDepositMinor', 'deposit', credited, transfer.currency);
    }
    const legs = exact
      .map((l) => ({ account: poolShard(l.account, transfer.shardKey ?? transfer.transferId, this.limits.pooledShards), amountMinor: l.amountMinor }))
      .sort((a, b) => lockOrder(a.account.id, b.account.id));
    // One statement (ledger_post, settlement.migrations.ts): create and lock the accounts in the global
    // order, answer a repeated id, check floors and caps on the locked balances, write.
    const [row] = await this.callLedgerPost(manager, [
        transfer.transferId,
        transfer.kind,
        transfer.currency,
        transfer.orderId ?? null,
        transfer.subtaskId ?? null,
        transfer.memo ?? null,
        hash,
        legs.map((l) => l.account.id),
        legs.map((l) => l.account.purpose),
        legs.map((l) => l.account.memberId),
        legs.map((l) => l.account.orderId),
        legs.map((l) => (l.account.minBalance === null ? null : String(l.account.minBalance))),
        legs.map((l) => String(l.amountMinor)),
        legs.map((l) => String(isPooled(l.account) ? this.limits.maxPooledBalanceMinor : this.limits.maxBalanceMinor)),
      ]);
    switch (row.result.outcome) {
      case 'posted':
        return { transferId: transfer.transferId, replayed: false };
      case 'replayed':
        return { transferId: transfer.transferId, replayed: true };
      case 'conflict':
        throw new DomainError('transfer_id_reused', `transfer ${transfer.transferId} was already posted with different content`, 'conflict', {
          transferId: transfer.transferId,
        });
      case 'refused': {
        // Named by the same checks the database made, on the balances it locked.
        const balances = new Map(Object.entries(row.result.balances ?? {}).map(([id, balance]) => [id, parseMinor(balance)]));
        assertFloors({ ...transfer, legs }, balances);
        assertBalanceCaps(legs, balances, this.limits);
        throw new Error(`transfer ${transfer.transferId} was refused by the ledger, yet breaks no floor or cap`);
      }
    }
  }

  /** One round trip: inside the caller's transaction on its connection; otherwise on the pool, as its own transaction. */
  private callLedgerPost(manager: EntityManager, params: unknown[]): Promise<LedgerPostRow[]> {
    return queryRows<LedgerPostRow>(this.dataSource, manager, this.postSql, params);
  }

  /** The balance of an account as a JSON number (checked: the caps keep it a safe integer); of a pooled account, the sum of its shards. */
  async balance(accountId: string, manager?: EntityManager): Promise<number> {
    return toJsonMinor(await this.exactBalance(accountId, manager));
  }

  /** The exact balance of an account; of a pooled account, the sum of its shards. */
  async exactBalance(accountId: string, manager?: EntityManager): Promise<MinorUnits> {
    const rows: { balance: string | null }[] = await (manager ?? this.dataSource).query(
      `SELECT sum(balance)::text AS balance FROM ${this.s}.accounts WHERE ${idOrShards(accountId, 'id', 'purpose', '$1')}`,
      [accountId],
    );
    return parseMinor(rows[0]?.balance);
  }

  async accountsOfMember(memberId: string): Promise<AccountBalance[]> {
    const rows: AccountRow[] = await this.dataSource.query(
      `SELECT id, purpose, member_id, order_id, currency, balance FROM ${this.s}.accounts WHERE member_id = $1 ORDER BY id COLLATE "C"`,
      [memberId],
    );
    return rows.map(toBalance);
  }

  async accountsOfOrder(orderId: string, manager?: EntityManager): Promise<AccountBalance[]> {
    const rows: AccountRow[] = await (manager ?? this.dataSource).query(
      `SELECT id, purpose, member_id, order_id, currency, balance FROM ${this.s}.accounts WHERE order_id = $1 ORDER BY id COLLATE "C"`,
      [orderId],
    );
    return rows.map(toBalance);
  }

  async account(accountId: string): Promise<AccountBalance | undefined> {
    const rows: AccountRow[] = await this.dataSource.query(
      `SELECT id, purpose, member_id, order_id, currency, balance FROM ${this.s}.accounts WHERE id = $1`,
      [accountId],
    );
    return rows.map(toBalance)[0];
  }

  /** Transfers, newest first; touching `accountId` or belonging to `orderId` when given. */
  async transfers(filter: { accountId?: string; orderId?: string; limit?: number; after?: string } = {}): Promise<TransferView[]> {
    return (await this.transferRows(filter)).map(transferView);
  }

  /** Newest first, a page at a time (`after`: the previous page's last transfer's sequence number). */
  async transferPage(filter: { accountId?: string; limit: number; after?: string }): Promise<CursorPage<TransferView>> {
    const rows = await this.transferRows({ ...filter, limit: filter.limit + 1 });
    return toCursorPage(rows, filter.limit, (r) => [r.seq], transferView);
  }

  private async transferRows(filter: { accountId?: string; orderId?: string; limit?: number; after?: string }): Promise<TransferRow[]> {
    return this.dataSource.query(
        `SELECT t.id, t.kind, t.currency, t.order_id, t.subtask_id, t.memo, t.created_at, max(t.seq)::text AS seq,
                json_agg(json_build_object('accountId', e.account_id, 'amount', e.amount::text) ORDER BY e.account_id COLLATE "C") AS entries
         FROM ${this.s}.transfers t CROSS JOIN LATERAL ${this.s}.transfer_legs(t.id, t.leg_accounts, t.leg_amounts) e
         WHERE ($1::text IS NULL OR t.id IN (SELECT x.transfer_id FROM ${this.s}.ledger_lines(ARRAY(SELECT xa.id FROM ${this.s}.accounts xa WHERE ${idOrShards(filter.accountId, 'xa.id', 'xa.purpose', '$1')})) x))
           AND ($2::text IS NULL OR t.order_id = $2)
           AND ($4::bigint IS NULL OR t.seq < $4::bigint)
         GROUP BY t.id ORDER BY max(t.seq) DESC LIMIT $3`,
        [filter.accountId ?? null, filter.orderId ?? null, filter.limit ?? 100, filter.after ?? null],
      );
  }

  /** Ledger lines of the accounts of a member, newest first, with the running balance of each account. */
  async entriesOfMember(memberId: string, page: { limit: number; after?: string }): Promise<CursorPage<MemberEntry>> {
    const rows: { id: string; transfer_id: string; kind: string; account_id: string; amount: string; currency: string; balance_after: string; created_at: Date }[] =
      await this.dataSource.query(
        `SELECT * FROM (
           SELECT e.id, e.transfer_id, t.kind, e.account_id, e.amount, e.currency, t.created_at,
                  sum(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id) AS balance_after
           FROM ${this.s}.ledger_lines(ARRAY(SELECT a.id FROM ${this.s}.accounts a WHERE a.member_id = $1)) e
           JOIN ${this.s}.transfers t ON t.id = e.transfer_id) lines
         WHERE $3::bigint IS NULL OR id < $3::bigint
         ORDER BY id DESC LIMIT $2`,
        [memberId, page.limit + 1, page.after ?? null],
      );
    return toCursorPage(rows, page.limit, (r) => [String(r.id)], (r) => ({
      entryId: minorFromDb(r.id),
      transferId: r.transfer_id,
      kind: r.kind,
      accountId: r.account_id,
      amountMinor: minorFromDb(r.amount),
      currency: r.currency,
      balanceAfterMinor: minorFromDb(r.balance_after),
      createdAt: r.created_at.toISOString(),
    }));
  }

  /**
   * The trial balance, recomputed from scratch: per currency the balances sum to zero, every balance
   * equals the sum of its entries, every transfer balances, no account is below its floor.
   */
  async trialBalance(): Promise<TrialBalance> {
    const s = this.s;
    const totals: { currency: string; total: string }[] = await this.dataSource.query(`SELECT currency, sum(balance)::text AS total FROM ${s}.accounts GROUP BY currency ORDER BY currency`);
    const mismatched: { id: string; balance: string; from_entries: string }[] = await this.dataSource.query(
      `SELECT a.id, a.balance::text AS balance, coalesce(e.total, 0)::text AS from_entries
       FROM ${s}.accounts a LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ${s}.entries GROUP BY account_id) e ON e.account_id = a.id
       WHERE a.balance <> coalesce(e.total, 0)`,
    );
    const unbalanced: { transfer_id: string }[] = await this.dataSource.query(
      `SELECT transfer_id FROM ${s}.entries GROUP BY transfer_id HAVING sum(amount) <> 0 OR count(*) < 2`,
    );
    const belowFloor: { id: string }[] = await this.dataSource.query(`SELECT id FROM ${s}.accounts WHERE min_balance IS NOT NULL AND balance < min_balance`);
    const counts: { accounts: number; transfers: number }[] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM ${s}.accounts)::int AS accounts, (SELECT count(*) FROM ${s}.transfers)::int AS transfers`,
    );
    // Sums are computed by PostgreSQL in numeric (no overflow) and compared exactly here.
    const allZero = totals.every((t) => parseMinor(t.total) === 0n);
    const totalsByCurrency = totals.map((t) => ({ currency: t.currency, sumOfBalancesMinor: minorFromDb(t.total) }));
    const accountsNotMatchingEntries = mismatched.map((m) => ({ accountId: m.id, balanceMinor: minorFromDb(m.balance), sumOfEntriesMinor: minorFromDb(m.from_entries) }));
    return {
      balanced: allZero && accountsNotMatchingEntries.length === 0 && unbalanced.length === 0 && belowFloor.length === 0,
      totalsByCurrency,
      accountsNotMatchingEntries,
      unbalancedTransfers: unbalanced.map((u) => u.transfer_id),
      accountsBelowFloor: belowFloor.map((b) => b.id),
      accounts: counts[0].accounts,
      transfers: counts[0].transfers,
    };
  }
}

interface TransferRow {
  id: string;
  kind: string;
  currency: string;
  order_id: string | null;
  subtask_id: string | null;
  memo: string | null;
  created_at: Date;
  seq: string;
  entries: { accountId: string; amount: string }[];
}

const transferView = (r: TransferRow): TransferView => ({
  transferId: r.id,
  kind: r.kind,
  currency: r.currency,
  orderId: r.order_id,
  subtaskId: r.subtask_id,
  memo: r.memo,
  createdAt: r.created_at.toISOString(),
  entries: r.entries.map((e) => ({ accountId: e.accountId, amountMinor: minorFromDb(e.amount) })),
});

/** One ledger line of a member's accounts, with its account's balance after it. */
export interface MemberEntry {
  entryId: number;
  transferId: string;
  kind: string;
  accountId: string;
  amountMinor: number;
  currency: string;
  balanceAfterMinor: number;
  createdAt: string;
}
