// The whole network end to end: the sustained rate of 5-step orders per second at which the 99th
// percentile of submit → all lots offered stays under 250 ms, on the embedded network (one process,
// the in-process transport) and on the five services as separate processes talking through Kafka.
//
// Each network runs in child processes started from the compiled apps (dist/apps/**/main.js), so the
// peak memory (VmHWM) and CPU of every process are its own; this process only drives the load.
// Orders go in through POST /orders (open loop: at fixed times, whatever the answers take); "all lots
// offered" is the moment matching's OrderPlanned (appended in the same transaction as the lots'
// SubtaskOffered events) is visible in its store, seen by polling matching's schema every 5 ms.
// Reference, in the same run: the raw event-store append rate (single-event appends, 16 writers).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ServiceDatabase } from '#libs/eventsourcing';
import { MeshfabClient } from '../apps/network/src/client/meshfab-client.js';
import { log, machineInfo, median, percentile, printReport, round, throughput } from './bench-kit.js';
import { generateSigningKeyPem } from '#libs/platform';

const SERVICES = ['registry', 'orders', 'matching', 'inspection', 'settlement'] as const;
const PROCESSES = ['cnc-milling', 'cnc-turning', 'anodizing', 'assembly', 'packing'] as const;
const TARGET_P99_MS = 250;
const TARGET_ORDERS_PER_SEC = 100;
const OPERATOR = `op_bench_${randomBytes(20).toString('hex')}`;

/** The 5-step order: housing milled while the spindle is turned, housing anodized, both assembled, packed. */
const ROUTE = [
  { stepId: 'mill-housing', process: 'cnc-milling', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 1.5 }, dependsOn: [] },
  { stepId: 'turn-spindle', process: 'cnc-turning', workContentHoursPerUnit: 0.02, inspection: { level: 'II', aql: 1.5 }, dependsOn: [] },
  { stepId: 'anodize', process: 'anodizing', workContentHoursPerUnit: 0.01, inspection: { level: 'II', aql: 1.5 }, dependsOn: ['mill-housing'] },
  { stepId: 'assemble', process: 'assembly', workContentHoursPerUnit: 0.03, inspection: { level: 'II', aql: 1.5 }, dependsOn: ['anodize', 'turn-spindle'] },
  { stepId: 'pack', process: 'packing', workContentHoursPerUnit: 0.01, inspection: { level: 'II', aql: 1.5 }, dependsOn: ['assemble'] },
];

// ------------------------------------------------------------------------------------------ processes

interface AppProcess {
  name: string;
  child: ChildProcess;
  url: string;
  /** Peak resident set (VmHWM) so far, MiB. */
  peakRssMiB(): number;
  /** User + system CPU seconds so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function procStatus(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : NaN;
  } catch {
    return NaN;
  }
}

function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

/** Settings a run may set from its environment, to compare their values. */
const PASSED_SETTINGS = ['MESHFAB_MATCHING_CANDIDATE_QUERY', 'MESHFAB_MATCHING_AREA_LOCK', 'MESHFAB_EMBEDDED_LANES'];

async function startApp(name: string, entry: string, env: Record<string, string>): Promise<AppProcess> {
  const port = await freePort();
  // The network runs on the bench's settings, not the caller's; the settings compared in bench/README.md
  // pass through (PASSED_SETTINGS).
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => PASSED_SETTINGS.includes(k) || (!k.startsWith('MESHFAB_') && k !== 'KAFKA_BROKERS' && k !== 'DATABASE_URL' && k !== 'PORT')),
  );
  // PROFILE_WINDOW_DIR: each app profiles the measured steps (see profile-window.ts).
  const profiling = process.env.PROFILE_WINDOW_DIR ? ['--import', fileURLToPath(new URL('./profile-window.js', import.meta.url))] : [];
  const child = spawn(process.execPath, [...profiling, fileURLToPath(new URL(entry, import.meta.url))], { env: { ...inherited, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} did not become healthy: ${stderr}`);
    await sleep(200);
  }
  const pid = child.pid!;
  let peak = 0;
  return {
    name,
    child,
    url,
    peakRssMiB: () => (peak = Math.max(peak, procStatus(pid, 'VmHWM') / 1024 || 0)),
    cpuSeconds: () => procCpuSeconds(pid),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------------ a network

interface Network {
  kind: 'embedded' | 'kafka';
  apps: AppProcess[];
  client: MeshfabClient;
  schemas: Record<(typeof SERVICES)[number], string>;
  brandToken: string;
}

async function startNetwork(kind: Network['kind'], args: { databaseUrl: string; brokers: string[] }): Promise<Network> {
  const id = randomUUID().slice(0, 8);
  const schemas = Object.fromEntries(SERVICES.map((s) => [s, `bench_pl_${kind === 'embedded' ? 'e' : 'k'}${id}_${s}`])) as Network['schemas'];
  const env: Record<string, string> = {
    ...Object.fromEntries(SERVICES.map((s) => [`MESHFAB_${s.toUpperCase()}_SCHEMA`, schemas[s]])),
    DATABASE_URL: args.databaseUrl,
    MESHFAB_REGISTRY_SIGNING_KEY: generateSigningKeyPem(),
    MESHFAB_OPERATOR_TOKEN: OPERATOR,
    MESHFAB_DATA_DIR: '.data/bench',
    MESHFAB_DB_POOL_SIZE: '10',
    LOG_LEVEL: 'error',
  };
  const apps: AppProcess[] = [];
  if (kind === 'embedded') {
    apps.push(await startApp('network', '../apps/network/src/main.js', env));
  } else {
    const kafka = { ...env, KAFKA_BROKERS: args.brokers.join(','), MESHFAB_KAFKA_NAMESPACE: `bench-${id}` };
    for (const s of SERVICES) {
      // The others verify the registry's tokens with its published keys (registry starts first).
      const registryUrl = apps.find((a) => a.name === 'registry')?.url;
      apps.push(await startApp(s, `../apps/${s}/src/main.js`, registryUrl ? { ...kafka, MESHFAB_REGISTRY_URL: registryUrl } : kafka));
    }
  }
  const byService = new Map(apps.map((a) => [a.name, a.url]));
  const client = new MeshfabClient(kind === 'embedded' ? apps[0].url : (path) => byService.get(path.split('/')[1])!);
  return { kind, apps, client, schemas, brandToken: '' };
}

/** Workshops (every process, full days shared) and a brand; then one order through, so every consumer is warm. */
async function seed(net: Network, shopsPerProcess: number, watcher: PlanWatcher): Promise<void> {
  const brand = await net.client.post<{ id: string; token: string }>('/registry/brands', OPERATOR, { name: 'Bench Brand' });
  net.brandToken = brand.token;
  const today = new Date().toISOString().slice(0, 10);
  const shops = PROCESSES.flatMap((process, p) => Array.from({ length: shopsPerProcess }, (_, i) => ({ process, i, p })));
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let k = next++; k < shops.length; k = next++) {
        const { process, i, p } = shops[k];
        const shop = await net.client.post<{ id: string; token: string }>('/registry/workshops', OPERATOR, {
          name: `Bench ${process} shop ${i + 1}`,
          location: { lat: 23 + p * 0.05, lng: 113.7 + i * 0.01, region: 'Guangdong', city: 'Dongguan' },
          capabilities: [{ process, parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 100 + ((i * 37) % 50), currency: 'CNY' } }],
        });
        await net.client.post(`/registry/workshops/${shop.id}/capacity`, shop.token, { action: 'declare', process, hoursPerDay: 24, from: today });
      }
    }),
  );
  // Until matching has heard of every workshop's capacity, an order may not plan: wait for one that does.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const probe = await submit(net);
    const outcome = await watcher.waitFor(probe.orderId, 20_000);
    if (outcome === 'OrderPlanned') return;
    if (Date.now() > deadline) throw new Error(`${net.kind}: the probe order did not plan (${outcome})`);
    await sleep(1000);
  }
}

async function submit(net: Network): Promise<{ orderId: string }> {
  return net.client.post<{ orderId: string }>('/orders', net.brandToken, {
    sku: 'SPK-ENC',
    productName: 'Aluminium speaker enclosure kit',
    quantity: 20,
    unit: 'kits',
    dueDate: new Date(Date.now() + 60 * 86_400_000).toISOString(),
    delivery: { lat: 22.54, lng: 114.06, city: 'Shenzhen' },
    route: ROUTE,
  });
}

// ------------------------------------------------------------------------------------------ measuring

/** Polls matching's store for OrderPlanned / OrderPlanningFailed of the orders it is told to watch. */
class PlanWatcher {
  private readonly pending = new Map<string, (type: string) => void>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly matchingSchema: string,
  ) {
    this.loop = this.run();
  }

  /** Resolves with the outcome type and the wall-clock time it became visible. */
  watch(orderId: string): Promise<{ type: string; visibleAt: number }> {
    return new Promise((resolve) => this.pending.set(`order-plan-${orderId}`, (type) => resolve({ type, visibleAt: Date.now() })));
  }

  async waitFor(orderId: string, timeoutMs: number): Promise<string> {
    return Promise.race([this.watch(orderId).then((o) => o.type), sleep(timeoutMs).then(() => 'timeout')]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.pending.size > 0) {
        const { rows } = await this.pool.query<{ stream_id: string; type: string }>(
          `SELECT stream_id, type FROM "${this.matchingSchema}".events WHERE stream_id = ANY($1) AND type IN ('OrderPlanned', 'OrderPlanningFailed')`,
          [[...this.pending.keys()]],
        );
        for (const row of rows) {
          this.pending.get(row.stream_id)?.(row.type);
          this.pending.delete(row.stream_id);
        }
      }
      await sleep(5);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

interface StepResult {
  ratePerSec: number;
  orders: number;
  planned: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  eventsPerSec: number;
  passes: boolean;
  breakdownP50Ms: { submitHttp: number; toMatching: number; planning: number; untilSeen: number };
  breakdownP99Ms: { submitHttp: number; toMatching: number; planning: number; untilSeen: number };
  /** CPU milliseconds each process spent per order submitted in the step (PostgreSQL not included). */
  cpuMsPerOrder: Record<string, number>;
}

/** Submits `rate` orders a second for `durationMs` (open loop) and measures submit → all lots offered. */
async function runStep(net: Network, watcher: PlanWatcher, pool: pg.Pool, rate: number, durationMs: number): Promise<StepResult> {
  const count = Math.max(1, Math.round((rate * durationMs) / 1000));
  const cpuBefore = net.apps.map((a) => a.cpuSeconds());
  if (process.env.PROFILE_WINDOW_DIR) net.apps.forEach((a) => a.child.kill('SIGUSR2')); // opens the profile window
  const startedAt = Date.now() + 50;
  const samples: { orderId: string; t0: number; answeredAt: number; visibleAt: number; type: string }[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const wait = startedAt + (i * 1000) / rate - Date.now();
      if (wait > 0) await sleep(wait);
      const t0 = Date.now();
      try {
        const { orderId } = await submit(net);
        const answeredAt = Date.now();
        const outcome = await Promise.race([watcher.watch(orderId), sleep(durationMs + 15_000).then(() => ({ type: 'timeout', visibleAt: NaN }))]);
        samples.push({ orderId, t0, answeredAt, ...outcome });
      } catch {
        failed += 1;
      }
    }),
  );
  const endedAt = Date.now();
  if (process.env.PROFILE_WINDOW_DIR) net.apps.forEach((a) => a.child.kill('SIGUSR2')); // closes it: the profiles are written
  const cpuMsPerOrder = Object.fromEntries(net.apps.map((a, i) => [a.name, round(((a.cpuSeconds() - cpuBefore[i]) * 1000) / count, 1)]));
  const planned = samples.filter((s) => s.type === 'OrderPlanned');
  failed += samples.length - planned.length;
  // Unplanned orders count as infinitely late: a step with any of them does not pass.
  const latencies = [...planned.map((s) => s.visibleAt - s.t0), ...Array.from({ length: failed }, () => Number.POSITIVE_INFINITY)];
  const events = await countEvents(pool, net.schemas, new Date(startedAt), new Date(endedAt));
  const breakdown = await stages(pool, net.schemas, planned);
  const p99 = percentile(latencies, 99);
  return {
    ratePerSec: rate,
    orders: count,
    planned: planned.length,
    failed,
    p50Ms: round(percentile(latencies, 50), 1),
    p95Ms: round(percentile(latencies, 95), 1),
    p99Ms: Number.isFinite(p99) ? round(p99, 1) : -1,
    eventsPerSec: round(events / ((endedAt - startedAt) / 1000), 0),
    passes: failed === 0 && p99 < TARGET_P99_MS,
    breakdownP50Ms: breakdown.p50,
    breakdownP99Ms: breakdown.p99,
    cpuMsPerOrder,
  };
}

async function countEvents(pool: pg.Pool, schemas: Network['schemas'], from: Date, to: Date): Promise<number> {
  const union = SERVICES.map((s) => `SELECT count(*)::int AS n FROM "${schemas[s]}".events WHERE occurred_at >= $1 AND occurred_at <= $2`).join(' UNION ALL ');
  const { rows } = await pool.query<{ n: number }>(union, [from, to]);
  return rows.reduce((sum, r) => sum + r.n, 0);
}

/**
 * Where the time goes, per order: the POST's answer; OrderSubmitted committed in orders → matching's
 * inbox takes it (the transport); → OrderPlanned appended (planning, booking, offering); → seen committed.
 */
async function stages(pool: pg.Pool, schemas: Network['schemas'], planned: { orderId: string; t0: number; answeredAt: number; visibleAt: number }[]) {
  const empty = { submitHttp: NaN, toMatching: NaN, planning: NaN, untilSeen: NaN };
  if (planned.length === 0) return { p50: empty, p99: empty };
  const { rows } = await pool.query<{ order_id: string; submitted: Date; taken: Date; planned: Date }>(
    `SELECT substr(s.stream_id, 7) AS order_id, s.occurred_at AS submitted, i.handled_at AS taken, p.occurred_at AS planned
       FROM "${schemas.orders}".events s
       JOIN "${schemas.matching}".inbox i ON i.event_id = s.event_id AND i.consumer = 'matching'
       JOIN "${schemas.matching}".events p ON p.stream_id = 'order-plan-' || substr(s.stream_id, 7) AND p.type = 'OrderPlanned'
      WHERE s.type = 'OrderSubmitted' AND s.stream_id = ANY($1)`,
    [planned.map((p) => `order-${p.orderId}`)],
  );
  const byId = new Map(rows.map((r) => [r.order_id, r]));
  const parts = { submitHttp: [] as number[], toMatching: [] as number[], planning: [] as number[], untilSeen: [] as number[] };
  for (const p of planned) {
    const r = byId.get(p.orderId);
    if (!r) continue;
    parts.submitHttp.push(p.answeredAt - p.t0);
    parts.toMatching.push(r.taken.getTime() - r.submitted.getTime());
    parts.planning.push(r.planned.getTime() - r.taken.getTime());
    parts.untilSeen.push(p.visibleAt - r.planned.getTime());
  }
  const at = (q: number) => ({
    submitHttp: round(percentile(parts.submitHttp, q), 1),
    toMatching: round(percentile(parts.toMatching, q), 1),
    planning: round(percentile(parts.planning, q), 1),
    untilSeen: round(percentile(parts.untilSeen, q), 1),
  });
  return { p50: at(50), p99: at(99) };
}

/** Waits until matching has planned (or given up on) every order submitted so far. */
async function drain(pool: pg.Pool, schemas: Network['schemas']): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { rows } = await pool.query<{ behind: number }>(
      `SELECT (SELECT count(*) FROM "${schemas.orders}".events WHERE type = 'OrderSubmitted')::int
            - (SELECT count(*) FROM "${schemas.matching}".order_plans WHERE status <> 'planning')::int AS behind`,
    );
    if (rows[0].behind <= 0) break;
    if (Date.now() > deadline) {
      log(`  (${rows[0].behind} orders still not planned after 3 minutes; going on)`);
      break;
    }
    await sleep(250);
  }
  await sleep(300);
}

/** Raises the rate until a step fails, then bisects between the last passing and the first failing rate. */
async function search(net: Network, watcher: PlanWatcher, pool: pg.Pool, plan: { start: number; factor: number; max: number; durationMs: number; bisections: number; repeats: number }) {
  const steps: StepResult[] = [];
  const step = async (rate: number) => {
    const r = await runStep(net, watcher, pool, rate, plan.durationMs);
    steps.push(r);
    log(
      `  ${net.kind}: ${rate} orders/s → p50 ${r.p50Ms} ms, p99 ${r.p99Ms < 0 ? '∞' : `${r.p99Ms} ms`}, ${r.eventsPerSec} events/s` +
        `${r.failed ? `, ${r.failed} not offered in time` : ''} ${r.passes ? 'ok' : 'over'}`,
    );
    await drain(pool, net.schemas); // the next step starts on an empty queue
    return r;
  };
  let pass: number | undefined;
  let fail: number | undefined;
  for (let rate = plan.start; rate <= plan.max; rate = Math.round(rate * plan.factor)) {
    if ((await step(rate)).passes) pass = rate;
    else {
      fail = rate;
      break;
    }
  }
  // Even the first rate was too much: halve it until one passes.
  for (let rate = Math.floor(plan.start / 2); pass === undefined && rate >= 1; rate = Math.floor(rate / 2)) {
    if ((await step(rate)).passes) pass = rate;
    else fail = rate;
  }
  for (let i = 0; i < plan.bisections && pass !== undefined && fail !== undefined && fail - pass > 1; i++) {
    const mid = Math.round((pass + fail) / 2);
    if ((await step(mid)).passes) pass = mid;
    else fail = mid;
  }
  // The sustained rate, measured again (median of the repeats).
  const best = pass ?? plan.start;
  const repeats = [steps.filter((s) => s.ratePerSec === best).at(-1)!];
  for (let i = 1; i < plan.repeats; i++) repeats.push(await step(best));
  const m = (f: (s: StepResult) => number) => round(median(repeats.map(f)), 1);
  return {
    sustained: pass,
    firstFailing: fail,
    p50Ms: m((s) => s.p50Ms),
    p95Ms: m((s) => s.p95Ms),
    p99Ms: m((s) => s.p99Ms),
    eventsPerSec: m((s) => s.eventsPerSec),
    breakdownP50Ms: repeats[0].breakdownP50Ms,
    breakdownP99Ms: repeats[0].breakdownP99Ms,
    cpuMsPerOrder: repeats[0].cpuMsPerOrder,
    steps,
  };
}

async function rawAppendRate(databaseUrl: string, durationMs: number): Promise<number> {
  const schema = `bench_pl_raw_${randomUUID().slice(0, 8)}`;
  const db = await ServiceDatabase.open({ url: databaseUrl, schema, poolSize: 20 });
  try {
    const payload = { orderId: randomUUID(), stepId: 'mill-housing', quantity: 20, note: 'a lot offered to a workshop' };
    return await throughput(16, durationMs, async () => {
      await db.store.append(`raw-${randomUUID()}`, [{ type: 'LotProgressRecorded', data: payload }], { expectedVersion: 0, metadata: { correlationId: 'bench', causationId: 'bench' } });
      return 1;
    });
  } finally {
    await db.dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
  }
}

async function measure(kind: Network['kind'], args: { quick: boolean; databaseUrl: string; brokers: string[] }, pool: pg.Pool, plan: Parameters<typeof search>[3]) {
  log(`${kind}: starting ${kind === 'embedded' ? 'the network in one process' : 'five services as separate processes on Kafka'} …`);
  const net = await startNetwork(kind, args);
  const watcher = new PlanWatcher(pool, net.schemas.matching);
  try {
    await seed(net, args.quick ? 6 : 10, watcher);
    const cpuBefore = net.apps.map((a) => a.cpuSeconds());
    const wallBefore = Date.now();
    const found = await search(net, watcher, pool, plan);
    const wall = (Date.now() - wallBefore) / 1000;
    const cpuCores = Object.fromEntries(net.apps.map((a, i) => [a.name, round((a.cpuSeconds() - cpuBefore[i]) / wall, 2)]));
    const peakRssMiB = Object.fromEntries(net.apps.map((a) => [a.name, round(a.peakRssMiB(), 0)]));
    return { ...found, cpuCores, peakRssMiB };
  } finally {
    await watcher.stop();
    await Promise.all(net.apps.map((a) => a.stop()));
    for (const schema of Object.values(net.schemas)) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
}

export async function pipelineBench(args: { quick: boolean; databaseUrl: string; brokers: string[]; only?: string; rate?: number }): Promise<void> {
  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 4 });
  try {
    log('reference: raw event-store appends (single events, 16 writers) …');
    const rawBefore = await rawAppendRate(args.databaseUrl, args.quick ? 1500 : 4000);
    const skip = (kind: Network['kind']) => args.only !== undefined && args.only !== kind;
    // `--rate n`: one step at n orders/s (for profiles), no search.
    const fixed = args.rate ? { start: args.rate, factor: 2, max: args.rate, durationMs: args.quick ? 3000 : 10_000, bisections: 0, repeats: 1 } : undefined;
    const embedded = skip('embedded') ? undefined : await measure('embedded', args, pool, fixed ?? (args.quick ? { start: 10, factor: 2, max: 160, durationMs: 3000, bisections: 0, repeats: 1 } : { start: 10, factor: 1.5, max: 400, durationMs: 10_000, bisections: 2, repeats: 3 }));
    const kafka = skip('kafka') ? undefined : await measure('kafka', args, pool, fixed ?? (args.quick ? { start: 5, factor: 2, max: 80, durationMs: 3000, bisections: 0, repeats: 1 } : { start: 5, factor: 1.5, max: 400, durationMs: 10_000, bisections: 2, repeats: 3 }));
    const rawAfter = await rawAppendRate(args.databaseUrl, args.quick ? 1500 : 4000);
    const reference = round(median([rawBefore, rawAfter]), 0);
    const result = (kind: string, m: Awaited<ReturnType<typeof measure>>) => ({
      case: `${kind}: sustained 5-step orders/s with p99 submit → all lots offered < ${TARGET_P99_MS} ms`,
      ordersPerSec: m.sustained ?? 0,
      firstFailingOrdersPerSec: m.firstFailing ?? null,
      targetOrdersPerSec: TARGET_ORDERS_PER_SEC,
      eventsPerSec: m.eventsPerSec,
      p50Ms: m.p50Ms,
      p95Ms: m.p95Ms,
      p99Ms: m.p99Ms,
      breakdownP50Ms: m.breakdownP50Ms,
      breakdownP99Ms: m.breakdownP99Ms,
      cpuMsPerOrder: m.cpuMsPerOrder,
      peakRssMiB: m.peakRssMiB,
      cpuCores: m.cpuCores,
      steps: m.steps,
      referenceCase: 'raw event-store appends, single events, 16 writers (events/s, same run)',
      reference,
      ratio: round(m.eventsPerSec / reference, 3),
    });
    printReport({
      bench: 'pipeline',
      results: [
        ...(embedded ? [result('embedded network (one process)', embedded)] : []),
        ...(kafka ? [result('five services on Kafka (five processes)', kafka)] : []),
        { case: 'raw event-store appends, single events, 16 writers (reference)', eventsPerSec: reference, before: round(rawBefore, 0), after: round(rawAfter, 0) },
      ],
      machine: machineInfo({ loadAverage: loadavg().map((l) => round(l, 2)), quick: args.quick }),
    });
  } finally {
    await pool.end();
  }
}
