// The process as a user runs it (issue 20):
// - event-loop lag through the demo: the whole network in this process (as `npm run demo` starts it),
//   the demo scenario driven through its HTTP API, perf_hooks' monitorEventLoopDelay meanwhile;
// - memory of `npm start`: `node dist/apps/network/src/main.js` as a child process, its RSS at rest
//   (after start-up settles) and under load (the demo scenario driving it over HTTP), sampled from /proc.
// Targets: lag p99 < 50 ms; RSS < 512 MiB at rest and under load.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startHost } from '#libs/runtime';
import { MeshfabClient } from '../apps/network/src/client/meshfab-client.js';
import { runDemo } from '../apps/network/src/demo/scenario.js';
import { NETWORK_SERVICES } from '../apps/network/src/network.services.js';
import { log, machineInfo, printReport, round } from './bench-kit.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Size {
  workshops: number;
  orders: number;
}

function schemasOf(prefix: string): Record<string, string> {
  return Object.fromEntries(NETWORK_SERVICES.map((s) => [`MESHFAB_${s.name.toUpperCase()}_SCHEMA`, `${prefix}_${s.name}`]));
}

async function dropSchemas(databaseUrl: string, schemas: Record<string, string>): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const schema of Object.values(schemas)) await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

function demo(url: string, operatorToken: string, size: Size, runId: string) {
  return runDemo(new MeshfabClient(url), { operatorToken }, { ...size, seed: 42, runId, timeoutMs: 600_000 });
}

const RESOLUTION_MS = 10;
/** A histogram's percentile as lag: the delay past the timer's own interval (the histogram includes it). */
const lagMs = (ns: number) => round(Math.max(0, ns / 1e6 - RESOLUTION_MS), 1);

/**
 * The reference: an idle Node process beside the run, measuring its own event loop the same way. On a
 * shared 2-core machine it shows how late the OS schedules any process; the network's lag is read beside it.
 */
function idleProcessLag(): { stop(): Promise<{ p50: number; p99: number; max: number }> } {
  const script = `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${RESOLUTION_MS} }); h.enable();
    process.stdin.resume(); process.stdin.on('end', () => { h.disable();
    process.stdout.write(JSON.stringify({ p50: h.percentile(50), p99: h.percentile(99), max: h.max })); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<{ p50: number; p99: number; max: number }> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        child.stdin.end();
        await exited;
        const r = JSON.parse(out) as { p50: number; p99: number; max: number };
        return { p50: lagMs(r.p50), p99: lagMs(r.p99), max: lagMs(r.max) };
      })()),
  };
}

/** The network in this process, the demo through it, the event loop's delay sampled every 10 ms meanwhile. */
async function eventLoopLag(databaseUrl: string, size: Size) {
  const runId = randomBytes(4).toString('hex');
  const schemas = schemasOf(`bench_rt_${runId}`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...schemas, DATABASE_URL: databaseUrl, MESHFAB_DATA_DIR: '.data/bench', MESHFAB_DB_POOL_SIZE: '4', PORT: '0', LOG_LEVEL: 'error' };
  const host = await startHost('network', NETWORK_SERVICES, { embedded: true, env });
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const idle = idleProcessLag();
  histogram.enable();
  const started = performance.now();
  try {
    const result = await demo(host.url, env.MESHFAB_OPERATOR_TOKEN!, size, runId);
    histogram.disable();
    return {
      case: 'event-loop lag through the demo (network and demo in one process)',
      unit: 'ms past the 10 ms timer',
      p50: lagMs(histogram.percentile(50)),
      p99: lagMs(histogram.percentile(99)),
      max: lagMs(histogram.max),
      target: { p99Below: 50 },
      reference: { case: 'an idle Node process beside it, measured the same way', ...(await idle.stop()) },
      demo: { ...size, ordersCompleted: result.summary.ordersCompleted, seconds: round((performance.now() - started) / 1000, 1) },
    };
  } finally {
    histogram.disable();
    await idle.stop().catch(() => undefined);
    await host.stop();
    await dropSchemas(databaseUrl, schemas);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
}

/** `npm start`'s process (the built network), its RSS after start-up and while the demo drives it. */
async function startMemory(databaseUrl: string, size: Size, restMs: number) {
  const runId = randomBytes(4).toString('hex');
  const schemas = schemasOf(`bench_mem_${runId}`);
  const port = await freePort();
  const operatorToken = `op_${randomUUID().replace(/-/g, '')}`;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MESHFAB_') && k !== 'DATABASE_URL' && k !== 'PORT' && k !== 'KAFKA_BROKERS'));
  const entry = fileURLToPath(new URL('../apps/network/src/main.js', import.meta.url));
  const child = spawn(process.execPath, [entry], {
    env: { ...inherited, ...schemas, DATABASE_URL: databaseUrl, PORT: String(port), MESHFAB_DATA_DIR: '.data/bench', MESHFAB_OPERATOR_TOKEN: operatorToken, MESHFAB_DB_POOL_SIZE: '4', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 120_000;
    while (!(await fetch(`${url}/health`).then((r) => r.ok, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the network did not start: ${stderr}`);
      await sleep(200);
    }
    await sleep(restMs);
    const pid = child.pid!;
    const atRest = rssMiB(pid, 'VmRSS');
    log(`npm start at rest: ${Math.round(atRest)} MiB`);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMiB(pid, 'VmRSS')), 250);
    const result = await demo(url, operatorToken, size, runId).finally(() => clearInterval(sampler));
    const afterLoad = rssMiB(pid, 'VmRSS');
    return {
      case: 'memory of npm start (node dist/apps/network/src/main.js), RSS',
      unit: 'MiB',
      atRest: Math.round(atRest),
      underLoadPeak: Math.round(Math.max(...samples)),
      highWaterMark: Math.round(rssMiB(pid, 'VmHWM')),
      afterLoad: Math.round(afterLoad),
      target: { below: 512 },
      load: { ...size, ordersCompleted: result.summary.ordersCompleted, samples: samples.length },
    };
  } finally {
    const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    await dropSchemas(databaseUrl, schemas);
  }
}

export async function runtimeBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  const size: Size = args.quick ? { workshops: 60, orders: 12 } : { workshops: 120, orders: 40 };
  log(`event-loop lag: the demo (${size.workshops} workshops, ${size.orders} orders) in this process`);
  const lag = await eventLoopLag(args.databaseUrl, size);
  log(`event-loop lag p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms`);
  const memory = await startMemory(args.databaseUrl, size, args.quick ? 5_000 : 15_000);
  log(`RSS at rest ${memory.atRest} MiB, under load ${memory.underLoadPeak} MiB`);
  printReport({ bench: 'runtime', results: [lag, memory], machine: machineInfo({ quick: args.quick }) });
}
