// PostgreSQL's own CPU per lot release (issue 16): one session, its server backend's CPU time read from
// /proc/<pid>/stat (utime + stime, clock ticks) before and after 1,000 releases, alternated with 1,000
// plain single-row UPDATEs on the same session, and the releases on the schema before the newest ledger
// migrations (the same Node call). The server must run on this machine (its /proc is read). Also the
// Node process's own CPU per call (process.cpuUsage), which the throughput bench's client spends too.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ServiceDatabase } from '#libs/eventsourcing';
import { Ledger } from '../apps/settlement/src/ledger/ledger.js';
import { settlementMigrations } from '../apps/settlement/src/settlement.migrations.js';
import { log, machineInfo, median, printReport, processCpuMicros, round } from './bench-kit.js';
import { PREVIOUS_SCHEMA_WITHOUT } from './settlement.bench.js';
import { benchLots, fundBenchLots, LOTS, lotRelease } from './settlement-lots.js';


/** The backend's CPU in µs; it must not end during the bench. */
function cpuMicros(pid: number): number {
  const micros = processCpuMicros(pid);
  if (micros === undefined) throw new Error(`cannot read /proc/${pid}/stat: the PostgreSQL server must run on this machine`);
  return micros;
}

export async function settlementCpuBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  const samples = args.quick ? 3 : 5;
  const perSample = 1000;
  const schema = `bench_cpu_${randomUUID().slice(0, 8)}`;
  const previousSchema = `${schema}_prev`;
  const db = await ServiceDatabase.open({ url: args.databaseUrl, schema, migrations: settlementMigrations(schema), poolSize: 4 });
  const previousDb = await ServiceDatabase.open({
    url: args.databaseUrl,
    schema: previousSchema,
    migrations: settlementMigrations(previousSchema).filter((m) => !PREVIOUS_SCHEMA_WITHOUT.includes(new m().name ?? '')),
    poolSize: 2,
  });
  await previousDb.close();
  const s = `"${schema}"`;
  await db.dataSource.query(`CREATE TABLE ${s}.bench_rows (id int PRIMARY KEY, v bigint NOT NULL DEFAULT 0)`);
  await db.dataSource.query(`INSERT INTO ${s}.bench_rows (id) SELECT generate_series(0, ${LOTS - 1})`);
  const ledgers = { current: new Ledger(db.dataSource, schema), previous: new Ledger(db.dataSource, previousSchema) };
  const lots = benchLots();
  for (const ledger of Object.values(ledgers)) await fundBenchLots(db.dataSource, ledger, lots);
  // One session: each release its own transaction (as in the throughput bench), on this connection.
  const runner = db.dataSource.createQueryRunner();
  const client = (await runner.connect()) as pg.PoolClient;
  const pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const releases = (ledger: Ledger) => async () => {
    for (let i = 0; i < perSample; i++) {
      await ledger.post(runner.manager, lotRelease(lots[i % LOTS], i));
    }
  };
  const updates = async () => {
    for (let i = 0; i < perSample; i++) await client.query({ name: 'bench_update', text: `UPDATE ${s}.bench_rows SET v = v + 1 WHERE id = $1`, values: [i % LOTS] });
  };
  const measure = async (work: () => Promise<void>) => {
    const server = cpuMicros(pid);
    const node = process.cpuUsage();
    await work();
    const nodeUsed = process.cpuUsage(node);
    return { serverMicrosPerCall: (cpuMicros(pid) - server) / perSample, nodeMicrosPerCall: (nodeUsed.user + nodeUsed.system) / perSample };
  };
  // Warm-up: prepared statements, plans, caches.
  await releases(ledgers.current)();
  await releases(ledgers.previous)();
  await updates();
  type Sample = { serverMicrosPerCall: number; nodeMicrosPerCall: number };
  const figures = { current: [] as Sample[], previous: [] as Sample[], update: [] as Sample[] };
  for (let k = 0; k < samples; k++) {
    figures.current.push(await measure(releases(ledgers.current)));
    figures.update.push(await measure(updates));
    figures.previous.push(await measure(releases(ledgers.previous)));
    const f = (x: Sample) => `${round(x.serverMicrosPerCall, 0)} µs (node ${round(x.nodeMicrosPerCall, 0)} µs)`;
    log(`sample ${k + 1}/${samples}: release ${f(figures.current[k])}, plain UPDATE ${f(figures.update[k])}, release on the previous schema ${f(figures.previous[k])}`);
  }
  await runner.release();
  for (const ledger of Object.values(ledgers)) {
    const check = await ledger.trialBalance();
    if (!check.balanced) throw new Error(`the ledger does not balance after the bench: ${JSON.stringify(check)}`);
  }
  const summary = (name: string, values: Sample[]) => ({
    case: name,
    serverMicrosPerCall: values.map((v) => round(v.serverMicrosPerCall, 0)),
    serverMedian: round(median(values.map((v) => v.serverMicrosPerCall)), 0),
    nodeMicrosPerCall: values.map((v) => round(v.nodeMicrosPerCall, 0)),
    nodeMedian: round(median(values.map((v) => v.nodeMicrosPerCall)), 0),
  });
  printReport({
    bench: 'settlement-cpu',
    results: [
      summary('release (backend CPU per call, one session, 1,000 per sample)', figures.current),
      summary('plain UPDATE (same session, alternated)', figures.update),
      summary(`release on the schema without ${PREVIOUS_SCHEMA_WITHOUT.join(', ')}`, figures.previous),
    ],
    machine: machineInfo({ samples, perSample, loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }),
  });
  await db.dataSource.query(`DROP SCHEMA ${s} CASCADE`);
  await db.dataSource.query(`DROP SCHEMA "${previousSchema}" CASCADE`);
  await db.close();
}
