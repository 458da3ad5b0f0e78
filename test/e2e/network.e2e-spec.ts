// The whole network through its HTTP APIs, twice: all five services in one process on the embedded
// transport (what `npm start` runs), and the five services as separate Nest applications talking
// through real Apache Kafka (the distributed deployment).
import { randomUUID } from 'node:crypto';
import { TokenService } from '#libs/platform';
import { startHost, type RunningHost } from '#libs/runtime';
import { dropSchema, kafkaBrokers, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { eventually, MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { orderLifecycle } from './order-lifecycle.scenario.js';

const SECRET = 'e2e-secret-that-is-long-enough-for-hs256-signing';
const OPERATOR = 'op_e2e-operator-token-0123456789abcdef';

function baseEnv(): Record<string, string> {
  const schemas = Object.fromEntries(NETWORK_SERVICES.map((s) => [`MESHFAB_${s.name.toUpperCase()}_SCHEMA`, uniqueSchema(`e2e_${s.name}`)]));
  return { ...schemas, DATABASE_URL: testDatabaseUrl(), PORT: '0', MESHFAB_JWT_SECRET: SECRET, MESHFAB_OPERATOR_TOKEN: OPERATOR, LOG_LEVEL: 'warn', MESHFAB_DATA_DIR: '.data/e2e' };
}

async function dropSchemas(env: Record<string, string>): Promise<void> {
  for (const [key, schema] of Object.entries(env)) if (key.endsWith('_SCHEMA')) await dropSchema(testDatabaseUrl(), schema);
}

async function expectLifecycle(client: MeshfabClient) {
  const inspector = await new TokenService(SECRET).issue({ sub: `inspector-${randomUUID()}`, role: 'inspector' });
  const r = await orderLifecycle(client, { operator: OPERATOR, inspector });
  expect(r.completed.status).toBe('completed');
  expect(r.failed).toMatchObject({ disposition: 'rework' });
  // Money: each lot paid once, less the 5 % platform fee; nothing left in escrow; the ledger balances.
  expect(r.statement.reconciles).toBe(true);
  expect(r.statement.totals).toMatchObject({ escrowedMinor: 110_000, releasedGrossMinor: 110_000, platformFeesMinor: 5_500, paidToWorkshopsMinor: 104_500, escrowBalanceMinor: 0 });
  expect(r.statement.lots.map((l: { stepId: string; status: string; netMinor: number }) => [l.stepId, l.status, l.netMinor]).sort()).toEqual([
    ['cut', 'paid', 28_500],
    ['sew', 'paid', 76_000],
  ]);
  expect(r.ledger).toMatchObject({ balanced: true });
  expect(JSON.stringify(r.brandAccount)).toContain('4890000'); // 5,000,000 deposited once (the retry replayed), 110,000 spent
  // The order's lots as the brand sees them.
  const lots = r.completed.steps.flatMap((s: { lots: unknown[] }) => s.lots);
  expect(lots).toHaveLength(2);
  return r;
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

describe('the network in one process (embedded transport)', () => {
  const env = baseEnv();
  let host: RunningHost;

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env } });
  });
  afterAll(async () => {
    await host?.stop();
    await dropSchemas(env);
  });

  it('takes an order from submission through rework to completion, payment and statement', async () => {
    const client = new MeshfabClient(host.url);
    const r = await expectLifecycle(client);
    await expectRevocationEverywhere(client, r.brand as never);
  }, 120_000);
});

describe('five services as separate applications on Kafka', () => {
  const env = { ...baseEnv(), KAFKA_BROKERS: kafkaBrokers().join(','), MESHFAB_KAFKA_NAMESPACE: `e2e-${randomUUID().slice(0, 8)}` };
  const hosts = new Map<string, RunningHost>();

  beforeAll(async () => {
    for (const service of NETWORK_SERVICES) {
      hosts.set(service.name, await startHost(service.name, [service], { embedded: false, env: { ...env } }));
    }
  }, 120_000);
  afterAll(async () => {
    for (const host of hosts.values()) await host.stop();
    await dropSchemas(env);
  });

  it('takes the same order through the same life, every event crossing Kafka', async () => {
    const client = new MeshfabClient((path) => {
      const service = path.split('/')[1];
      const host = hosts.get(service);
      if (!host) throw new Error(`no service for ${path}`);
      return host.url;
    });
    const r = await expectLifecycle(client);
    await expectRevocationEverywhere(client, r.brand as never);
  }, 180_000);
});
