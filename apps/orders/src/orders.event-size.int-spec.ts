// The largest event a service accepts (MAX_EVENT_BYTES) at the orders API: the largest order of
// ASCII parameters goes through; one that passes every route limit in characters but weighs more
// than MAX_EVENT_BYTES in bytes (multi-byte characters) is refused with 422 event_too_large, and
// nothing is stored.
import type { INestApplication } from '@nestjs/common';
import { MAX_EVENT_BYTES, ServiceDatabase } from '#libs/eventsourcing';
import { configureHttpApp } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testTokens, uniqueSchema } from '#libs/testing';
import { compileOrders } from '../../../test/support/orders-testing-module.js';

const secret = 'orders-event-size-secret-0123456789abcdef';
const schema = uniqueSchema('orders_event_size');
const NOW = new Date('2030-01-01T00:00:00.000Z');

/** 50 steps (the route limit), each with parameters of 4 090 characters of JSON (the limit is 4 096). */
const orderWithParameters = (char: string) => ({
  sku: 'CASE-01',
  productName: 'Aluminium case',
  quantity: 100,
  unit: 'pcs',
  dueDate: '2030-03-01T00:00:00.000Z',
  delivery: { lat: 29.87, lng: 121.54, city: 'Ningbo' },
  route: Array.from({ length: 50 }, (_, n) => ({
    stepId: `step-${n}`,
    process: 'cnc-milling',
    parameters: { notes: char.repeat(4076) },
    workContentHoursPerUnit: 0.01,
    inspection: { level: 'II', aql: 1.0 },
  })),
});

describe('orders API and the largest event', () => {
  let app: INestApplication;
  let base: string;
  let db: ServiceDatabase;
  let brand: string;

  const submit = async (body: unknown) => {
    const response = await fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${brand}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error: string; details: { bytes: number } } };
  };
  const eventCount = async (): Promise<number> => (await db.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${schema}".events`))[0].n;

  beforeAll(async () => {
    const moduleRef = await compileOrders({ schema, secret, now: NOW });
    // As main.ts does: the request edge with the default body limit (1 MiB), not Express's 100 KB.
    app = configureHttpApp(moduleRef.createNestApplication({ logger: false, bodyParser: false }), { openApi: false, shutdownHooks: false });
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    db = app.get(ServiceDatabase);
    brand = await testTokens(secret).issue({ sub: 'brand-1', role: 'brand' });
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('accepts the largest order of ASCII parameters (about 200 KB)', async () => {
    const accepted = await submit(orderWithParameters('x'));
    expect(accepted.status).toBe(202);
    expect(await eventCount()).toBe(1);
  });

  it('refuses with 422 event_too_large an order whose event would weigh more than the limit, storing nothing', async () => {
    const before = await eventCount();
    // The same characters count, three bytes each in UTF-8: about 610 KB.
    const refused = await submit(orderWithParameters('€'));
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      error: 'event_too_large',
      message: expect.stringContaining(`more than the ${MAX_EVENT_BYTES} bytes an event may have`),
      details: { type: 'OrderSubmitted', bytes: expect.any(Number), limit: MAX_EVENT_BYTES },
    });
    expect(refused.body.details.bytes).toBeGreaterThan(MAX_EVENT_BYTES);
    expect(await eventCount()).toBe(before);
  });
});
