// The guarantees ledger_post keeps without foreign keys and without a trigger call per entry
// (SettlementLedgerLeanPosting): the database still refuses, from any writer that is not ledger_post, an
// unbalanced transfer, an entry without its transfer or account, and an account's removal under its
// entries; and ledger_post itself refuses amounts that do not balance.
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { settlementMigrations } from '../settlement.migrations.js';
import { Accounts } from './domain/accounts.js';
import { move } from './domain/transfer.js';
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

  it('refuses, at commit, an entry that names a transfer that does not exist', async () => {
    await expect(
      db.dataSource.transaction(async (m) => {
        await m.query(`INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency) VALUES ('no-such-transfer', $1, 5, 'CNY'), ('no-such-transfer', $2, -5, 'CNY')`, [
          funds.id,
          await shardOfBank(),
        ]);
      }),
    ).rejects.toThrow(/names transfer no-such-transfer, which does not exist/);
  });

  it('refuses, at commit, an entry that names an account that does not exist', async () => {
    await expect(
      db.dataSource.transaction(async (m) => {
        await m.query(`INSERT INTO ${s}.transfers (id, kind, currency, content_hash) VALUES ('raw-ghost', 'deposit', 'CNY', 'x')`);
        await m.query(`INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency) VALUES ('raw-ghost', $1, 5, 'CNY'), ('raw-ghost', 'ghost:account', -5, 'CNY')`, [funds.id]);
      }),
    ).rejects.toThrow(/names account ghost:account, which does not exist/);
  });

  it('refuses a direct entry that unbalances a transfer ledger_post wrote earlier in the same transaction', async () => {
    await expect(
      db.dataSource.transaction(async (m) => {
        await ledger.post(m, { transferId: 'dep-then-raw', kind: 'deposit', currency: 'CNY', legs: move(bank, funds, 10) });
        await m.query(`INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency) VALUES ('dep-then-raw', $1, 7, 'CNY')`, [other.id]);
      }),
    ).rejects.toThrow(/transfer dep-then-raw does not balance/);
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
