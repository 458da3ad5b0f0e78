// PostgreSQL's CPU per consumer transaction with and without auto-prepared statements (issue 20, sixth
// pass; libs/eventsourcing auto-prepare.ts). The transaction is an order's usual one in the pipeline,
// through the library's own code: the inbox claims an event, the effect reads its stream's summary, appends
// one event and upserts the summary, the inbox records the event, commit. Two service databases, one with
// MESHFAB_DB_AUTO_PREPARE's default (on), one with it off, alternated sample by sample on the same server;
// the server's CPU is read from /proc/<pid>/stat of each pool's backends (found by application_name), so
// the server must run on this machine. Also the Node process's CPU per transaction (process.cpuUsage).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ServiceDatabase } from '#libs/eventsourcing';
import { log, machineInfo, median, printReport, processCpuMicros as cpuMicros, round } from './bench-kit.js';

interface Sample {
  serverMicrosPerTx: number;
  nodeMicrosPerTx: number;
}

export async function preparedBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  const samples = args.quick ? 3 : 7;
  const perSample = args.quick ? 400 : 1000;
  const streams = 50;
  const tag = randomUUID().slice(0, 8);
  const open = async (autoPrepare: boolean) => {
    const schema = `bench_prep_${autoPrepare ? 'on' : 'off'}_${tag}`;
    const db = await ServiceDatabase.open({ url: args.databaseUrl, schema, poolSize: 2, autoPrepare });
    await db.dataSource.query(`CREATE TABLE "${schema}".summary (stream_id text PRIMARY KEY, version int NOT NULL, view jsonb NOT NULL)`);
    return { db, schema, autoPrepare };
  };
  const variants = [await open(false), await open(true)];

  const transactions = (v: (typeof variants)[number]) => async (count: number) => {
    const s = `"${v.schema}"`;
    for (let i = 0; i < count; i++) {
      const streamId = `order-${i % streams}`;
      const eventId = randomUUID();
      await v.db.inbox.handleOnce('bench-consumer', eventId, async (m) => {
        const rows: { version: number }[] = await m.query(`SELECT version FROM ${s}.summary WHERE stream_id = $1`, [streamId]);
        const { nextExpectedVersion } = await v.db.store.append(streamId, [{ type: 'BenchEvent', data: { i, at: new Date().toISOString() } }], {
          expectedVersion: 'any',
          manager: m,
          metadata: { correlationId: eventId, causationId: eventId },
        });
        await m.query(
          `INSERT INTO ${s}.summary (stream_id, version, view) VALUES ($1, $2, $3)
           ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, view = EXCLUDED.view`,
          [streamId, nextExpectedVersion, JSON.stringify({ last: i, before: rows[0]?.version ?? null })],
        );
      });
    }
  };
  const backends = async (v: (typeof variants)[number]) =>
    (await v.db.dataSource.query<{ pid: number }[]>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [`meshfab-${v.schema}`])).map((r) => Number(r.pid));
  // The pool's backends: sequential transactions reuse the connection released last, so another one may sit
  // idle and be closed by the pool during a sample (it did no work then: its CPU counts as it was).
  const measure = async (v: (typeof variants)[number]): Promise<Sample> => {
    const run = transactions(v);
    await run(20);
    const before = new Map((await backends(v)).map((pid) => [pid, cpuMicros(pid)]));
    const readable = [...before.values()].filter((c) => c !== undefined);
    if (readable.length === 0) throw new Error('cannot read /proc/<pid>/stat of any backend: this bench needs the PostgreSQL server on this machine');
    const node = process.cpuUsage();
    await run(perSample);
    const nodeUsed = process.cpuUsage(node);
    let serverUsed = 0;
    for (const [pid, start] of before) if (start !== undefined) serverUsed += (cpuMicros(pid) ?? start) - start;
    if ((await backends(v)).some((pid) => !before.has(pid))) log('  (a new backend joined the pool during the sample; its CPU is not counted)');
    return { serverMicrosPerTx: serverUsed / perSample, nodeMicrosPerTx: (nodeUsed.user + nodeUsed.system) / perSample };
  };

  // Warm-up: plans, caches, and on the auto-prepared side the statements prepared on both connections.
  for (const v of variants) await transactions(v)(200);
  const figures = new Map(variants.map((v) => [v.autoPrepare, [] as Sample[]]));
  for (let k = 0; k < samples; k++) {
    for (const v of variants) figures.get(v.autoPrepare)!.push(await measure(v));
    const f = (x: Sample) => `server ${round(x.serverMicrosPerTx, 0)} µs, node ${round(x.nodeMicrosPerTx, 0)} µs`;
    log(`sample ${k + 1}/${samples}: unnamed statements ${f(figures.get(false)![k])}; auto-prepared ${f(figures.get(true)![k])}`);
  }
  const summary = (name: string, values: Sample[]) => ({
    case: name,
    serverMicrosPerTx: values.map((v) => round(v.serverMicrosPerTx, 0)),
    serverMedian: round(median(values.map((v) => v.serverMicrosPerTx)), 0),
    nodeMicrosPerTx: values.map((v) => round(v.nodeMicrosPerTx, 0)),
    nodeMedian: round(median(values.map((v) => v.nodeMicrosPerTx)), 0),
  });
  const off = summary('consumer transaction, every statement unnamed (MESHFAB_DB_AUTO_PREPARE=false; reference)', figures.get(false)!);
  const on = summary('consumer transaction, auto-prepared statements (the default)', figures.get(true)!);
  printReport({
    bench: 'prepared',
    results: [off, on, { case: 'server CPU per transaction, auto-prepared ÷ unnamed', ratio: round(on.serverMedian / off.serverMedian) }],
    machine: machineInfo({ samples, perSample, loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }),
  });
  for (const v of variants) {
    await v.db.dataSource.query(`DROP SCHEMA "${v.schema}" CASCADE`);
    await v.db.close();
  }
}
