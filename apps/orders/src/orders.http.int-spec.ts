/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON read by assertions */
// The orders HTTP API against a real PostgreSQL: auth (401/403), cross-brand 404s, 400s naming the
// field with nothing stored, Idempotency-Key resubmission, listing, and a fuzz run of malformed bodies.
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, testTokens, uniqueSchema } from '#libs/testing';
import { compileOrders } from '../../../test/support/orders-testing-module.js';

const secret = 'orders-http-test-secret-0123456789abcdef';
const schema = uniqueSchema('orders_http');
const NOW = new Date('2030-01-01T00:00:00.000Z');

const validOrder = () => ({
  sku: 'CASE-01',
  productName: 'Aluminium case',
  designFiles: ['s3://brand-1/case-01.step'],
  quantity: 100,
  unit: 'pcs',
  dueDate: '2030-03-01T00:00:00.000Z',
  delivery: { lat: 29.87, lng: 121.54, city: 'Ningbo' },
  route: [
    { stepId: 'body', process: 'cnc-milling', parameters: { material: 'AL6061' }, workContentHoursPerUnit: 0.5, inspection: { level: 'II', aql: 1.0 }, dependsOn: [] },
    { stepId: 'lid', process: 'cnc-milling', parameters: {}, workContentHoursPerUnit: 0.2, inspection: { level: 'II', aql: 1.0 } },
    { stepId: 'assemble', process: 'assembly', workContentHoursPerUnit: 0.1, inspection: { level: 'S-2', aql: 2.5 }, dependsOn: ['body', 'lid'] },
  ],
  splitPolicy: { maxWorkshopsPerStep: 3 },
  budget: { amountMinor: 5_000_000, currency: 'CNY' },
});

describe('orders HTTP API', () => {
  let app: INestApplication;
  let base: string;
  let db: ServiceDatabase;
  const tokens = testTokens(secret);
  let brand1: string;
  let brand2: string;
  let operator: string;
  let workshop: string;

  const call = async (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) };
  };
  const eventCount = async (): Promise<number> => (await db.dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".events`))[0].n;
  const summaryCount = async (): Promise<number> => (await db.dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".order_summary`))[0].n;

  beforeAll(async () => {
    const moduleRef = await compileOrders({ schema, secret, now: NOW });
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0);
    base = await app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');
    db = app.get(ServiceDatabase);
    brand1 = await tokens.issue({ sub: 'brand-1', role: 'brand' });
    brand2 = await tokens.issue({ sub: 'brand-2', role: 'brand' });
    operator = await tokens.issue({ sub: 'op-1', role: 'operator' });
    workshop = await tokens.issue({ sub: 'ws-1', role: 'workshop' });
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('answers 401 without a token and 403 for a workshop', async () => {
    expect((await call('POST', '/orders', undefined, validOrder())).status).toBe(401);
    expect((await call('GET', '/orders')).status).toBe(401);
    const forbidden = await call('POST', '/orders', workshop, validOrder());
    expect(forbidden.status).toBe(403);
    expect((await call('GET', '/orders', workshop)).status).toBe(403);
  });

  it('accepts an order with 202 and shows it to its brand with steps, but 404 to another brand', async () => {
    const submitted = await call('POST', '/orders', brand1, validOrder());
    expect(submitted.status).toBe(202);
    expect(submitted.body).toEqual({ orderId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'submitted' });
    const { orderId } = submitted.body as { orderId: string };

    const view = await call('GET', `/orders/${orderId}`, brand1);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ orderId, brandId: 'brand-1', status: 'submitted', quantity: 100, submittedAt: NOW.toISOString(), lots: [] });
    expect(view.body.steps.map((s: { stepId: string; status: string }) => [s.stepId, s.status])).toEqual([
      ['body', 'waiting'],
      ['lid', 'waiting'],
      ['assemble', 'waiting'],
    ]);
    expect((await call('GET', `/orders/${orderId}`, operator)).status).toBe(200);

    const other = await call('GET', `/orders/${orderId}`, brand2);
    expect(other.status).toBe(404);
    expect(other.body.error).toBe('order_not_found');
    expect((await call('GET', `/orders/${orderId}/events`, brand2)).status).toBe(404);
    expect((await call('POST', `/orders/${orderId}/cancel`, brand2, {})).status).toBe(404);
    expect((await call('GET', '/orders/no-such-order', brand1)).status).toBe(404);

    const timeline = await call('GET', `/orders/${orderId}/events`, brand1);
    expect(timeline.body).toEqual([expect.objectContaining({ type: 'OrderSubmitted', correlationId: orderId, streamVersion: 1 })]);
  });

  it('lists only the brand’s own orders, filtered and paged with a cursor, newest first, with the total', async () => {
    await call('POST', '/orders', brand2, validOrder());
    await call('POST', '/orders', brand1, validOrder());
    await call('POST', '/orders', brand1, validOrder());
    const all = await call('GET', '/orders?limit=500', brand1);
    expect(all.body).toMatchObject({ hasMore: false, nextCursor: null, total: all.body.items.length });
    expect(all.body.items.length).toBeGreaterThanOrEqual(2);
    expect(all.body.items.every((o: { brandId: string }) => o.brandId === 'brand-1')).toBe(true);
    // Page by page, one at a time: the same orders in the same order, none twice.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await call('GET', `/orders?limit=1${cursor ? `&cursor=${cursor}` : ''}`, brand1);
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(1);
      expect(page.body.total).toBe(all.body.total);
      paged.push(page.body.items[0].orderId as string);
      cursor = page.body.hasMore ? (page.body.nextCursor as string) : null;
    } while (cursor);
    expect(paged).toEqual(all.body.items.map((o: { orderId: string }) => o.orderId));
    const submitted = all.body.items.map((o: { submittedAt: string }) => o.submittedAt);
    expect([...submitted].sort().reverse()).toEqual(submitted);
    const other = await call('GET', '/orders?status=submitted', brand2);
    expect(other.body.items.map((o: { brandId: string }) => o.brandId)).toEqual(['brand-2']);
    expect((await call('GET', '/orders?status=nonsense', brand1)).status).toBe(400);
    expect((await call('GET', '/orders?cursor=forged', brand1)).body).toMatchObject({ error: 'validation_failed', details: { field: 'cursor' } });
    const byOperator = await call('GET', '/orders?brandId=brand-2', operator);
    expect(byOperator.body.items.map((o: { brandId: string }) => o.brandId)).toEqual(['brand-2']);
  });

  it.each<[string, (o: any) => unknown, string, RegExp]>([
    ['a cycle', (o) => ({ ...o, route: [{ ...o.route[0], dependsOn: ['assemble'] }, o.route[1], o.route[2]] }), 'route', /cycle: .*body.*assemble/],
    ['an unknown step reference', (o) => ({ ...o, route: [o.route[0], { ...o.route[1], dependsOn: ['ghost'] }, o.route[2]] }), 'route.1.dependsOn.0', /ghost/],
    ['an unknown process', (o) => ({ ...o, route: [o.route[0], { ...o.route[1], process: 'alchemy' }, o.route[2]] }), 'route.1.process', /alchemy/],
    ['zero quantity', (o) => ({ ...o, quantity: 0 }), 'quantity', /positive/],
    ['a due date in the past', (o) => ({ ...o, dueDate: '2029-06-01T00:00:00.000Z' }), 'dueDate', /future/],
    ['a due date too soon for the route', (o) => ({ ...o, dueDate: '2030-01-02T00:00:00.000Z' }), 'dueDate', /too soon/],
    ['duplicate step ids', (o) => ({ ...o, route: [o.route[0], { ...o.route[1], stepId: 'body' }, o.route[2]] }), 'route.1.stepId', /duplicate/],
    ['a route over the step limit', (o) => ({ ...o, route: Array.from({ length: 51 }, (_, i) => ({ ...o.route[1], stepId: `s${i}` })) }), 'route', /at most 50/],
    ['a missing nested field', (o) => ({ ...o, route: [o.route[0], { ...o.route[1], inspection: { level: 'IV', aql: 1 } }] }), 'route.1.inspection.level', /level/],
    ['an unknown property', (o) => ({ ...o, colour: 'red' }), 'colour', /should not exist/],
    ['an unknown hand-off', (o) => ({ ...o, route: [o.route[0], o.route[1], { ...o.route[2], handoff: 'per_unit' }] }), 'route.2.handoff', /per_step, per_lot/],
  ])('refuses %s with a 400 naming the field and stores nothing', async (_name, change, field, reason) => {
    const [events, summaries] = [await eventCount(), await summaryCount()];
    const response = await call('POST', '/orders', brand1, change(validOrder()), { 'idempotency-key': `bad-${field}-${Math.random()}` });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('validation_failed');
    expect(response.body.message).toContain(field);
    expect(response.body.message).toMatch(reason);
    expect(await eventCount()).toBe(events);
    expect(await summaryCount()).toBe(summaries);
  });

  it('returns the same order for a resubmission with the same Idempotency-Key, and 409 for another body', async () => {
    const before = await eventCount();
    const first = await call('POST', '/orders', brand1, validOrder(), { 'idempotency-key': 'order-2030-001' });
    const again = await call('POST', '/orders', brand1, validOrder(), { 'idempotency-key': 'order-2030-001' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.orderId).toBe(first.body.orderId);
    expect(await eventCount()).toBe(before + 1);
    const changed = await call('POST', '/orders', brand1, { ...validOrder(), quantity: 5 }, { 'idempotency-key': 'order-2030-001' });
    expect(changed.status).toBe(409);
    // The same key from another brand is another request.
    const other = await call('POST', '/orders', brand2, validOrder(), { 'idempotency-key': 'order-2030-001' });
    expect(other.body.orderId).not.toBe(first.body.orderId);
  });

  it('lets an operator submit on behalf of a brand, and refuses a brand naming another brand', async () => {
    const missing = await call('POST', '/orders', operator, validOrder());
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('brandId');
    const onBehalf = await call('POST', '/orders', operator, { ...validOrder(), brandId: 'brand-2' });
    expect(onBehalf.status).toBe(202);
    expect((await call('GET', `/orders/${onBehalf.body.orderId}`, brand2)).body.brandId).toBe('brand-2');
    expect((await call('POST', '/orders', brand1, { ...validOrder(), brandId: 'brand-2' })).status).toBe(403);
  });

  it('cancels an order of the brand, once; a cancelled order stays cancelled', async () => {
    const { body } = await call('POST', '/orders', brand1, validOrder());
    const cancelled = await call('POST', `/orders/${body.orderId}/cancel`, brand1, { reason: 'design changed' });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toEqual({ orderId: body.orderId, status: 'cancelled' });
    expect((await call('POST', `/orders/${body.orderId}/cancel`, brand1, {})).status).toBe(202);
    const view = await call('GET', `/orders/${body.orderId}`, brand1);
    expect(view.body).toMatchObject({ status: 'cancelled', cancelReason: 'design changed' });
    const timeline = await call('GET', `/orders/${body.orderId}/events`, brand1);
    expect(timeline.body.map((e: { type: string }) => e.type)).toEqual(['OrderSubmitted', 'OrderCancelled']);
  });

  it('never answers a malformed body with a 5xx and stores nothing for a refused one (1,000 random bodies)', async () => {
    const valid = validOrder();
    const anything = fc.anything({ maxDepth: 3, withNullPrototype: false });
    const stepArb = fc.record(
      {
        stepId: fc.oneof(fc.constantFrom('body', 'lid', 'assemble', ''), fc.string(), anything),
        process: fc.oneof(fc.constantFrom('cutting', 'assembly', 'alchemy'), anything),
        parameters: anything,
        workContentHoursPerUnit: fc.oneof(fc.double(), fc.integer(), anything),
        inspection: fc.oneof(fc.record({ level: fc.constantFrom('I', 'II', 'X'), aql: fc.double() }), anything),
        dependsOn: fc.oneof(fc.array(fc.constantFrom('body', 'lid', 'assemble', 'ghost')), anything),
      },
      { requiredKeys: [] },
    );
    const bodyArb = fc.oneof(
      { weight: 1, arbitrary: anything },
      {
        weight: 4,
        arbitrary: fc.record(
          {
            sku: fc.oneof(fc.constant(valid.sku), anything),
            productName: fc.oneof(fc.constant(valid.productName), anything),
            quantity: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), fc.double(), anything),
            unit: fc.oneof(fc.constant('pcs'), anything),
            dueDate: fc.oneof(fc.constant(valid.dueDate), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), anything),
            delivery: fc.oneof(fc.constant(valid.delivery), anything),
            route: fc.oneof(fc.constant(valid.route), fc.array(stepArb, { maxLength: 5 }), anything),
            splitPolicy: fc.oneof(fc.constant({}), anything),
            budget: fc.oneof(fc.constant(valid.budget), anything),
            designFiles: anything,
          },
          { requiredKeys: [] },
        ),
      },
    );
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(bodyArb, async (body) => {
        const before = await eventCount();
        const raw = JSON.stringify(body) ?? 'null';
        const response = await call('POST', '/orders', brand1, raw);
        expect(response.status).toBeLessThan(500);
        if (response.status === 202) {
          accepted += 1;
          expect(await eventCount()).toBe(before + 1);
        } else {
          refused += 1;
          expect(response.status).toBe(400);
          expect(await eventCount()).toBe(before);
        }
      }),
      { numRuns: 1000 },
    );
    expect(refused).toBeGreaterThan(500);
    expect(accepted + refused).toBe(1000);
  });
});
