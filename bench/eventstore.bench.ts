// Event store throughput against the machine's own limit: the same rows INSERTed with plain `pg` at
// the same concurrency, measured in the same run, interleaved, median of several rounds.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ServiceDatabase, rebuildProjection, type Projection } from '#libs/eventsourcing';
import { log, machineInfo, median, printReport, round, throughput } from './bench-kit.js';
import { emmettReference } from './emmett-reference.js';

const meta = { correlationId: 'bench', causationId: 'bench' };
const payload = { sku: 'TS-001', quantity: 1200, note: 'cut and sew, 3 sizes', steps: ['cutting', 'sewing', 'packing'] };

export async function eventstoreBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  const schema = `bench_es_${randomUUID().slice(0, 8)}`;
  try {
    await measure(args, schema);
  } finally {
    // Also after a failure: Emmett looks its functions up by name in the whole database, so a schema of
    // Emmett's left behind would keep the next run's from being created.
    const client = new pg.Client({ connectionString: args.databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}_emmett" CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

async function measure(args: { quick: boolean; databaseUrl: string }, schema: string): Promise<void> {
  const rounds = args.quick ? 3 : 5;
  const durationMs = args.quick ? 1500 : 4000;
  const db = await ServiceDatabase.open({ url: args.databaseUrl, schema, poolSize: 20 });
  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 20 });
  const s = `"${schema}"`;
  const emmett = await emmettReference(args.databaseUrl, `${schema}_emmett`);
  await pool.query(`CREATE TABLE ${s}.raw_events (LIKE ${s}.events INCLUDING ALL)`);
  const rawColumns = '(event_id, stream_id, stream_version, type, schema_version, data, correlation_id, causation_id, occurred_at)';
  const rawRow = (n: number) => `($${n + 1}, $${n + 2}, $${n + 3}, 'LotProgressRecorded', 1, $${n + 4}, 'bench', 'bench', now())`;
  const rawParams = (stream: string, version: number) => [randomUUID(), stream, version, JSON.stringify(payload)];

  const cases: { name: string; concurrency: number; ours: (w: number, i: number) => Promise<number>; raw: (w: number, i: number) => Promise<number>; emmett: (w: number, i: number) => Promise<number> }[] = [
    {
      name: 'single-event appends, 1 writer',
      concurrency: 1,
      ours: async () => (await db.store.append(`s-${randomUUID()}`, [{ type: 'LotProgressRecorded', data: payload }], { expectedVersion: 0, metadata: meta }), 1),
      raw: async () => (await pool.query(`INSERT INTO ${s}.raw_events ${rawColumns} VALUES ${rawRow(0)}`, rawParams(`s-${randomUUID()}`, 1)), 1),
      emmett: () => emmett.appendNew(`s-${randomUUID()}`, 1, payload),
    },
    {
      name: 'single-event appends, 16 writers',
      concurrency: 16,
      ours: async () => (await db.store.append(`s-${randomUUID()}`, [{ type: 'LotProgressRecorded', data: payload }], { expectedVersion: 0, metadata: meta }), 1),
      raw: async () => (await pool.query(`INSERT INTO ${s}.raw_events ${rawColumns} VALUES ${rawRow(0)}`, rawParams(`s-${randomUUID()}`, 1)), 1),
      emmett: () => emmett.appendNew(`s-${randomUUID()}`, 1, payload),
    },
    {
      name: '10-event batches, 16 writers',
      concurrency: 16,
      ours: async () => {
        const events = Array.from({ length: 10 }, () => ({ type: 'LotProgressRecorded', data: payload }));
        await db.store.append(`b-${randomUUID()}`, events, { expectedVersion: 0, metadata: meta });
        return 10;
      },
      raw: async () => {
        const stream = `b-${randomUUID()}`;
        const rows = Array.from({ length: 10 }, (_, k) => rawRow(k * 4));
        const params = Array.from({ length: 10 }, (_, k) => rawParams(stream, k + 1)).flat();
        await pool.query(`INSERT INTO ${s}.raw_events ${rawColumns} VALUES ${rows.join(', ')}`, params);
        return 10;
      },
      emmett: () => emmett.appendNew(`b-${randomUUID()}`, 10, payload),
    },
    (() => {
      // Each writer keeps appending to its own existing stream with the version it last saw.
      const oursVersions = new Map<number, { stream: string; version: number }>();
      const rawVersions = new Map<number, { stream: string; version: number }>();
      const emmettVersions = new Map<number, { stream: string; version: number }>();
      return {
        name: 'appends with expected version to existing streams, 16 writers',
        concurrency: 16,
        ours: async (w: number) => {
          const at = oursVersions.get(w) ?? { stream: `e-${randomUUID()}`, version: 0 };
          const r = await db.store.append(at.stream, [{ type: 'LotProgressRecorded', data: payload }], { expectedVersion: at.version, metadata: meta });
          oursVersions.set(w, { stream: at.stream, version: r.nextExpectedVersion });
          return 1;
        },
        raw: async (w: number) => {
          const at = rawVersions.get(w) ?? { stream: `e-${randomUUID()}`, version: 0 };
          await pool.query(`INSERT INTO ${s}.raw_events ${rawColumns} VALUES ${rawRow(0)}`, rawParams(at.stream, at.version + 1));
          rawVersions.set(w, { stream: at.stream, version: at.version + 1 });
          return 1;
        },
        emmett: async (w: number) => {
          const at = emmettVersions.get(w) ?? { stream: `e-${randomUUID()}`, version: 0 };
          emmettVersions.set(w, { stream: at.stream, version: await emmett.appendAt(at.stream, at.version, payload) });
          return 1;
        },
      };
    })(),
  ];

  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    const ours: number[] = [];
    const raw: number[] = [];
    const emm: number[] = [];
    for (let r = 0; r < rounds; r++) {
      raw.push(await throughput(c.concurrency, durationMs, c.raw));
      ours.push(await throughput(c.concurrency, durationMs, c.ours));
      emm.push(await throughput(c.concurrency, durationMs, c.emmett));
    }
    const o = median(ours);
    const ref = median(raw);
    const e = median(emm);
    log(`${c.name}: ${Math.round(o)} events/s vs raw ${Math.round(ref)} (${round(o / ref)}x), Emmett ${Math.round(e)} (${round(o / e)}x)`);
    results.push({ case: c.name, unit: 'events/s', value: Math.round(o), reference: Math.round(ref), ratio: round(o / ref), emmett: Math.round(e), ratioToEmmett: round(o / e), rounds });
  }

  // Reading the whole log in global order, and rebuilding a read model from it.
  const total = args.quick ? 100_000 : 1_000_000;
  log(`loading ${total} events for read-all and rebuild`);
  await pool.query(`TRUNCATE ${s}.events`);
  await pool.query(
    `INSERT INTO ${s}.events (event_id, stream_id, stream_version, type, data, correlation_id, causation_id, occurred_at)
     SELECT gen_random_uuid(), 'r-' || (g / 10), (g % 10) + 1, 'LotProgressRecorded', $1::jsonb, 'bench', 'bench', now()
     FROM generate_series(0, $2 - 1) g`,
    [JSON.stringify(payload), total],
  );
  // Emmett's store gets the same number of events (10 per stream) through its own appends.
  await emmett.store.schema.dangerous.truncate();
  let loaded = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (loaded < total) {
        loaded += 10;
        await emmett.appendNew(`r-${randomUUID()}`, 10, payload);
      }
    }),
  );
  const readOurs: number[] = [];
  const readRaw: number[] = [];
  const readEmmett: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    let position = { transactionId: '0', position: '0' };
    let read = 0;
    for (;;) {
      const batch = await db.log.readAfter(position, 1000);
      if (batch.length === 0) break;
      read += batch.length;
      position = batch[batch.length - 1].globalPosition;
    }
    readOurs.push(read / ((performance.now() - t) / 1000));
    t = performance.now();
    let last = 0;
    read = 0;
    for (;;) {
      const { rows } = await pool.query<{ global_position: string }>(`SELECT * FROM ${s}.events WHERE global_position > $1 ORDER BY global_position LIMIT 1000`, [last]);
      if (rows.length === 0) break;
      read += rows.length;
      last = Number(rows[rows.length - 1].global_position);
    }
    readRaw.push(read / ((performance.now() - t) / 1000));
    t = performance.now();
    read = await emmett.readAll(1000);
    readEmmett.push(read / ((performance.now() - t) / 1000));
  }
  results.push({
    case: `read all in global order (${total} events, batches of 1000)`,
    unit: 'events/s',
    value: Math.round(median(readOurs)),
    reference: Math.round(median(readRaw)),
    ratio: round(median(readOurs) / median(readRaw)),
    emmett: Math.round(median(readEmmett)),
    ratioToEmmett: round(median(readOurs) / median(readEmmett)),
    referenceIs: "plain pg keyset pagination by global_position; Emmett's readMessagesBatch",
  });
  log(`read-all: ${Math.round(median(readOurs))} events/s vs raw ${Math.round(median(readRaw))}, Emmett ${Math.round(median(readEmmett))}`);

  await pool.query(`CREATE TABLE ${s}.stream_counts (stream_id text PRIMARY KEY, events int NOT NULL)`);
  const counts: Projection = {
    name: 'stream-counts',
    handles: ['LotProgressRecorded'],
    apply: async (event, manager) => {
      await manager.query(
        `INSERT INTO ${s}.stream_counts (stream_id, events) VALUES ($1, 1) ON CONFLICT (stream_id) DO UPDATE SET events = stream_counts.events + 1`,
        [event.streamId],
      );
    },
    reset: async (manager) => {
      await manager.query(`TRUNCATE ${s}.stream_counts`);
    },
  };
  const t = performance.now();
  const applied = await rebuildProjection(db.dataSource, db.log, counts);
  const rebuildRate = applied / ((performance.now() - t) / 1000);
  const [{ sum }] = (await pool.query<{ sum: string }>(`SELECT sum(events)::text AS sum FROM ${s}.stream_counts`)).rows;
  if (Number(sum) !== total) throw new Error(`rebuild counted ${sum} events, expected ${total}`);
  results.push({ case: `projection rebuild (${total} events, one upsert per event)`, unit: 'events/s', value: Math.round(rebuildRate) });
  log(`rebuild: ${Math.round(rebuildRate)} events/s`);

  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  await pool.query(`DROP SCHEMA ${s} CASCADE`);
  await pool.end();
  await db.close();
  await emmett.close();
  printReport({ bench: 'eventstore', results, machine: machineInfo({ postgres: rows[0].server_version, quick: args.quick }) });
}
