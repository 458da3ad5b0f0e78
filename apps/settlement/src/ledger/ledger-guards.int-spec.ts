// The guarantees ledger_post keeps without foreign keys and without a trigger call per leg
// (SettlementLedgerLeanPosting, SettlementLedgerLegsOnTransfers): the database still refuses, from any
// writer that is not ledger_post, a transfer whose legs do not balance or name an account that does not
// exist, a ledger line on its own, a change to a posted transfer, and an account's removal under its
// lines; and ledger_post itself refuses amounts that do not balance.
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { settlementMigrations } from '../settlement.migrations.js';
import { Accounts } from './domain/accounts.js';
import { MAX_TRANSFER_LEGS, move } from './domain/transfer.js';
import { Ledger } from './ledger.js';

describe('ledger guards on PostgreSQL (every writer, not only ledger_post)', () => {
  const schema = uniqueSchema('settlement_ledger_guards');
  const s = `"${schema}"`;
  let db: ServiceDatabase;
  let ledger: Ledger;
  const bank = Accounts.bankClearing('CNY');
  const funds = Accounts.brandFunds('brand-g', 'CNY');
  const other = Accounts.brandFunds('brand-h', 'CNY');

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, migrations: settlementMigrations(schema), poolSize: 16 });
    ledger = new Ledger(db.dataSource, schema);
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-g', kind: 'deposit', currency: 'CNY', legs: move(bank, funds, 1000) }));
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-h', kind: 'deposit', currency: 'CNY', legs: move(bank, other, 1000) }));
  });

  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const shardOfBank = async (): Promise<string> => {
    const rows: { id: string }[] = await db.dataSource.query(`SELECT id FROM ${s}.accounts WHERE purpose = 'bank_clearing' LIMIT 1`);
    return rows[0].id;
  };

  /** A transfer written directly, not through ledger_post, with the legs given. */
  const rawTransfer = (m: { query: (sql: string, params?: unknown[]) => Promise<unknown> }, id: string, accounts: (string | null)[] | null, amounts: (number | null)[] | null) =>
    m.query(
      `INSERT INTO ${s}.transfers (id, kind, currency, content_hash, leg_accounts, leg_amounts, first_entry_id)
       VALUES ($1, 'deposit', 'CNY', 'x', $2::text[], $3::bigint[], CASE WHEN $2::text[] IS NULL THEN NULL ELSE nextval('${s}.entry_ids') END)`,
      [id, accounts, amounts],
    );

  it('refuses a ledger line written on its own: lines are the legs of their transfer', async () => {
    await expect(
      db.dataSource.query(`INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency) VALUES ('dep-g', $1, 5, 'CNY'), ('dep-g', $2, -5, 'CNY')`, [funds.id, await shardOfBank()]),
    ).rejects.toThrow(/cannot insert into view "entries"/);
    await expect(
      db.dataSource.query(`INSERT INTO ${s}.entries_before_legs (transfer_id, account_id, amount, currency) VALUES ('dep-g', $1, 5, 'CNY'), ('dep-g', $2, -5, 'CNY')`, [funds.id, await shardOfBank()]),
    ).rejects.toThrow(/the ledger lines before SettlementLedgerLegsOnTransfers are closed/);
    expect((await ledger.trialBalance()).balanced).toBe(true);
  });

  it('refuses, at commit, a transfer whose legs name an account that does not exist', async () => {
    await expect(db.dataSource.transaction((m) => rawTransfer(m, 'raw-ghost', [funds.id, 'ghost:account'], [5, -5]))).rejects.toThrow(
      /transfer raw-ghost names account ghost:account, which does not exist in CNY/,
    );
    // An account of another currency is not one of this transfer's accounts either.
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-usd', kind: 'deposit', currency: 'USD', legs: move(Accounts.bankClearing('USD'), Accounts.brandFunds('brand-g', 'USD'), 9) }));
    await expect(db.dataSource.transaction((m) => rawTransfer(m, 'raw-usd', [funds.id, Accounts.brandFunds('brand-g', 'USD').id], [5, -5]))).rejects.toThrow(
      /names account brand:brand-g:funds:USD, which does not exist in CNY/,
    );
    expect(await db.dataSource.query(`SELECT 1 FROM ${s}.transfers WHERE id IN ('raw-ghost', 'raw-usd')`)).toEqual([]);
  });

  it('refuses, at commit, a transfer written directly whose legs do not balance, move nothing, repeat an account or are missing', async () => {
    const bankShard = await shardOfBank();
    const cases: [string, (string | null)[] | null, (number | null)[] | null, RegExp][] = [
      ['raw-unbalanced', [funds.id, bankShard], [5, -4], /transfer raw-unbalanced does not balance/],
      ['raw-zero', [funds.id, bankShard], [0, 0], /transfer raw-zero has a leg of 0 minor units/],
      ['raw-twice', [funds.id, funds.id], [5, -5], /transfer raw-twice names an account twice/],
      ['raw-one-leg', [funds.id], [0], /transfer raw-one-leg does not balance: it needs at least two legs/],
      ['raw-no-legs', null, null, /transfer raw-no-legs does not balance: it needs at least two legs/],
    ];
    for (const [id, accounts, amounts, refusal] of cases) {
      await expect(db.dataSource.transaction((m) => rawTransfer(m, id, accounts, amounts))).rejects.toThrow(refusal);
    }
    await expect(db.dataSource.transaction((m) => rawTransfer(m, 'raw-ragged', [funds.id, bankShard, other.id], [5, -5]))).rejects.toThrow(
      /transfer raw-ragged needs as many leg accounts as amounts, at most 16, and a first entry id/,
    );
    await expect(
      db.dataSource.transaction((m) =>
        m.query(`INSERT INTO ${s}.transfers (id, kind, currency, content_hash, leg_accounts, leg_amounts) VALUES ('raw-unnumbered', 'deposit', 'CNY', 'x', ARRAY[$1, $2], ARRAY[5, -5])`, [
          funds.id,
          bankShard,
        ]),
      ),
    ).rejects.toThrow(/transfer raw-unnumbered needs as many leg accounts as amounts, at most 16, and a first entry id/);
    expect(await db.dataSource.query(`SELECT 1 FROM ${s}.transfers WHERE id LIKE 'raw-%'`)).toEqual([]);
    expect((await ledger.trialBalance()).balanced).toBe(true);
  });

  it('refuses to change the legs of a transfer ledger_post wrote, even in the same transaction', async () => {
    await expect(
      db.dataSource.transaction(async (m) => {
        await ledger.post(m, { transferId: 'dep-then-raw', kind: 'deposit', currency: 'CNY', legs: move(bank, funds, 10) });
        await m.query(`UPDATE ${s}.transfers SET leg_amounts = ARRAY[-10, 17] WHERE id = 'dep-then-raw'`);
      }),
    ).rejects.toThrow(/the ledger is append-only: UPDATE on transfers refused/);
    expect(await db.dataSource.query(`SELECT 1 FROM ${s}.transfers WHERE id = 'dep-then-raw'`)).toEqual([]);
    expect((await ledger.trialBalance()).balanced).toBe(true);
  });

  it('refuses a call of ledger_post whose amounts do not balance, before any balance moves', async () => {
    const before = await ledger.balance(funds.id);
    await expect(
      db.dataSource.query(
        `SELECT ${s}.ledger_post('raw-post', 'deposit', 'CNY', NULL, NULL, NULL, 'h', ARRAY[$1, $2], ARRAY['bank_clearing', 'brand_funds'], ARRAY[NULL, 'brand-g'], ARRAY[NULL, NULL]::text[],
                ARRAY[NULL, 0]::bigint[], ARRAY[-5, 6]::bigint[], ARRAY[1000000000000, 1000000000000]::bigint[])`,
        [await shardOfBank(), funds.id],
      ),
    ).rejects.toThrow(/transfer raw-post does not balance/);
    expect(await ledger.balance(funds.id)).toBe(before);
    expect(await db.dataSource.query(`SELECT 1 FROM ${s}.transfers WHERE id = 'raw-post'`)).toEqual([]);
  });

  it('refuses a call of ledger_post with more legs than a transfer numbers lines for', async () => {
    const n = MAX_TRANSFER_LEGS + 1;
    const accounts = [await shardOfBank(), ...Array.from({ length: n - 1 }, (_, i) => `brand:many-${i}:funds:CNY`)];
    await expect(
      db.dataSource.query(
        `SELECT ${s}.ledger_post('raw-many', 'deposit', 'CNY', NULL, NULL, NULL, 'h', $1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])`,
        [accounts, accounts.map(() => 'brand_funds'), accounts.map(() => null), accounts.map(() => null), accounts.map(() => null), [-(n - 1), ...accounts.slice(1).map(() => 1)], accounts.map(() => '1000000000000')],
      ),
    ).rejects.toThrow(/transfer raw-many has 17 legs, more than 16/);
    expect(await db.dataSource.query(`SELECT 1 FROM ${s}.transfers WHERE id = 'raw-many'`)).toEqual([]);
  });

  it('refuses to delete or rename an account that has entries', async () => {
    await expect(db.dataSource.query(`DELETE FROM ${s}.accounts WHERE id = $1`, [funds.id])).rejects.toThrow(/has entries: DELETE refused/);
    await expect(db.dataSource.query(`UPDATE ${s}.accounts SET id = 'renamed' WHERE id = $1`, [funds.id])).rejects.toThrow(/has entries: UPDATE refused/);
    expect(await ledger.balance(funds.id)).toBe(1000);
    expect((await ledger.trialBalance()).balanced).toBe(true);
  });

  it('moves a balance with one WAL record: no trigger makes PostgreSQL lock the row before each update', async () => {
    // A BEFORE … FOR EACH ROW UPDATE trigger (whatever its column list) makes every UPDATE of the table lock
    // the old row first: a second WAL record per balance moved (SettlementLedgerReleaseWithoutRowLocks).
    type PlanNode = { 'WAL Records': number; Plans?: PlanNode[] };
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    const [row] = (await runner.query(`EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, FORMAT JSON) UPDATE ${s}.accounts SET balance = balance + 1 WHERE id = $1`, [
      funds.id,
    ])) as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
    await runner.rollbackTransaction();
    await runner.release();
    const plan = row['QUERY PLAN'][0].Plan;
    // Only the update's own records: its scan may prune the page (a record of its own, counted below it).
    expect(plan['WAL Records'] - (plan.Plans ?? []).reduce((sum, child) => sum + child['WAL Records'], 0)).toBe(1);
    expect(await ledger.balance(funds.id)).toBe(1000);
  });

  it('answers a repeated transfer as the repeat even when its legs would now break a floor', async () => {
    const a = Accounts.brandFunds('brand-r', 'CNY');
    const b = Accounts.brandFunds('brand-s', 'CNY');
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-r', kind: 'deposit', currency: 'CNY', legs: move(bank, a, 300) }));
    const all = { transferId: 'all-of-r', kind: 'escrow_funding' as const, currency: 'CNY', legs: move(a, b, 300) };
    expect(await db.dataSource.transaction((m) => ledger.post(m, all))).toEqual({ transferId: 'all-of-r', replayed: false });
    // Posting it again would take a below its floor: it is the same transfer, answered as such, nothing moves.
    expect(await db.dataSource.transaction((m) => ledger.post(m, all))).toEqual({ transferId: 'all-of-r', replayed: true });
    await expect(db.dataSource.transaction((m) => ledger.post(m, { ...all, legs: move(a, b, 200) }))).rejects.toMatchObject({ code: 'transfer_id_reused' });
    expect(await ledger.balance(a.id)).toBe(0);
    expect(await ledger.balance(b.id)).toBe(300);
    expect((await ledger.trialBalance()).balanced).toBe(true);
  });

  it('posts every one of many concurrent transfers that create the same account, none refused', async () => {
    // Each finds no row for the new account and creates it; the ones that lose that race see it only once
    // the winner commits, after their own UPDATE's snapshot: they are moved on the locked row, not refused.
    const oneRow = new Ledger(db.dataSource, schema, { ...ledger.limits, pooledShards: 1 });
    for (const currency of ['EUR', 'USD', 'JPY', 'GBP', 'CHF', 'SEK', 'NOK', 'DKK']) {
      const fees = Accounts.platformFees(currency);
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) =>
          db.dataSource.transaction((m) =>
            oneRow.post(m, { transferId: `new-account-${currency}-${i}`, kind: 'deposit', currency, legs: move(Accounts.bankClearing(currency), fees, 3) }),
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await oneRow.balance(fees.id)).toBe(48);
    }
    expect((await ledger.trialBalance()).balanced).toBe(true);
  });
});
