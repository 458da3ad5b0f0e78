// Observability past HTTP, on both transports: the business gauges of /metrics (each read from its owning
// service's read model) after a known scenario, the brokers' consumer lag per group and partition (Kafka),
// and one OpenTelemetry trace following an order from its HTTP submission through planning to its offers
// across the services, received by a real OTLP/HTTP receiver.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHost, type RunningHost } from '#libs/runtime';
import { kafkaBrokers, testDatabaseUrl, testSigningEnv } from '#libs/testing';
import { eventually, MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { expressions, exportedFamilies, metricNamesOf } from '../deploy/observability-references.js';
import { Members, OrderDriver, TWO_STEP_ROUTE } from './order-lifecycle.scenario.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'observability-e2e-secret-long-enough-for-hs256';
const OPERATOR = `op_observability-e2e-${randomUUID()}`;
type Json = Record<string, any>;

function baseEnv(otlp: string): Record<string, string> {
  return {
    ...freshSchemas('obs'),
    DATABASE_URL: testDatabaseUrl(),
    PORT: '0',
    ...testSigningEnv(SECRET),
    MESHFAB_NOTIFICATIONS_SECRET_KEY: randomBytes(32).toString('base64'),
    MESHFAB_OPERATOR_TOKEN: OPERATOR,
    LOG_LEVEL: 'warn',
    MESHFAB_DATA_DIR: '.data/e2e-observability',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    MESHFAB_ORDERS_METRICS_REFRESH_MS: '0',
    MESHFAB_METRICS_KAFKA_LAG_CACHE_MS: '0',
  };
}

/**
 * Stands between the sandbox payment provider and settlement's webhook: passes its payment webhooks on and
 * keeps its payout confirmations, so a payout stays pending (instructed) for the gauges to show.
 */
class PayoutConfirmationGate {
  target = '';
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (body.includes('"type":"payout.')) return void response.writeHead(202).end();
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.startsWith('webhook-') || k === 'content-type')) as Record<string, string>;
        fetch(`${this.target}/settlement/webhooks/sandbox`, { method: 'POST', headers, body }).then(
          async (r) => response.writeHead(r.status).end(await r.text()),
          () => response.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/settlement/webhooks/sandbox`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The metric families the hosts of both runs export (their `# TYPE` lines), for the dashboard's and alerts' check. */
const exported = new Set<string>();

/** `/metrics` of every host, as one list of `name{labels} value` lines. */
async function scrape(urls: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const url of urls) {
    const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const family of exportedFamilies(text)) exported.add(family);
    lines.push(...text.split('\n').filter((l) => l && !l.startsWith('#')));
  }
  return lines;
}

/** The value of the series `name` whose labels include every one of `labels` (undefined: no such series). */
function seriesValue(lines: readonly string[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = lines.find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Waits until the series shows `expected` (the read models follow the events), then asserts it. */
async function expectGauge(urls: readonly string[], name: string, labels: Record<string, string>, expected: number): Promise<void> {
  let seen: number | undefined;
  await eventually(`${name}${JSON.stringify(labels)} = ${expected}`, async () => {
    const lines = await scrape(urls);
    seen = seriesValue(lines, name, labels) ?? 0;
    return seen === expected;
  }).catch(() => undefined);
  expect({ name, labels, value: seen }).toEqual({ name, labels, value: expected });
}

/**
 * The known scenario: a brand funded, a cutting and a sewing shop, an inspector; an order planned (two offers),
 * the cutting lot accepted (its price escrowed), made (a lot in inspection), then passed (paid) and paid out
 * (a pending payout: instructed, its confirmation kept by PayoutConfirmationGate); and an order for a process no workshop has (it waits in
 * the planning queue). Each gauge is asserted at the step that sets it.
 */
async function knownScenario(client: MeshfabClient, urls: () => string[]) {
  const members = new Members(client, { operator: OPERATOR });
  const orders = new OrderDriver(client, members);
  const brand = await members.brand('Observed Threads', 5_000_000);
  await members.workshop('Observed Cutting Room', 'cutting', 'per_unit', 150, 121.55);
  await members.workshop('Observed Sewing Co-op', 'sewing', 'per_unit', 400, 121.8);
  await members.inspector('Observed Quality Lab');

  const orderId = await orders.submit(brand);
  const cut = await orders.offer(orderId, 'cut');
  await orders.offer(orderId, 'sew');
  await expectGauge(urls(), 'meshfab_offers_pending', {}, 2);

  await orders.accept(cut);
  await expectGauge(urls(), 'meshfab_offers_pending', {}, 1);
  await expectGauge(urls(), 'meshfab_escrow_held_minor', { currency: 'CNY' }, cut.price.amountMinor as number);

  await orders.make(cut, 200);
  await expectGauge(urls(), 'meshfab_inspection_lots_open', { status: 'pending' }, 1);
  await orders.inspect(cut.subtaskId, 0, () => ({ critical: 0, major: 0, minor: 0 }));
  await expectGauge(urls(), 'meshfab_inspection_lots_open', { status: 'pending' }, 0);
  await expectGauge(urls(), 'meshfab_escrow_held_minor', { currency: 'CNY' }, 0);

  const payout = await eventually('the cutting shop paid', async () => {
    const { status, body } = await client.call<Json>('POST', '/settlement/payouts', { token: cut.token, body: {}, idempotencyKey: randomUUID(), expect: [201, 422] });
    return status === 201 ? body : undefined;
  });
  await expectGauge(urls(), 'meshfab_payouts_pending', { status: 'instructed', currency: 'CNY' }, 1);
  await expectGauge(urls(), 'meshfab_payouts_pending_minor', { status: 'instructed', currency: 'CNY' }, payout.amount.amountMinor as number);

  const stuck = await client.post<Json>(
    '/orders',
    brand.token,
    {
      sku: 'PLATE-ANOD',
      productName: 'Anodized plate',
      quantity: 50,
      unit: 'pcs',
      dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
      route: [{ stepId: 'anodize', process: 'anodizing', workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 2.5 } }],
    },
    randomUUID(),
  );
  await expectGauge(urls(), 'meshfab_planning_queue_depth', { queue: 'orders' }, 1);

  // Orders by status, as the brand sees its two orders.
  const statuses = await Promise.all([orderId, stuck.orderId as string].map(async (id) => (await client.get<Json>(`/orders/${id}`, brand.token)).status as string));
  for (const status of new Set(statuses)) await expectGauge(urls(), 'meshfab_orders', { status }, statuses.filter((s) => s === status).length);
  return { orderId, brand };
}

/**
 * One trace: an order submitted with the caller's own `traceparent` (HTTP, orders) → matching planning it
 * (OrderSubmitted) → the consumers of its offers (SubtaskOffered), whatever the transport between them.
 */
async function expectOneTraceAcrossServices(receiver: OtlpReceiver, client: MeshfabClient, ordersUrl: string, brand: Json): Promise<void> {
  const traceId = randomBytes(16).toString('hex');
  const response = await fetch(`${ordersUrl}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${brand.token as string}`, 'content-type': 'application/json', 'idempotency-key': randomUUID(), traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    body: JSON.stringify({
      sku: 'TEE-TRACED',
      productName: 'Traced T-shirt',
      quantity: 100,
      unit: 'pcs',
      dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      delivery: { lat: 30.27, lng: 120.15, city: 'Hangzhou' },
      route: TWO_STEP_ROUTE,
    }),
  });
  expect(response.status).toBeLessThan(300);
  const { orderId } = (await response.json()) as { orderId: string };
  await eventually('the traced order offered', async () => (await client.getAll<Json>('/matching/offers?limit=500', OPERATOR)).some((o) => o.orderId === orderId));
  const trace = await eventually('the submission, its planning and its offers in one trace', async () => {
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    const planned = spans.some((s) => s.attributes['meshfab.service'] === 'matching' && s.attributes['meshfab.event.type'] === 'OrderSubmitted');
    const offered = spans.some((s) => s.attributes['meshfab.event.type'] === 'SubtaskOffered');
    return planned && offered ? spans : undefined;
  });
  expect(receiver.refused).toEqual([]);
  const submission = trace.find((s) => s.attributes['url.path'] === '/orders');
  expect(submission?.attributes).toMatchObject({ 'http.request.method': 'POST', 'meshfab.service': 'orders' });
  const services = new Set(trace.map((s) => s.attributes['meshfab.service']));
  expect([...services]).toEqual(expect.arrayContaining(['orders', 'matching']));
  expect(services.size).toBeGreaterThanOrEqual(3); // and whoever hears the offers (settlement, notifications, orders)
  // Each consumer span is the child of the span that appended the event it handles: nothing in the trace is orphaned but the caller's.
  const ids = new Set(trace.map((s) => s.spanId));
  expect(trace.filter((s) => s !== submission && !ids.has(s.parentSpanId ?? '')).map((s) => s.name)).toEqual([]);
}

describe('observability of the network in one process (embedded transport)', () => {
  const receiver = new OtlpReceiver();
  const gate = new PayoutConfirmationGate();
  let env: Record<string, string>;
  let host: RunningHost;

  beforeAll(async () => {
    env = { ...baseEnv(await receiver.start()), MESHFAB_SANDBOX_PROVIDER_WEBHOOK_URL: await gate.start() };
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env } });
    gate.target = host.url;
  });
  afterAll(async () => {
    await host?.stop();
    await receiver.stop();
    await gate.stop();
    if (env) await dropSchemas(env);
  });

  it('shows the business gauges after a known scenario and follows the order in one trace', async () => {
    const client = new MeshfabClient(host.url);
    const { brand } = await knownScenario(client, () => [host.url]);
    await expectOneTraceAcrossServices(receiver, client, host.url, brand);
    // The shared log tails of the embedded bus: the orders log was read (by its tail), and its consumers
    // were answered from memory; reads that fell outside the tail's run are counted apart.
    const lines = await scrape([host.url]);
    expect(seriesValue(lines, 'meshfab_log_tail_reads_total', { producer: 'orders' })).toBeGreaterThan(0);
    expect(seriesValue(lines, 'meshfab_log_tail_served_total', { producer: 'orders' })).toBeGreaterThan(0);
    expect(seriesValue(lines, 'meshfab_log_tail_bypassed_total', { producer: 'orders' })).toBeGreaterThanOrEqual(0);
    // The order handler's stream state cache: the scenario's later order commands started from the
    // state the one before committed.
    expect(seriesValue(lines, 'meshfab_stream_state_cache_hits_total', { handler: 'order' })).toBeGreaterThan(0);
    expect(seriesValue(lines, 'meshfab_stream_state_cache_misses_total', { handler: 'order' })).toBeGreaterThan(0);
    expect(seriesValue(lines, 'meshfab_stream_state_cache_redecided_total', { handler: 'order' })).toBeGreaterThanOrEqual(0);
  }, 180_000);
});

describe('observability of five services on Kafka', () => {
  const receiver = new OtlpReceiver();
  const gate = new PayoutConfirmationGate();
  const hosts = new Map<string, RunningHost>();
  const namespace = `obs-${randomUUID().slice(0, 8)}`;
  let env: Record<string, string>;
  const urls = () => [...hosts.values()].map((h) => h.url);

  beforeAll(async () => {
    const sandbox = { MESHFAB_SETTLEMENT_PROVIDER_SECRETS: `sandbox=whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`, MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true' };
    env = { ...baseEnv(await receiver.start()), ...sandbox, KAFKA_BROKERS: kafkaBrokers().join(','), MESHFAB_KAFKA_NAMESPACE: namespace, MESHFAB_SANDBOX_PROVIDER_WEBHOOK_URL: await gate.start() };
    for (const service of NETWORK_SERVICES) hosts.set(service.name, await startHost(service.name, [service], { embedded: false, env: { ...env } }));
    gate.target = hosts.get('settlement')!.url;
  }, 120_000);
  afterAll(async () => {
    for (const host of hosts.values()) await host.stop();
    await receiver.stop();
    await gate.stop();
    if (env) await dropSchemas(env);
  });

  const routed = new MeshfabClient((path) => {
    const service = path.split('/')[1];
    const host = hosts.get(service === 'sandbox-provider' ? 'settlement' : service);
    if (!host) throw new Error(`no service for ${path}`);
    return host.url;
  });

  it('shows the business gauges, follows the order in one trace across Kafka, and each group caught up on every partition', async () => {
    const { brand } = await knownScenario(routed, urls);
    await expectOneTraceAcrossServices(receiver, routed, hosts.get('orders')!.url, brand);
    // Consumer lag per group and partition: matching reads all six partitions of the orders topic and, once quiet, is behind on none.
    const group = `${namespace}.matching`;
    const topic = `${namespace}.orders.events`;
    await eventually('matching caught up with the orders topic', async () => {
      const lines = (await scrape(urls())).filter((l) => l.startsWith('meshfab_kafka_consumer_lag{') && l.includes(`group="${group}"`) && l.includes(`topic="${topic}"`));
      return lines.length === 6 && lines.every((l) => l.endsWith(' 0'));
    });
    const lines = await scrape(urls());
    for (let partition = 0; partition < 6; partition++) expect(seriesValue(lines, 'meshfab_kafka_consumer_lag', { group, topic, partition: String(partition) })).toBe(0);
    expect(lines.some((l) => l.startsWith('meshfab_kafka_consumer_lag{') && l.includes(`group="${namespace}.notifications"`))).toBe(true);
  }, 240_000);
});

describe('the Grafana dashboard and the alert rules of deploy/observability', () => {
  it('read only metrics the network exports (embedded and on Kafka, scraped above)', () => {
    expect(exported.size).toBeGreaterThan(0);
    const missing = expressions().flatMap(({ where, expr }) => metricNamesOf(expr).filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`));
    expect(missing).toEqual([]);
  });
});
