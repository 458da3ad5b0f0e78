// Lot releases against the machine's own limit (issue 16): every release posts escrow → workshop payable
// + platform fee, and the platform fee account (one per currency) used to be a row locked FOR UPDATE by
// every release, so all releases of a currency queued on it. Measured: releases/s with 16 concurrent
// lots (16 distinct orders and workshops, one currency) as a ratio to plain single-row `UPDATE`s of 16
// distinct rows at the same concurrency on the same PostgreSQL, interleaved, median of several rounds.
// The "one fee row" case posts with pooledShards = 1: exactly the old single hot row.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { EntityManager } from 'typeorm';
import { ServiceDatabase } from '#libs/eventsourcing';
import { DEFAULT_LEDGER_LIMITS } from '../apps/settlement/src/ledger/domain/limits.js';
import { Ledger } from '../apps/settlement/src/ledger/ledger.js';
import { settlementMigrations } from '../apps/settlement/src/settlement.migrations.js';
import { log, machineInfo, median, printReport, round, throughput } from './bench-kit.js';
import { benchLots, fundBenchLots, LOTS, lotRelease } from './settlement-lots.js';


/**
 * The ledger migrations the "previous schema" case leaves out: the releases on it are measured in the same
 * rounds with the same Node call (ledger_post keeps its signature), so the case shows what they gained.
 */
export const PREVIOUS_SCHEMA_WITHOUT: readonly string[] = ['SettlementLedgerLegsOnTransfers1768000000000'];

export async function settlementBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  const rounds = args.quick ? 3 : 5;
  const durationMs = args.quick ? 2000 : 5000;
  const schema = `bench_settle_${randomUUID().slice(0, 8)}`;
  const db = await ServiceDatabase.open({ url: args.databaseUrl, schema, migrations: settlementMigrations(schema), poolSize: LOTS + 4 });
  // The same releases on a schema without the latest ledger migration (PREVIOUS_SCHEMA_WITHOUT), measured in
  // the same rounds.
  const previousSchema = `${schema}_prev`;
  // Migrated on a small pool of its own, then used through the same pool as the rest (the shared server's
  // connections are few): the ledger names its schema in every statement.
  const previousDb = await ServiceDatabase.open({ url: args.databaseUrl, schema: previousSchema, migrations: settlementMigrations(previousSchema).filter((m) => !PREVIOUS_SCHEMA_WITHOUT.includes(new m().name ?? '')), poolSize: 2 });
  await previousDb.close();
  // The reference's UPDATEs go through the same pg pool as the releases (TypeORM's driver keeps it as `master`).
  const pool = (db.dataSource.driver as unknown as { master: pg.Pool }).master;
  const s = `"${schema}"`;
  await pool.query(`CREATE TABLE ${s}.bench_rows (id int PRIMARY KEY, v bigint NOT NULL DEFAULT 0)`);
  await pool.query(`INSERT INTO ${s}.bench_rows (id) SELECT generate_series(0, ${LOTS - 1})`);

  const ledgers = {
    oneFeeRow: new Ledger(db.dataSource, schema, { ...DEFAULT_LEDGER_LIMITS, pooledShards: 1 }),
    sharded: new Ledger(db.dataSource, schema),
    previous: new Ledger(db.dataSource, previousSchema),
  };
  // 16 lots, each with a well-funded escrow of its own order: every release takes 100 fen from it.
  const lots = benchLots();
  for (const ledger of [ledgers.sharded, ledgers.previous]) await fundBenchLots(db.dataSource, ledger, lots);
  // A release is one statement (ledger_post): on its own it is its own transaction, like the reference's
  // UPDATE; `inTransaction` wraps it in BEGIN … COMMIT as a consumer's inbox transaction does.
  const release = (ledger: Ledger, inTransaction = false) => async (w: number, i: number) => {
    const post = (m: EntityManager) => ledger.post(m, lotRelease(lots[w], i));
    await (inTransaction ? db.dataSource.transaction(post) : post(db.dataSource.manager));
    return 1;
  };
  const plainUpdate = async (w: number) => (await pool.query(`UPDATE ${s}.bench_rows SET v = v + 1 WHERE id = $1`, [w]), 1);

  const figures = { reference: [] as number[], oneFeeRow: [] as number[], sharded: [] as number[], shardedInTransaction: [] as number[], previous: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    figures.reference.push(await throughput(LOTS, durationMs, plainUpdate));
    figures.oneFeeRow.push(await throughput(LOTS, durationMs, release(ledgers.oneFeeRow)));
    figures.sharded.push(await throughput(LOTS, durationMs, release(ledgers.sharded)));
    figures.shardedInTransaction.push(await throughput(LOTS, durationMs, release(ledgers.sharded, true)));
    figures.previous.push(await throughput(LOTS, durationMs, release(ledgers.previous)));
    log(
      `round ${r + 1}/${rounds}: plain UPDATE ${round(figures.reference[r], 0)}/s, one fee row ${round(figures.oneFeeRow[r], 0)}/s, sharded ${round(figures.sharded[r], 0)}/s, sharded in BEGIN/COMMIT ${round(figures.shardedInTransaction[r], 0)}/s, sharded on the previous schema ${round(figures.previous[r], 0)}/s`,
    );
  }
  const check = await ledgers.sharded.trialBalance();
  if (!check.balanced) throw new Error(`the ledger does not balance after the bench: ${JSON.stringify(check)}`);
  const previousCheck = await ledgers.previous.trialBalance();
  if (!previousCheck.balanced) throw new Error(`the previous schema's ledger does not balance after the bench: ${JSON.stringify(previousCheck)}`);
  const reference = median(figures.reference);
  const result = (name: string, values: number[], shards: number) => ({
    case: name,
    pooledShards: shards,
    releasesPerSecond: round(median(values), 0),
    referencePlainUpdatesPerSecond: round(reference, 0),
    ratio: round(median(values) / reference),
    target: 0.5,
  });
  printReport({
    bench: 'settlement',
    results: [
      result('releases/s with 16 concurrent lots, one platform-fee row (as before)', figures.oneFeeRow, 1),
      result('releases/s with 16 concurrent lots, sharded platform-fee account', figures.sharded, DEFAULT_LEDGER_LIMITS.pooledShards),
      result('releases/s with 16 concurrent lots, sharded, each inside BEGIN … COMMIT', figures.shardedInTransaction, DEFAULT_LEDGER_LIMITS.pooledShards),
      result(`releases/s with 16 concurrent lots, sharded, on the schema without ${PREVIOUS_SCHEMA_WITHOUT.join(', ')}`, figures.previous, DEFAULT_LEDGER_LIMITS.pooledShards),
      { case: 'ledger check after the bench', balanced: check.balanced, transfers: check.transfers, accounts: check.accounts },
    ],
    machine: machineInfo({ rounds, durationMs }),
  });
  await pool.query(`DROP SCHEMA ${s} CASCADE`);
  await pool.query(`DROP SCHEMA "${previousSchema}" CASCADE`);
  await db.close();
}
