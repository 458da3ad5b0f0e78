// A tiny run of `npm run demo` (12 workshops, 4 orders, one of them in the peak season) against the
// whole network in one process: every order completes, and the money adds up.
import { randomUUID } from 'node:crypto';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, testTokens } from '#libs/testing';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { runDemo, type DemoResult } from '../../apps/network/src/demo/scenario.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'demo-e2e-secret-that-is-long-enough-for-hs256';
const OPERATOR = `op_demo-e2e-${randomUUID()}`;

describe('the demo scenario on the embedded network', () => {
  const schemas = freshSchemas('demo');
  let host: RunningHost;
  let result: DemoResult;

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, {
      embedded: true,
      env: { ...schemas, DATABASE_URL: testDatabaseUrl(), PORT: '0', ...testSigningEnv(SECRET), MESHFAB_OPERATOR_TOKEN: OPERATOR, LOG_LEVEL: 'warn', MESHFAB_DATA_DIR: '.data/e2e-demo' },
    });
    // Inspectors are registered by the operator over HTTP; signed tokens only if the route were missing.
    const signInspectorTokens = (keys: readonly string[]) => Promise.all(keys.map((k) => testTokens(SECRET).issue({ sub: `inspector-demo-${k}`, role: 'inspector' })));
    result = await runDemo(new MeshfabClient(host.url), { operatorToken: OPERATOR, signInspectorTokens }, { workshops: 12, orders: 4, seed: 7, runId: randomUUID().slice(0, 8), timeoutMs: 150_000 });
  }, 200_000);

  afterAll(async () => {
    await host?.stop();
    await dropSchemas(schemas);
  });

  it('completes every order it submits', () => {
    expect(result.orders.map((o) => [o.key, o.status, o.reason])).toEqual(result.orders.map((o) => [o.key, 'completed', null]));
    expect(result.summary).toMatchObject({ ordersSubmitted: 4, ordersCompleted: 4 });
    expect(result.orders.some((o) => o.peak)).toBe(true);
  });

  it('ends with a balanced ledger: no escrow left, every passed lot paid exactly once', () => {
    expect(result.summary.ledger).toEqual({ sumOfBalances: 0, escrowOfCompletedOrders: 0, paidLotsEqualPassedLots: true });
    expect(result.summary.lotsPassed).toBeGreaterThan(0);
    expect(result.trialBalance.balanced).toBe(true);
    expect(result.audit.ok).toBe(true);
    expect(result.audit.passedLotsAwaitingPayment).toEqual([]);
    expect(result.money.statementsReconcile).toBe(true);
    // Every passed lot's gross went to the workshop and the platform; nothing else left escrow for a workshop.
    expect(result.money.releasedGrossMinor).toBe(result.money.paidToWorkshopsMinor + result.money.platformFeesMinor + result.money.penaltiesMinor);
    expect(result.money.payoutsRequestedMinor).toBe(result.money.paidToWorkshopsMinor);
  });

  it('leaves nothing in the dead-letter queues', () => {
    expect(result.deadLetters).toEqual([]);
  });

  it('prints one JSON object of the key figures', () => {
    const json = JSON.parse(JSON.stringify(result.summary)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['ordersSubmitted', 'ordersCompleted', 'ordersOnTime', 'lotsPassed', 'lotsFailed', 'replans', 'ledger', 'durationMs']);
    expect(json.durationMs).toEqual(expect.any(Number));
  });
});
