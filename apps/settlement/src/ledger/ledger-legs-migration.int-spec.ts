// SettlementLedgerLegsOnTransfers on a ledger that already has lines: the lines written before keep their
// ids and stay readable beside the new ones (which continue after them), the books still prove out, an
// account with old lines only is still protected, and the migration's down puts every line back in the
// table with the id it was read by.
import { ServiceDatabase } from '#libs/eventsourcing';
import { decodeCursor } from '#libs/platform';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { settlementMigrations } from '../settlement.migrations.js';
import { Accounts } from './domain/accounts.js';
import { move } from './domain/transfer.js';
import { Ledger, type MemberEntry } from './ledger.js';

describe('ledger lines across SettlementLedgerLegsOnTransfers (PostgreSQL)', () => {
  const schema = uniqueSchema('settlement_ledger_legs');
  const s = `"${schema}"`;
  const all = settlementMigrations(schema);
  const before = all.filter((m) => new m().name !== 'SettlementLedgerLegsOnTransfers1768000000000');
  const bank = Accounts.bankClearing('CNY');
  const funds = Accounts.brandFunds('brand-m', 'CNY');
  const escrow = Accounts.orderEscrow('order-m', 'brand-m', 'CNY');
  const quiet = Accounts.brandFunds('brand-q', 'CNY');

  afterAll(async () => {
    await dropSchema(testDatabaseUrl(), schema);
  });

  const linesOf = async (ledger: Ledger, memberId: string): Promise<MemberEntry[]> => {
    const lines: MemberEntry[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await ledger.entriesOfMember(memberId, { limit: 2, after });
      lines.push(...page.items);
      if (!page.nextCursor) return lines;
      after = decodeCursor(page.nextCursor, ['id'])?.[0];
    }
  };

  it('keeps the lines written before, with their ids, and numbers the new ones after them', async () => {
    expect(before).toHaveLength(all.length - 1);
    // The ledger as it was: lines in the entries table.
    let db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, migrations: before, poolSize: 4 });
    let ledger = new Ledger(db.dataSource, schema);
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-1', kind: 'deposit', currency: 'CNY', legs: move(bank, funds, 1000) }));
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-q', kind: 'deposit', currency: 'CNY', legs: move(bank, quiet, 50) }));
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'esc-1', kind: 'escrow_funding', currency: 'CNY', orderId: 'order-m', legs: move(funds, escrow, 300) }));
    const tableRows = (): Promise<{ id: string; transfer_id: string; account_id: string; amount: string }[]> =>
      db.dataSource.query(`SELECT id::text, transfer_id, account_id, amount::text FROM ${s}.entries ORDER BY id`);
    const oldRows = await tableRows();
    expect(oldRows).toHaveLength(6);
    await db.close();

    // Migrated: the same lines, same ids; new transfers carry their legs.
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, migrations: all, poolSize: 4 });
    ledger = new Ledger(db.dataSource, schema);
    expect(await tableRows()).toEqual(oldRows);
    const ofMember = await linesOf(ledger, 'brand-m');
    const old = ofMember.filter((l) => l.accountId === funds.id);
    expect(ofMember.filter((l) => l.accountId === escrow.id).map((l) => [String(l.entryId), l.transferId, l.balanceAfterMinor])).toEqual([
      [oldRows.find((r) => r.transfer_id === 'esc-1' && r.account_id === escrow.id)?.id, 'esc-1', 300],
    ]);
    expect(old.map((l) => [String(l.entryId), l.transferId, l.amountMinor, l.balanceAfterMinor])).toEqual([
      [oldRows.find((r) => r.transfer_id === 'esc-1' && r.account_id === funds.id)?.id, 'esc-1', -300, 700],
      [oldRows.find((r) => r.transfer_id === 'dep-1' && r.account_id === funds.id)?.id, 'dep-1', 1000, 1000],
    ]);
    await expect(db.dataSource.query(`DELETE FROM ${s}.entries_before_legs`)).rejects.toThrow(/append-only/);
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'esc-2', kind: 'escrow_funding', currency: 'CNY', orderId: 'order-m', legs: move(funds, escrow, 200) }));
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-2', kind: 'deposit', currency: 'CNY', legs: move(bank, funds, 5) }));
    const [row] = await db.dataSource.query(`SELECT cardinality(leg_accounts) AS legs FROM ${s}.transfers WHERE id = 'esc-2'`);
    expect(row.legs).toBe(2);
    const lines = (await linesOf(ledger, 'brand-m')).filter((l) => l.accountId === funds.id);
    expect(lines.map((l) => [l.transferId, l.amountMinor, l.balanceAfterMinor])).toEqual([
      ['dep-2', 5, 505],
      ['esc-2', -200, 500],
      ['esc-1', -300, 700],
      ['dep-1', 1000, 1000],
    ]);
    expect(lines.slice(2)).toEqual(old);
    expect(lines[1].entryId).toBeGreaterThan(old[0].entryId);
    expect(lines[0].entryId).toBeGreaterThan(lines[1].entryId);
    expect((await ledger.transfers({ accountId: escrow.id })).map((t) => t.transferId)).toEqual(['esc-2', 'esc-1']);
    expect((await ledger.transfers({ orderId: 'order-m' })).map((t) => [t.transferId, t.entries.length])).toEqual([
      ['esc-2', 2],
      ['esc-1', 2],
    ]);
    expect((await ledger.transfers({ accountId: bank.id })).map((t) => t.transferId).sort()).toEqual(['dep-1', 'dep-2', 'dep-q']);
    const check = await ledger.trialBalance();
    expect(check).toMatchObject({ balanced: true, transfers: 5 });
    // An account whose only lines were written before is protected as one with new lines is.
    await expect(db.dataSource.query(`DELETE FROM ${s}.accounts WHERE id = $1`, [quiet.id])).rejects.toThrow(/has entries: DELETE refused/);
    await expect(db.dataSource.query(`DELETE FROM ${s}.accounts WHERE id = $1`, [escrow.id])).rejects.toThrow(/has entries: DELETE refused/);

    // Down: every line back in the table with the id it was read by, and the previous posting works.
    const viewed: { id: string; transfer_id: string; account_id: string; amount: string }[] = await db.dataSource.query(
      `SELECT id::text, transfer_id, account_id, amount::text FROM ${s}.entries ORDER BY id`,
    );
    expect(viewed).toHaveLength(10);
    await db.dataSource.undoLastMigration();
    const [kind] = await db.dataSource.query(`SELECT relkind FROM pg_class WHERE oid = '${s}.entries'::regclass`);
    expect(kind.relkind).toBe('r');
    await expect(db.dataSource.query(`UPDATE ${s}.accounts SET balance = -1 WHERE id = $1`, [funds.id])).rejects.toThrow(/"accounts_floor"/);
    expect(await db.dataSource.query(`SELECT id::text, transfer_id, account_id, amount::text FROM ${s}.entries ORDER BY id`)).toEqual(viewed);
    await db.dataSource.transaction((m) => ledger.post(m, { transferId: 'dep-3', kind: 'deposit', currency: 'CNY', legs: move(bank, funds, 1) }));
    const [newest] = await db.dataSource.query(`SELECT min(id)::text AS id FROM ${s}.entries WHERE transfer_id = 'dep-3'`);
    expect(BigInt(newest.id)).toBeGreaterThan(BigInt(viewed[viewed.length - 1].id));
    expect(await ledger.trialBalance()).toMatchObject({ balanced: true, transfers: 6 });
    await db.close();
  });
});
