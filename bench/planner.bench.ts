// Planner at scale: a 5-step order planned the way the matching service plans it — one transaction
// with the candidate query against the network view (PostgreSQL), the pure planner, the capacity
// bookings, the offers and their events — against networks of 1,000 / 10,000 / 100,000 workshops
// seeded with bulk SQL into the matching schema's network-view tables. Then many orders at once into
// one crowded region, with the capacity book checked for double booking. Reference, measured in the
// same run: the same number of statements as bare `pg` primary-key lookups, one after the other.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import pg from 'pg';
import type { OrderSubmittedContract } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../apps/matching/src/config.js';
import { MatchingModule } from '../apps/matching/src/matching.module.js';
import { REGION_CELL_SQL } from '../apps/matching/src/matching.migrations.js';
import { NetworkView } from '../apps/matching/src/network/network-view.js';
import { dayNumber } from '../apps/matching/src/plan/domain/planner.js';
import { PlanningService } from '../apps/matching/src/plan/planning.service.js';
import { log, machineInfo, median, percentile, printReport, round } from './bench-kit.js';

export const NOW = new Date('2030-03-01T08:00:00Z');
const FIRST_DAY = dayNumber(NOW) + 1;
const PROCESSES = ['cutting', 'sewing', 'embroidery', 'washing', 'packing', 'ironing', 'screen-printing', 'dyeing', 'knitting', 'digital-printing'];
const ROUTE = [
  { stepId: 'cut', process: 'cutting', wc: 0.02 },
  { stepId: 'sew', process: 'sewing', wc: 0.1 },
  { stepId: 'embroider', process: 'embroidery', wc: 0.05 },
  { stepId: 'wash', process: 'washing', wc: 0.02 },
  { stepId: 'pack', process: 'packing', wc: 0.01 },
];
/** Manufacturing hubs: Ningbo, Guangzhou, Suzhou, Qingdao, Chengdu, Quanzhou, Wuhan, Tianjin. */
const HUBS = [
  [29.87, 121.55],
  [23.13, 113.26],
  [31.3, 120.6],
  [36.07, 120.38],
  [30.57, 104.07],
  [24.87, 118.68],
  [30.59, 114.3],
  [39.13, 117.2],
];

/** Deterministic uniform [0, 1) in SQL from integers (PostgreSQL's hashint4). */
const rnd = (expr: string, salt: number): string =>
  `((hashint4((((${expr})::bigint * 7919 + ${salt}) % 2147483647)::int) & 2147483647)::double precision / 2147483648.0)`;

class Counter {
  statements = 0;
}

/** Counts every statement sent to PostgreSQL by this process (TypeORM and the event store use `pg`). */
function countStatements(counter: Counter): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    counter.statements++;
    return original.apply(this, args);
  };
}

export async function seed(pool: pg.Pool, s: string, from: number, to: number, horizonDays: number): Promise<number> {
  const t0 = performance.now();
  const hub = `floor(${rnd('i', 11)} * ${HUBS.length})::int`;
  const hubLat = `(ARRAY[${HUBS.map((h) => h[0]).join(',')}])[${hub} + 1]`;
  const hubLng = `(ARRAY[${HUBS.map((h) => h[1]).join(',')}])[${hub} + 1]`;
  // 60 % around a hub (± 1.5°), 40 % anywhere in 22–40° N, 104–122° E.
  await pool.query(
    `INSERT INTO ${s}.workshops (workshop_id, name, lat, lng, region)
     SELECT 'w' || lpad(i::text, 7, '0'), 'workshop ' || i,
            CASE WHEN ${rnd('i', 1)} < 0.6 THEN ${hubLat} + (${rnd('i', 2)} - 0.5) * 3 ELSE 22 + ${rnd('i', 3)} * 18 END,
            CASE WHEN ${rnd('i', 1)} < 0.6 THEN ${hubLng} + (${rnd('i', 4)} - 0.5) * 3 ELSE 104 + ${rnd('i', 5)} * 18 END,
            NULL
     FROM generate_series($1::int, $2::int) AS i`,
    [from, to],
  );
  // Two processes per workshop; 30 % priced per hour; efficiency 0.7–1.5; half with a quality record
  // (0.75–1), carried in the candidate index as NetworkView keeps it.
  await pool.query(
    `INSERT INTO ${s}.capabilities (workshop_id, process, efficiency, pricing, price_minor, currency, parameters, region_cell, unit_cost, lat, lng, quality)
     SELECT w.workshop_id, (ARRAY[${PROCESSES.map((p) => `'${p}'`).join(',')}])[pi + 1], e, pricing, price, 'CNY', '{}', ${REGION_CELL_SQL('w.lat', 'w.lng')},
            CASE pricing WHEN 'per_hour' THEN price * e ELSE price END, w.lat, w.lng,
            CASE WHEN ${rnd('g.i * 2 + k.n', 13)} < 0.5 THEN 0.75 + ${rnd('g.i * 2 + k.n', 12)} * 0.25 END
     FROM (SELECT i, 'w' || lpad(i::text, 7, '0') AS id, (${rnd('i', 6)} * 10)::int % 10 AS p1, (1 + (${rnd('i', 7)} * 9)::int % 9) AS d FROM generate_series($1::int, $2::int) AS i) g
     CROSS JOIN LATERAL (VALUES ((g.p1) % 10, 0), ((g.p1 + g.d) % 10, 1)) AS k(pi, n)
     CROSS JOIN LATERAL (SELECT 0.7 + ${rnd('g.i * 2 + k.n', 8)} * 0.8 AS e,
                                CASE WHEN ${rnd('g.i * 2 + k.n', 9)} < 0.3 THEN 'per_hour' ELSE 'per_unit' END AS pricing) a
     CROSS JOIN LATERAL (SELECT CASE a.pricing WHEN 'per_hour' THEN 2000 + (${rnd('g.i * 2 + k.n', 10)} * 6000)::int ELSE 20 + (${rnd('g.i * 2 + k.n', 10)} * 300)::int END AS price) b
     JOIN ${s}.workshops w ON w.workshop_id = g.id`,
    [from, to],
  );
  await pool.query(
    `INSERT INTO ${s}.quality (workshop_id, process, score, lots_inspected, lots_passed)
     SELECT c.workshop_id, c.process, c.quality, 20, 18 FROM ${s}.capabilities c WHERE c.workshop_id BETWEEN $1 AND $2 AND c.quality IS NOT NULL`,
    [`w${String(from).padStart(7, '0')}`, `w${String(to).padStart(7, '0')}`],
  );
  // 4–10 shared hours a day for the next `horizonDays` days, Sundays off.
  await pool.query(
    `INSERT INTO ${s}.capacity_days (workshop_id, process, day, capacity_min)
     SELECT c.workshop_id, c.process, DATE '1970-01-01' + d, 240 + 60 * ((hashint4(hashtext(c.workshop_id || c.process)) & 65535) % 7)
     FROM ${s}.capabilities c CROSS JOIN generate_series($3::int, $4::int) AS d
     WHERE c.workshop_id BETWEEN $1 AND $2 AND extract(dow FROM DATE '1970-01-01' + d) <> 0`,
    [`w${String(from).padStart(7, '0')}`, `w${String(to).padStart(7, '0')}`, FIRST_DAY, FIRST_DAY + horizonDays - 1],
  );
  // As autovacuum would leave them after a bulk load: statistics and visibility map up to date.
  await pool.query(`VACUUM ANALYZE ${s}.workshops, ${s}.capabilities, ${s}.quality, ${s}.capacity_days`);
  return performance.now() - t0;
}

export function order(n: number, hub: number, quantity: number, jitter: number): OrderSubmittedContract {
  const [lat, lng] = HUBS[hub % HUBS.length];
  return {
    orderId: `o-${n}-${randomUUID().slice(0, 8)}`,
    brandId: 'b-bench',
    sku: 'TS-001',
    productName: 'T-shirt',
    quantity,
    unit: 'pcs',
    dueDate: new Date((FIRST_DAY + 14) * 86_400_000).toISOString(),
    delivery: { lat: lat + ((n * 37) % 100) / 100 * jitter - jitter / 2, lng: lng + ((n * 61) % 100) / 100 * jitter - jitter / 2 },
    route: ROUTE.map((r, i) => ({
      stepId: r.stepId,
      process: r.process,
      parameters: {},
      workContentHoursPerUnit: r.wc,
      inspection: { level: 'II' as const, aql: 1.5 },
      dependsOn: i === 0 ? [] : [ROUTE[i - 1].stepId],
    })),
    splitPolicy: {},
    submittedAt: NOW.toISOString(),
  };
}

async function relationBytes(pool: pg.Pool, s: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>(
    `SELECT sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)))::bigint AS bytes FROM pg_tables WHERE schemaname = $1
       AND tablename IN ('workshops', 'capabilities', 'quality', 'capacity_days')`,
    [s.replaceAll('"', '')],
  );
  return Number(rows[0].bytes);
}

export async function plannerBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  // PLANNER_BENCH_SIZES=1000,10000 runs a subset (for development); the report names the sizes run.
  const sizes = (process.env.PLANNER_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const samples = Number(process.env.PLANNER_BENCH_SAMPLES ?? (args.quick ? 40 : 300));
  const warmup = args.quick ? 10 : 30;
  const concurrentOrders = args.quick ? 120 : 600;
  const concurrency = Number(process.env.PLANNER_BENCH_CONCURRENCY ?? 16);
  const horizonDays = args.quick ? 14 : 28;
  const schemaName = `bench_planner_${randomUUID().slice(0, 8)}`;
  const s = `"${schemaName}"`;
  const counter = new Counter();
  countStatements(counter);
  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 4 });
  const reference = new pg.Client({ connectionString: args.databaseUrl });
  await reference.connect();
  let app: INestApplicationContext | undefined;
  const results: Record<string, unknown>[] = [];
  try {
    app = await NestFactory.createApplicationContext(
      MatchingModule.forRoot({
        databaseUrl: args.databaseUrl,
        env: {
          MESHFAB_MATCHING_SCHEMA: schemaName,
          MATCHING_EXPIRY_SWEEP_MS: String(24 * 3600_000),
          // plan: every planner takes its planning area's lock before reading candidates (as before issue 20's planner work).
          ...(process.env.MESHFAB_MATCHING_AREA_LOCK ? { MESHFAB_MATCHING_AREA_LOCK: process.env.MESHFAB_MATCHING_AREA_LOCK } : {}),
          // The candidate read's shape, when a run compares them (auto, the default, picks by the network's size).
          ...(process.env.MESHFAB_MATCHING_CANDIDATE_QUERY ? { MESHFAB_MATCHING_CANDIDATE_QUERY: process.env.MESHFAB_MATCHING_CANDIDATE_QUERY } : {}),
        },
        clock: () => NOW,
        pool: { poolSize: concurrency + 4 },
      }),
      { logger: false, abortOnError: false }, // a failed start rejects with its cause (the finally below cleans up)
    );
    const db = app.get(ServiceDatabase);
    const planning = app.get(PlanningService);
    const network = app.get(NetworkView);
    const meta = (orderId: string) => ({ correlationId: orderId, causationId: 'bench' });
    const planOnce = async (o: OrderSubmittedContract) => {
      const statementsBefore = counter.statements;
      const t0 = performance.now();
      const result = await db.dataSource.transaction((m) => planning.planOrder(o, m, meta(o.orderId)));
      const ms = performance.now() - t0;
      return { ms, statements: counter.statements - statementsBefore, ok: result?.ok === true, lots: result?.ok ? result.lots.length : 0, mode: result?.ok ? result.mode : 'failed' };
    };

    /** Plans `samples` orders one after the other, each interleaved with its candidate query alone and the reference. */
    const measure = async (label: string, size: number, make: (i: number) => OrderSubmittedContract, count: number, seedMs?: number) => {
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const plannerMsBefore = planning.stats.plannerMs;
      const optimiserBefore = { runs: planning.stats.optimiserRuns, found: planning.stats.optimiserFound, chosen: planning.stats.optimiserChosen };
      const times: number[] = [];
      const statements: number[] = [];
      const candidateMs: number[] = [];
      const refMs: number[] = [];
      const modes: Record<string, number> = {};
      let lots = 0;
      for (let i = 0; i < count; i++) {
        const o = make(i);
        const c0 = performance.now();
        await db.dataSource.transaction((m) =>
          network.candidates(
            {
              processes: ROUTE.map((r) => r.process),
              fromDay: FIRST_DAY,
              toDay: dayNumber(new Date(o.dueDate)) - 1,
              near: [o.delivery],
              nearLimit: 8,
              anywhereLimit: 4,
              minutesNeeded: Object.fromEntries(ROUTE.map((r) => [r.process, o.quantity * r.wc * 60])),
            },
            m,
          ),
        );
        candidateMs.push(performance.now() - c0);
        const r = await planOnce(o);
        // Untimed: the order is cancelled again, so every sample plans against the same network fill.
        await db.dataSource.transaction((m) => planning.cancelOrder(o.orderId, 'benchmark sample', m, meta(o.orderId)));
        times.push(r.ms);
        statements.push(r.statements);
        modes[r.mode] = (modes[r.mode] ?? 0) + 1;
        lots += r.lots;
        const r0 = performance.now();
        for (let q = 0; q < r.statements; q++) {
          await reference.query(`SELECT capacity_min FROM ${s}.capacity_days WHERE workshop_id = $1 AND process = $2 AND day = DATE '1970-01-01' + $3::int`, [
            `w${String(1 + ((i * 7919 + q) % size)).padStart(7, '0')}`,
            PROCESSES[q % PROCESSES.length],
            FIRST_DAY + (q % 10),
          ]);
        }
        refMs.push(performance.now() - r0);
      }
      const heapAfter = process.memoryUsage().heapUsed;
      const p50 = median(times);
      const refP50 = median(refMs);
      const row = {
        case: label,
        workshops: size,
        samples: count,
        modes,
        lotsPerOrder: round(lots / count, 2),
        p50Ms: round(p50),
        p99Ms: round(percentile(times, 99)),
        maxMs: round(Math.max(...times)),
        candidateQueryP50Ms: round(median(candidateMs)),
        plannerCpuMeanMs: round((planning.stats.plannerMs - plannerMsBefore) / count),
        optimiser: {
          runs: planning.stats.optimiserRuns - optimiserBefore.runs,
          found: planning.stats.optimiserFound - optimiserBefore.found,
          chosen: planning.stats.optimiserChosen - optimiserBefore.chosen,
        },
        statementsPerPlan: median(statements),
        heapDeltaPerPlanKiB: round((heapAfter - heapBefore) / count / 1024, 1),
        rssMiB: round(process.memoryUsage().rss / 2 ** 20, 1),
        networkViewMiB: round((await relationBytes(pool, s)) / 2 ** 20, 1),
        ...(seedMs === undefined ? {} : { seedMs: Math.round(seedMs) }),
        reference: round(refP50),
        referenceIs: 'p50 ms of the same number of statements as sequential bare pg primary-key lookups on capacity_days',
        ratio: round(p50 / refP50, 2),
      };
      log(JSON.stringify(row));
      results.push(row);
    };

    let seeded = 0;
    for (const size of sizes) {
      const seedMs = await seed(pool, s, seeded + 1, size, horizonDays);
      seeded = size;
      log(`planner: ${size} workshops seeded in ${Math.round(seedMs)} ms`);
      for (let i = 0; i < warmup; i++) await planOnce(order(i, i, 300, 1));
      await measure(`plan a 5-step order, ${size} workshops`, size, (i) => order(1000 + i, i, 300, 1), samples, seedMs);
    }
    // Urgent orders, at most 3 workshops a step: the cheapest plan misses the due date, so the greedy
    // deadline pass and the shared optimiser (libs/scheduling) both plan them.
    await measure(
      `plan an urgent 5-step order, at most 3 workshops a step (due date binds: greedy deadline pass and the FJSP optimiser), ${seeded} workshops`,
      seeded,
      (i) => ({ ...order(20_000 + i, i, 600, 1), dueDate: new Date((FIRST_DAY + 7) * 86_400_000).toISOString(), splitPolicy: { maxWorkshopsPerStep: 3 } }),
      Math.max(10, Math.floor(samples / 2)),
    );

    // Many orders at once around the 8 hubs: orders near one hub want the same cheap workshops.
    const before = counter.statements;
    const contention = { clashes: planning.stats.clashes, plannedInTurn: planning.stats.plannedInTurn };
    const latencies: number[] = [];
    let planned = 0;
    let failed = 0;
    let retried = 0;
    const retryReasons: Record<string, number> = {};
    const queue = Array.from({ length: concurrentOrders }, (_, n) => order(50_000 + n, n, 300, 2));
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let o = queue.shift(); o; o = queue.shift()) {
          const started = performance.now();
          for (let attempt = 0; ; attempt++) {
            try {
              const result = await db.dataSource.transaction((m) => planning.planOrder(o, m, meta(o.orderId)));
              if (result?.ok) planned++;
              else failed++;
              break;
            } catch (error) {
              // As the consumer does: the whole delivery is retried (serialisation, deadlock, capacity churn).
              retried++;
              const why = (error instanceof Error ? error.message : String(error)).replace(/o-[\w-]+/g, 'o-…').slice(0, 80);
              retryReasons[why] = (retryReasons[why] ?? 0) + 1;
              if (attempt >= 50) throw error;
            }
          }
          latencies.push(performance.now() - started);
        }
      }),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    const statementsPerOrder = (counter.statements - before) / concurrentOrders;
    const { rows: check } = await pool.query<{ overbooked: string; mismatched: string; days: string }>(
      `SELECT count(*) FILTER (WHERE c.reserved_min > c.capacity_min) AS overbooked,
              count(*) FILTER (WHERE c.reserved_min <> coalesce(r.booked, 0)) AS mismatched,
              count(*) FILTER (WHERE c.reserved_min > 0) AS days
       FROM ${s}.capacity_days c
       LEFT JOIN (SELECT workshop_id, process, day, sum(minutes) AS booked FROM ${s}.reservations WHERE status <> 'released' GROUP BY 1, 2, 3) r
         ON r.workshop_id = c.workshop_id AND r.process = c.process AND r.day = c.day`,
    );
    // Reference: the same statements per order as bare pg lookups at the same concurrency.
    const refPool = new pg.Pool({ connectionString: args.databaseUrl, max: concurrency });
    const refQueue = Array.from({ length: concurrentOrders }, (_, n) => n);
    const refLatencies: number[] = [];
    const r0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let n = refQueue.shift(); n !== undefined; n = refQueue.shift()) {
          const started = performance.now();
          const client = await refPool.connect();
          try {
            for (let q = 0; q < Math.round(statementsPerOrder); q++) {
              await client.query(`SELECT capacity_min FROM ${s}.capacity_days WHERE workshop_id = $1 AND process = $2 AND day = DATE '1970-01-01' + $3::int`, [
                `w${String(1 + ((n * 7919 + q) % seeded)).padStart(7, '0')}`,
                PROCESSES[q % PROCESSES.length],
                FIRST_DAY + (q % 10),
              ]);
            }
          } finally {
            client.release();
          }
          refLatencies.push(performance.now() - started);
        }
      }),
    );
    const refS = (performance.now() - r0) / 1000;
    await refPool.end();
    const ordersPerS = concurrentOrders / elapsedS;
    const refOrdersPerS = concurrentOrders / refS;
    const row = {
      case: `${concurrentOrders} orders planned concurrently (${concurrency} at a time) around the 8 hubs, ${seeded} workshops`,
      orders: concurrentOrders,
      planned,
      failed,
      deliveriesRetried: retried,
      retryReasons,
      ordersPerS: round(ordersPerS, 1),
      p50Ms: round(median(latencies)),
      p99Ms: round(percentile(latencies, 99)),
      statementsPerOrder: round(statementsPerOrder, 1),
      bookingClashes: planning.stats.clashes - contention.clashes,
      plannedInTurn: planning.stats.plannedInTurn - contention.plannedInTurn,
      areaLock: app.get<symbol, MatchingSettings>(MATCHING_SETTINGS).config.MESHFAB_MATCHING_AREA_LOCK,
      workshopDaysBooked: Number(check[0].days),
      overbookedWorkshopDays: Number(check[0].overbooked),
      bookMismatches: Number(check[0].mismatched),
      doubleBookingFree: Number(check[0].overbooked) === 0 && Number(check[0].mismatched) === 0,
      reference: round(refOrdersPerS, 1),
      referenceIs: 'orders/s if each order were only its statements as bare pg primary-key lookups at the same concurrency',
      ratio: round(ordersPerS / refOrdersPerS, 2),
      referenceP50Ms: round(median(refLatencies)),
      referenceP99Ms: round(percentile(refLatencies, 99)),
      p99RatioToReference: round(percentile(latencies, 99) / percentile(refLatencies, 99), 2),
      targetP99Ms: 50,
    };
    log(JSON.stringify(row));
    results.push(row);
    printReport({ bench: 'planner', results, machine: machineInfo({ peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1) }) });
  } finally {
    await app?.close();
    await reference.end();
    await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
