// A tiny run of `npm run demo` (12 workshops, 4 orders, one of them in the peak season) against the
// whole network in one process: every order completes, and the money adds up. The analytics API
// (notifications' read models) agrees with what the run counted, and shows each member its own figures only.
import { randomUUID } from 'node:crypto';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, testTokens } from '#libs/testing';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { formatReport } from '../../apps/network/src/demo/report.js';
import { runDemo, type DemoResult } from '../../apps/network/src/demo/scenario.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'demo-e2e-secret-that-is-long-enough-for-hs256';
const OPERATOR = `op_demo-e2e-${randomUUID()}`;

describe('the demo scenario on the embedded network', () => {
  const schemas = freshSchemas('demo');
  let host: RunningHost;
  let result: DemoResult;
  const members: { role: 'brand' | 'workshop'; id: string; token: string }[] = [];
  const analytics = (path: string, token?: string) =>
    fetch(`${host.url}/analytics/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, {
      embedded: true,
      env: { ...schemas, DATABASE_URL: testDatabaseUrl(), PORT: '0', ...testSigningEnv(SECRET), MESHFAB_OPERATOR_TOKEN: OPERATOR, LOG_LEVEL: 'warn', MESHFAB_DATA_DIR: '.data/e2e-demo', MESHFAB_DB_POOL_SIZE: '6' },
    });
    // Inspectors are registered by the operator over HTTP; signed tokens only if the route were missing.
    const signInspectorTokens = (keys: readonly string[]) => Promise.all(keys.map((k) => testTokens(SECRET).issue({ sub: `inspector-demo-${k}`, role: 'inspector' })));
    result = await runDemo(new MeshfabClient(host.url), { operatorToken: OPERATOR, signInspectorTokens }, {
      workshops: 12,
      orders: 4,
      seed: 7,
      runId: randomUUID().slice(0, 8),
      timeoutMs: 150_000,
      onMemberJoined: async (m) => void members.push(m),
    });
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

  it('reads the same money and orders from the analytics API as the run counted', () => {
    const a = result.analytics!;
    expect(a.figures.orders).toMatchObject({ submitted: 4, completed: 4 });
    expect(a.figures.money).toEqual([
      {
        currency: 'CNY',
        depositedMinor: result.money.depositedMinor,
        escrowedMinor: result.money.escrowedMinor,
        refundedMinor: result.money.refundedToBrandsMinor,
        releasedMinor: result.money.releasedGrossMinor,
        platformFeesMinor: result.money.platformFeesMinor,
        penaltiesMinor: result.money.penaltiesMinor,
        paidToWorkshopsMinor: result.money.paidToWorkshopsMinor,
      },
    ]);
    expect(a.figures.leadTime.p90Hours).toBeGreaterThanOrEqual(a.figures.leadTime.p50Hours!);
    const inspections = a.figures.defectsByProcess.reduce((n, d) => n + d.inspections, 0);
    expect(inspections).toBe(a.figures.defectsByWorkshop.reduce((n, d) => n + d.inspections, 0));
    expect(inspections).toBeGreaterThanOrEqual(result.summary.lotsPassed);
    expect(a.utilisation.rows.some((r) => r.bookedHours > 0 && r.capacityHours! > 0)).toBe(true);
    // The report prints these figures, naming where they come from.
    const report = formatReport(result, { seed: 7, network: 'the e2e network' });
    expect(report).toContain(`Analytics (GET /analytics/figures): ${a.figures.orders.completedOnTime} of 4 completed orders`);
    expect(report).toContain('Utilisation (GET /analytics/utilisation');
    if (process.env.E2E_PRINT_REPORT) process.stdout.write(`${report}\n`);
  });

  it("shows a brand and a workshop their own figures, whose sums are the network's, and refuses anyone else's", async () => {
    const brands = members.filter((m) => m.role === 'brand');
    const shops = members.filter((m) => m.role === 'workshop');
    const network = (await analytics('figures', OPERATOR)).body;
    const ofBrands = await Promise.all(brands.map((b) => analytics('figures', b.token)));
    for (const [i, r] of ofBrands.entries()) expect([r.status, r.body.scope]).toEqual([200, { kind: 'brand', memberId: brands[i].id }]);
    expect(ofBrands.reduce((n, r) => n + Number(r.body.orders.submitted), 0)).toBe(network.orders.submitted);
    expect(ofBrands.reduce((n, r) => n + Number(r.body.money[0]?.depositedMinor ?? 0), 0)).toBe(network.money[0].depositedMinor);
    const ofShops: { status: number; body: any }[] = [];
    for (const w of shops) ofShops.push(await analytics('figures', w.token)); // one at a time: a shared database's pool is small
    expect(ofShops.map((r): unknown[] => [r.status, r.body.scope])).toEqual(shops.map((w) => [200, { kind: 'workshop', memberId: w.id }]));
    for (const [i, r] of ofShops.entries()) expect(r.body.defectsByWorkshop.every((d: { key: string }) => d.key === shops[i].id)).toBe(true);
    expect(ofShops.reduce((n, r) => n + Number(r.body.money[0]?.paidToWorkshopsMinor ?? 0), 0)).toBe(network.money[0].paidToWorkshopsMinor);
    // The operator reads one brand's figures by naming it: the same as the brand's own.
    expect((await analytics(`figures?brandId=${brands[0].id}`, OPERATOR)).body).toEqual(ofBrands[0].body);
    // A workshop's schedule holds its own lots only; the network's holds every shop's.
    const schedules: { status: number; body: any }[] = [];
    for (const w of shops) schedules.push(await analytics('schedule', w.token));
    for (const [i, r] of schedules.entries()) expect(r.body.items.every((l: { workshopId: string }) => l.workshopId === shops[i].id)).toBe(true);
    expect(schedules.reduce((n, r) => n + Number(r.body.items.length), 0)).toBe((await analytics('schedule', OPERATOR)).body.items.length);
    // A brand sees the hours its lots booked, never the workshops' capacity.
    const busy = brands[ofBrands.findIndex((r) => Number(r.body.orders.submitted) > 0)];
    const brandUse = (await analytics('utilisation', busy.token)).body;
    expect(brandUse.rows.length).toBeGreaterThan(0);
    expect(brandUse.rows.every((r: { capacityHours: number | null }) => r.capacityHours === null)).toBe(true);

    const inspector = await testTokens(SECRET).issue({ sub: 'inspector-analytics', role: 'inspector' });
    const refusals = await Promise.all([
      analytics(`figures?brandId=${brands[1].id}`, brands[0].token),
      analytics(`utilisation?workshopId=${shops[0].id}`, brands[0].token),
      analytics(`figures?workshopId=${shops[1].id}`, shops[0].token),
      analytics(`figures?brandId=${brands[0].id}`, shops[0].token),
      analytics('figures', inspector),
      analytics('figures'),
      analytics('utilisation?from=2027-01-01&to=2026-01-01', OPERATOR),
      analytics('utilisation?from=2026-02-30', OPERATOR),
    ]);
    expect(refusals.map((r): unknown[] => [r.status, r.body.error])).toEqual([
      [403, 'not_your_figures'],
      [403, 'not_your_figures'],
      [403, 'not_your_figures'],
      [403, 'not_your_figures'],
      [403, expect.any(String)],
      [401, expect.any(String)],
      [400, 'invalid_period'],
      [400, 'invalid_period'],
    ]);
  });
});
