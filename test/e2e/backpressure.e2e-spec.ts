// Backpressure: when PostgreSQL or Kafka is down, writes answer 503 (with Retry-After) quickly instead
// of hanging, /health/ready says not-ready naming the dependency, /health stays up, and everything
// resumes without a restart when the dependency returns.
//
// PostgreSQL is shared by everyone on the machine, so the network reaches it through a TCP proxy this
// test controls: "refused" closes the proxy's port, "blackholed" accepts connections and never answers
// (the nasty case: nothing fails, everything waits). Kafka is a broker of this test's own, stopped and
// started again with deploy/local/kafka.sh.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv } from '#libs/testing';
import { eventually, MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { joinNetwork, type Members, type OrderDriver } from './order-lifecycle.scenario.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'backpressure-secret-that-is-long-enough-for-hs256';
const OPERATOR = 'op_backpressure-operator-token-0123456789';
/** "Quickly, not hang": what a refused write may take, generous for a loaded CI machine. */
const ANSWER_BOUND_MS = 5000;

type Json = Record<string, any>;

/** How long the refused writes took, by outage: printed as one JSON line after each case (figures, not assertions). */
const measured: Record<string, number[]> = {};
const measure = (label: string, ms: number) => (measured[label] ??= []).push(ms);

/** A TCP proxy in front of PostgreSQL whose outage this test decides. */
class PostgresProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private mode: 'forward' | 'blackhole' = 'forward';
  port = 0;

  constructor(private readonly upstream: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((done) => this.server!.listen(this.port, '127.0.0.1', done));
    this.port = (this.server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === 'blackhole') return; // accepted, never answered
    const upstream = createConnection(this.upstream);
    this.track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Down, refusing: every open connection is cut and the port is closed (ECONNREFUSED). */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.cutAll();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  }

  /** Down, blackholed: every open connection is cut; new ones are accepted and never answered. */
  blackhole(): void {
    this.mode = 'blackhole';
    this.cutAll();
  }

  /** Up: forwards again (on the same port). */
  async forward(): Promise<void> {
    this.mode = 'forward';
    this.cutAll(); // blackholed connections; their clients gave up on them long ago
    if (!this.server) await this.start();
  }

  async stop(): Promise<void> {
    await this.refuse();
  }
}

function upstreamOf(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port || 5432) };
}

function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

function baseEnv(databaseUrl: string): Record<string, string> {
  return {
    ...freshSchemas('bp'),
    DATABASE_URL: databaseUrl,
    PORT: '0',
    ...testSigningEnv(SECRET),
    MESHFAB_NOTIFICATIONS_SECRET_KEY: randomBytes(32).toString('base64'), // a host of notifications needs its sealing key
    MESHFAB_OPERATOR_TOKEN: OPERATOR,
    LOG_LEVEL: 'error',
    MESHFAB_DATA_DIR: '.data/e2e',
    // Brands pay through the sandbox payment provider settlement hosts (also when not embedded).
    MESHFAB_SETTLEMENT_PROVIDER_SECRETS: `sandbox=whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`,
    MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true',
  };
}

/** One HTTP call, its answer, its Retry-After header and how long it took. */
async function timed(url: string, method: string, token?: string, body?: unknown): Promise<{ status: number; body: Json; retryAfter: string | null; ms: number }> {
  const started = Date.now();
  const headers: Record<string, string> = { 'idempotency-key': randomUUID() };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Json, retryAfter: response.headers.get('retry-after'), ms: Date.now() - started };
}

const order = () => ({
  sku: 'TEE-ORG-M',
  productName: 'Organic cotton T-shirt',
  quantity: 100,
  unit: 'pcs',
  dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
  route: [{ stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } }],
});

/** Matching planned the order and the orders service heard it: its lots are there. */
function planned(client: MeshfabClient, brand: Json, orderId: string, timeoutMs = 60_000): Promise<Json> {
  return eventually(`order ${orderId} planned`, async () => {
    const view = await client.get<Json>(`/orders/${orderId}`, brand.token);
    return Array.isArray(view.lots) && view.lots.length > 0 ? view : undefined;
  }, timeoutMs);
}

/**
 * A refused write: 503 dependency_unavailable naming `dependency`, with Retry-After, answered quickly.
 * `atOnce`: the very first write after the outage began is refused (the database's own timeouts and
 * error mapping, before the write gate has noticed anything); otherwise once the gate has.
 */
async function expectWriteRefused(host: RunningHost, brand: Json, dependency: 'PostgreSQL' | 'Kafka', atOnce: boolean, label: string): Promise<void> {
  const attempt = () => timed(`${host.url}/orders`, 'POST', brand.token, order());
  const refused = atOnce
    ? await attempt()
    : await eventually(`writes refused for ${dependency}`, async () => {
        const answer = await attempt();
        return answer.status === 503 && answer.body?.details?.dependency === dependency ? answer : undefined;
      }, 60_000, 250);
  expect([refused.status, refused.body?.details?.dependency]).toEqual([503, dependency]);
  expect(refused.ms).toBeLessThan(ANSWER_BOUND_MS);
  measure(`${label}: first refused write ms`, refused.ms);
  expect(refused.body).toMatchObject({ error: 'dependency_unavailable', message: expect.stringMatching(new RegExp(`^${dependency} .*try again`)) });
  expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  // The bound is the feature: every write keeps being answered quickly while the dependency is down.
  for (let i = 0; i < 3; i++) {
    const again = await timed(`${host.url}/orders`, 'POST', brand.token, order());
    expect([again.status, again.body.error]).toEqual([503, 'dependency_unavailable']);
    expect(again.ms).toBeLessThan(ANSWER_BOUND_MS);
    measure(`${label}: later refused writes ms`, again.ms);
  }
}

/** /health/ready answers (within its own timeout) 503 naming the failing check; /health stays 200. */
async function expectNotReady(host: RunningHost, check: RegExp): Promise<void> {
  const report = await eventually(`readiness to fail on ${String(check)}`, async () => {
    const answer = await timed(`${host.url}/health/ready`, 'GET');
    expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
    const failing = Object.entries((answer.body?.checks ?? {}) as Record<string, { status: string }>).filter(([, r]) => r.status === 'failing').map(([name]) => name);
    return answer.status === 503 && failing.some((name) => check.test(name)) ? answer.body : undefined;
  }, 60_000, 250);
  expect(report.status).toBe('failing');
  expect((await timed(`${host.url}/health`, 'GET')).status).toBe(200);
}

async function expectReady(host: RunningHost): Promise<Json> {
  let last: Json | undefined;
  return eventually('readiness back', async () => {
    const answer = await timed(`${host.url}/health/ready`, 'GET');
    last = answer.body;
    if (answer.status !== 200) throw new Error(`still not ready: ${JSON.stringify(last)}`);
    return answer.body;
  }, 90_000, 250);
}

/** Submits an order, retrying while writes are still refused (the client honours the 503). */
async function submitWhenAccepted(host: RunningHost, brand: Json): Promise<string> {
  const created = await eventually('a write accepted again', async () => {
    const answer = await timed(`${host.url}/orders`, 'POST', brand.token, order());
    return answer.status === 202 ? answer.body : undefined;
  }, 90_000, 250);
  return created.orderId as string;
}

async function setUp(client: MeshfabClient): Promise<{ members: Members; orders: OrderDriver; brand: Json }> {
  const actors = { operator: OPERATOR };
  const { members, orders } = await joinNetwork(client, actors);
  const brand = await members.brand('Backpressure Apparel', 5_000_000);
  return { members, orders, brand };
}

afterAll(() => {
  process.stderr.write(`backpressure figures ${JSON.stringify(measured)}\n`);
});

describe('PostgreSQL down (through a proxy): refused, then blackholed', () => {
  const proxy = new PostgresProxy(upstreamOf(testDatabaseUrl()));
  let env: Record<string, string>;
  let host: RunningHost;
  let client: MeshfabClient;

  beforeAll(async () => {
    await proxy.start();
    env = baseEnv(throughProxy(testDatabaseUrl(), proxy.port));
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env } });
    client = new MeshfabClient(host.url);
  }, 120_000);
  afterAll(async () => {
    await proxy.forward();
    await host?.stop();
    await proxy.stop();
    await dropSchemas(env);
  }, 60_000);

  it('answers writes 503 quickly, reports not-ready, and resumes when PostgreSQL returns', async () => {
    const { orders, brand } = await setUp(client);
    const before = await orders.submit(brand, 100);
    await planned(client, brand, before);
    const ready = await expectReady(host);
    expect(Object.keys(ready.checks as Json).sort()).toEqual(NETWORK_SERVICES.map((s) => `postgresql:${s.name}`).sort());

    // Refused: the port is closed.
    const inFlight = await orders.submit(brand, 100); // its events flow after the outage
    await proxy.refuse();
    await expectWriteRefused(host, brand, 'PostgreSQL', true, 'postgresql refused');
    await expectNotReady(host, /^postgresql:/);

    await proxy.forward();
    await expectReady(host);
    const afterRefused = await submitWhenAccepted(host, brand);
    await planned(client, brand, afterRefused);
    await planned(client, brand, inFlight);

    // Blackholed: connections are accepted and never answered.
    const inFlightToo = await orders.submit(brand, 100);
    proxy.blackhole();
    await expectWriteRefused(host, brand, 'PostgreSQL', true, 'postgresql blackholed');
    await expectNotReady(host, /^postgresql:/);

    await proxy.forward();
    await expectReady(host);
    const afterBlackhole = await submitWhenAccepted(host, brand);
    await planned(client, brand, afterBlackhole);
    await planned(client, brand, inFlightToo);
    // Nothing was given up on during the outages.
    const deadLetters = await client.get<{ deadLetters: unknown[] }[]>('/admin/dead-letters', OPERATOR);
    expect(deadLetters.flatMap((l) => l.deadLetters)).toEqual([]);
  }, 240_000);
});

describe('Kafka down (a broker of this test, stopped and started again)', () => {
  // Below Linux's ephemeral range (32768–60999): a port in it can be held, at start-up or across the restart, by
  // any outbound connection of this machine (CI once failed with "Address already in use" on 39092).
  const kafkaPort = 28092;
  const kafkaEnv = { ...process.env, KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(kafkaPort + 1), MESHFAB_DATA_DIR: resolve('.data/backpressure') };
  const kafka = (command: 'up' | 'down') => promisify(execFile)('bash', ['deploy/local/kafka.sh', command], { env: kafkaEnv, timeout: 120_000 });
  const env = { ...baseEnv(testDatabaseUrl()), KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`, MESHFAB_KAFKA_NAMESPACE: `bp-${randomUUID().slice(0, 8)}` };
  let host: RunningHost;
  let client: MeshfabClient;

  /** A broker that has just started may not lead its partitions yet: wait until it creates a topic. */
  async function warmUp(): Promise<void> {
    const admin = new Kafka({ clientId: 'backpressure-warm-up', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
    await eventually('the new broker to create topics', async () => {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: `${env.MESHFAB_KAFKA_NAMESPACE}.warm-up`, numPartitions: 1 }], waitForLeaders: true });
      return (await admin.fetchTopicMetadata({ topics: [`${env.MESHFAB_KAFKA_NAMESPACE}.warm-up`] })).topics[0].partitions.every((p) => p.leader >= 0);
    }, 90_000, 500);
    await admin.disconnect();
  }

  beforeAll(async () => {
    await kafka('up');
    await warmUp();
    host = await startHost('network', NETWORK_SERVICES, { embedded: false, env: { ...env } });
    client = new MeshfabClient(host.url);
  }, 180_000);
  afterAll(async () => {
    await host?.stop();
    await kafka('down');
    await dropSchemas(env);
  }, 120_000);

  it('refuses writes with 503 while the broker is down, keeps serving reads, and publishes what was stored once it is back', async () => {
    const { orders, brand } = await setUp(client);
    const before = await orders.submit(brand, 100);
    await planned(client, brand, before);
    expect((await expectReady(host)).checks).toMatchObject({ kafka: { status: 'ok' } });

    const inFlight = await orders.submit(brand, 100); // stored; its events cross Kafka after the outage
    await kafka('down');
    await expectWriteRefused(host, brand, 'Kafka', false, 'kafka down');
    await expectNotReady(host, /^kafka$/);
    // Reads are served from PostgreSQL all along.
    const read = await timed(`${host.url}/orders/${before}`, 'GET', brand.token);
    expect([read.status, read.body.orderId]).toEqual([200, before]);

    await kafka('up');
    await expectReady(host);
    const after = await submitWhenAccepted(host, brand);
    await planned(client, brand, inFlight, 120_000);
    await planned(client, brand, after, 120_000);
    const deadLetters = await client.get<{ deadLetters: unknown[] }[]>('/admin/dead-letters', OPERATOR);
    expect(deadLetters.flatMap((l) => l.deadLetters)).toEqual([]);
  }, 360_000);
});
