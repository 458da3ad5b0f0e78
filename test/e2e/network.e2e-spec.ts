// The whole network through its HTTP APIs, twice: all five services in one process on the embedded
// transport (what `npm start` runs), and the five services as separate Nest applications talking
// through real Apache Kafka (the distributed deployment).
import { randomBytes, randomUUID } from 'node:crypto';
import { startHost, type RunningHost } from '#libs/runtime';
import { kafkaBrokers, testDatabaseUrl, testSigningEnv } from '#libs/testing';
import { eventually, MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { awaitingFunds, cancellationMidProduction, orderLifecycle, quoteToOrder } from './order-lifecycle.scenario.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'e2e-secret-that-is-long-enough-for-hs256-signing';
const OPERATOR = 'op_e2e-operator-token-0123456789abcdef';

/** The notifications host's sealing key (the embedded network would generate one under its data folder). */
const NOTIFICATIONS_KEY = randomBytes(32).toString('base64');

function baseEnv(): Record<string, string> {
  return { ...freshSchemas('e2e'), DATABASE_URL: testDatabaseUrl(), PORT: '0', ...testSigningEnv(SECRET), MESHFAB_NOTIFICATIONS_SECRET_KEY: NOTIFICATIONS_KEY, MESHFAB_OPERATOR_TOKEN: OPERATOR, LOG_LEVEL: 'warn', MESHFAB_DATA_DIR: '.data/e2e' };
}

/** No service of the network gave up on any message (the operator's dead-letter view is empty). */
async function expectNoDeadLetters(urls: string[]): Promise<void> {
  for (const url of urls) {
    const lists = await new MeshfabClient(url).get<{ service: string; deadLetters: unknown[] }[]>('/admin/dead-letters', OPERATOR);
    expect(lists.filter((l) => l.deadLetters.length > 0)).toEqual([]);
  }
}

function actors() {
  return { operator: OPERATOR };
}

async function expectLifecycle(client: MeshfabClient) {
  const r = await orderLifecycle(client, actors());
  expect(r.completed.status).toBe('completed');
  expect(r.cut.workshopId).not.toBe(r.declined.workshopId); // re-planned elsewhere after the decline
  expect(r.failed).toMatchObject({ disposition: 'rework' });
  // Money: each lot paid once, less the 5 % platform fee; nothing left in escrow; the ledger balances.
  expect(r.statement.reconciles).toBe(true);
  expect(r.statement.totals).toMatchObject({ escrowedMinor: 110_000, releasedGrossMinor: 110_000, platformFeesMinor: 5_500, paidToWorkshopsMinor: 104_500, escrowBalanceMinor: 0 });
  expect(r.statement.lots.map((l: { stepId: string; status: string; netMinor: number }) => [l.stepId, l.status, l.netMinor]).sort()).toEqual([
    ['cut', 'paid', 28_500],
    ['sew', 'paid', 76_000],
  ]);
  expect(r.payout).toMatchObject({ amount: { amountMinor: 76_000, currency: 'CNY' } });
  expect(r.ledger).toMatchObject({ balanced: true });
  expect(JSON.stringify(r.brandAccount)).toContain('4890000'); // 5,000,000 deposited once (the retry replayed), 110,000 spent
  // The order's lots as the brand sees them.
  const lots: { stepId: string; status: string }[] = r.completed.lots;
  expect(lots.map((l) => `${l.stepId}:${l.status}`).sort()).toEqual(['cut:declined', 'cut:passed', 'sew:passed']);
  return r;
}

async function expectQuoteToOrder(client: MeshfabClient): Promise<void> {
  const r = await quoteToOrder(client, actors());
  expect(r.accepted).toMatchObject({ outcome: 'accepted', quoteId: r.quote.quoteId });
  const cheapest = r.quote.options.find((o: { kind: string }) => o.kind === 'cheapest');
  // The quoted lots, at the quoted workshops, prices and dates.
  const quoted = (cheapest.lots as Record<string, unknown>[]).map((l) => [l.stepId, l.workshopId, l.priceMinor, l.start].join(' ')).sort();
  const offered = [r.cut, r.sew].map((o) => [o.stepId, o.workshopId, (o.price as { amountMinor: number }).amountMinor, String(o.plannedStart).slice(0, 10)].join(' ')).sort();
  expect(offered).toEqual(quoted);
  expect(r.cut.price.amountMinor + r.sew.price.amountMinor).toBe(cheapest.totals.totalMinor);
  expect(r.order).toMatchObject({ orderId: r.accepted.orderId, sku: 'KNIT-Q-1' });
  // The hold became the order's reservations.
  expect(r.viewed).toMatchObject({ status: 'accepted', orderId: r.accepted.orderId, hold: null });
}

async function expectCancellation(client: MeshfabClient): Promise<void> {
  const r = await cancellationMidProduction(client, actors());
  expect(r.cancelled.status).toBe('cancelled');
  expect(r.sewing.status).toBe('cancelled');
  // Cutting passed before the cancellation and is paid; sewing's escrow goes back to the brand.
  expect(r.statement.reconciles).toBe(true);
  expect(r.statement.totals).toMatchObject({ escrowedMinor: 110_000, releasedGrossMinor: 30_000, refundedToBrandMinor: 80_000, escrowBalanceMinor: 0 });
}

async function expectAwaitingFunds(client: MeshfabClient): Promise<void> {
  const r = await awaitingFunds(client, actors());
  expect(r.waiting.status).toBe('awaiting_funds');
  expect(r.unfundedStart).toMatchObject({ error: 'lot_not_funded' });
  expect(r.unfundedLot).toMatchObject({ status: 'accepted', funded: false });
  expect(r.resumed.status).not.toBe('awaiting_funds');
  expect(r.completed.status).toBe('completed');
}

/** Revoking a brand's token at the registry makes every service refuse it. */
async function expectRevocationEverywhere(client: MeshfabClient, brand: { id: string; token: string; tokenId: string }): Promise<void> {
  await client.call('GET', '/orders', { token: brand.token });
  await client.call('DELETE', `/registry/members/${brand.id}/tokens/${brand.tokenId}`, { token: OPERATOR });
  await eventually('the orders service to refuse the revoked token', async () => {
    const { status, body } = await client.call<{ error: string }>('GET', '/orders', { token: brand.token, expect: [200, 401] });
    return status === 401 && body.error === 'token_revoked';
  });
  await eventually('the settlement service to refuse it too', async () => {
    const { status } = await client.call('GET', '/settlement/accounts/me', { token: brand.token, expect: [200, 401] });
    return status === 401;
  });
}

/**
 * Suspending a workshop at the registry freezes it everywhere: settlement refuses its payout request (a write),
 * still shows it its own account (a read); reinstatement restores it.
 */
async function expectSuspensionEverywhere(client: MeshfabClient, shop: { id: string; token: string }): Promise<void> {
  await client.call('POST', `/registry/workshops/${shop.id}/suspend`, { token: OPERATOR, body: { reason: 'e2e: payout hold' } });
  await eventually('settlement to refuse the suspended workshop’s payout request', async () => {
    const { status, body } = await client.call<{ error?: string }>('POST', '/settlement/payouts', { token: shop.token, body: {}, idempotencyKey: randomUUID(), expect: [201, 403, 409, 422] });
    return status === 403 && body.error === 'member_suspended';
  });
  await client.call('GET', '/settlement/accounts/me', { token: shop.token, expect: [200] });
  await client.call('POST', `/registry/workshops/${shop.id}/reinstate`, { token: OPERATOR, body: { reason: 'e2e: cleared' } });
  await eventually('settlement to take the reinstated workshop’s writes again', async () => {
    const { status } = await client.call('POST', '/settlement/payouts', { token: shop.token, body: {}, idempotencyKey: randomUUID(), expect: [201, 403, 409, 422] });
    return status !== 403;
  });
}

/**
 * Suspending a brand (MemberSuspended) freezes it on every service: orders refuses a new order, settlement a
 * funding intent, while it still reads its orders; reinstatement restores it. The brand's token is a fresh one
 * (an operator's rotation: the revocation test above revoked its first).
 */
async function expectBrandSuspensionEverywhere(client: MeshfabClient, brandId: string): Promise<void> {
  const { token } = (await client.call<{ token: string }>('POST', `/registry/members/${brandId}/tokens`, { token: OPERATOR, expect: [201] })).body;
  await client.call('POST', `/registry/members/${brandId}/suspend`, { token: OPERATOR, body: { reason: 'e2e: chargeback review' }, expect: [200] });
  const writes = [
    ['POST', '/orders'],
    ['POST', '/settlement/funding-intents'],
  ] as const;
  for (const [method, path] of writes) {
    await eventually(`${path} to refuse the suspended brand`, async () => {
      const { status, body } = await client.call<{ error?: string }>(method, path, { token, body: {}, idempotencyKey: randomUUID(), expect: [400, 403, 422] });
      return status === 403 && body.error === 'member_suspended';
    });
  }
  await client.call('GET', '/orders', { token, expect: [200] });
  await client.call('POST', `/registry/members/${brandId}/appeal`, { token, body: { reason: 'e2e: the bank erred' }, expect: [200] });
  await client.call('POST', `/registry/members/${brandId}/reinstate`, { token: OPERATOR, body: { reason: 'e2e: cleared' }, expect: [200] });
  for (const [method, path] of writes) {
    await eventually(`${path} to take the reinstated brand's writes again`, async () => {
      const { status } = await client.call(method, path, { token, body: {}, idempotencyKey: randomUUID(), expect: [400, 403, 422] });
      return status !== 403;
    });
  }
}

describe('the network in one process (embedded transport)', () => {
  const env = baseEnv();
  let host: RunningHost;
  let embeddedClient: MeshfabClient;
  const client = () => embeddedClient;

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env } });
    embeddedClient = new MeshfabClient(host.url);
  });
  afterEach(async () => {
    await expectNoDeadLetters([host.url]);
  });
  afterAll(async () => {
    await host?.stop();
    await dropSchemas(env);
  });

  it('takes an order from submission through rework to completion, payment and statement', async () => {
    const r = await expectLifecycle(client());
    await expectRevocationEverywhere(client(), r.brand as never);
    await expectSuspensionEverywhere(client(), r.sewShop);
    await expectBrandSuspensionEverywhere(client(), (r.brand as { id: string }).id);
  }, 120_000);

  it('cancels an order mid-production: passed work paid, the rest refunded, open work cancelled', async () => {
    await expectCancellation(client());
  }, 120_000);

  it('keeps an order waiting for funds, visibly, until the brand deposits', async () => {
    await expectAwaitingFunds(client());
  }, 120_000);

  it('turns an accepted quote into an order with the quoted lots and prices', async () => {
    await expectQuoteToOrder(client());
  }, 120_000);
});

describe('five services as separate applications on Kafka', () => {
  // Settlement hosts the sandbox payment provider the brands pay through (the embedded network does this by itself).
  const sandbox = { MESHFAB_SETTLEMENT_PROVIDER_SECRETS: `sandbox=whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`, MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true' };
  const env = { ...baseEnv(), ...sandbox, KAFKA_BROKERS: kafkaBrokers().join(','), MESHFAB_KAFKA_NAMESPACE: `e2e-${randomUUID().slice(0, 8)}` };
  const hosts = new Map<string, RunningHost>();

  beforeAll(async () => {
    for (const service of NETWORK_SERVICES) {
      hosts.set(service.name, await startHost(service.name, [service], { embedded: false, env: { ...env } }));
    }
  }, 120_000);
  afterEach(async () => {
    await expectNoDeadLetters([...hosts.values()].map((h) => h.url));
  });
  afterAll(async () => {
    for (const host of hosts.values()) await host.stop();
    await dropSchemas(env);
  });

  const routed = new MeshfabClient((path) => {
    const service = path.split('/')[1];
    const host = hosts.get(service === 'sandbox-provider' ? 'settlement' : service === 'quotes' ? 'matching' : service);
    if (!host) throw new Error(`no service for ${path}`);
    return host.url;
  });
  const client = () => routed;

  it('takes the same order through the same life, every event crossing Kafka', async () => {
    const r = await expectLifecycle(client());
    await expectRevocationEverywhere(client(), r.brand as never);
    await expectSuspensionEverywhere(client(), r.sewShop);
    await expectBrandSuspensionEverywhere(client(), (r.brand as { id: string }).id);
  }, 180_000);

  it('cancels mid-production across the services', async () => {
    await expectCancellation(client());
  }, 120_000);

  it('waits for funds across the services', async () => {
    await expectAwaitingFunds(client());
  }, 120_000);

  it('turns an accepted quote into an order across the services (QuoteAccepted on Kafka)', async () => {
    await expectQuoteToOrder(client());
  }, 120_000);
});
