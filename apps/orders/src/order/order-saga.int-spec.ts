/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON read by assertions */
// The order saga fed with contract events from fake 'matching', 'inspection' and 'settlement'
// producer logs (their own schemas on the embedded bus), observed through the orders HTTP API.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer } from '#libs/messaging';
import { PlatformModule, TokenService } from '#libs/platform';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { OrdersModule } from '../orders.module.js';

const secret = 'orders-saga-test-secret-0123456789abcdef';
const schema = uniqueSchema('orders_saga');
const producers = ['matching', 'inspection', 'settlement'] as const;
type Producer = (typeof producers)[number];
const producerSchemas = Object.fromEntries(producers.map((p) => [p, uniqueSchema(`fake_${p}`)])) as Record<Producer, string>;
const NOW = new Date('2030-01-01T00:00:00.000Z');
const price = { amountMinor: 50_000, currency: 'CNY' };

const order = {
  sku: 'CASE-01',
  productName: 'Aluminium case',
  quantity: 100,
  unit: 'pcs',
  dueDate: '2030-03-01T00:00:00.000Z',
  delivery: { lat: 29.87, lng: 121.54 },
  route: [
    { stepId: 'body', process: 'cnc-milling', workContentHoursPerUnit: 0.5, inspection: { level: 'II', aql: 1.0 } },
    { stepId: 'lid', process: 'cnc-milling', workContentHoursPerUnit: 0.2, inspection: { level: 'II', aql: 1.0 } },
    { stepId: 'assemble', process: 'assembly', workContentHoursPerUnit: 0.1, inspection: { level: 'S-2', aql: 2.5 }, dependsOn: ['body', 'lid'] },
  ],
};

describe('order saga over the embedded transport', () => {
  let app: INestApplication;
  let base: string;
  let ordersDb: ServiceDatabase;
  const fakes = {} as Record<Producer, ServiceDatabase>;
  const bus = new EmbeddedEventBus();
  let brand: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${brand}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const publish = async (producer: Producer, streamId: string, type: string, data: object) => {
    await fakes[producer].store.append(streamId, [{ type, data }], { expectedVersion: 'any', metadata: { correlationId: streamId, causationId: `test:${type}` } });
    bus.notify(producer);
  };
  const view = async (orderId: string) => (await call('GET', `/orders/${orderId}`)).body;
  const until = (orderId: string, predicate: (v: any) => boolean, message: string) =>
    waitFor(async () => {
      const v = await view(orderId);
      return predicate(v) ? v : null;
    }, { timeoutMs: 20_000, message });
  const published = async (orderId: string) => (await ordersDb.store.readStream(`order-${orderId}`)).map((e) => e.type);
  const submit = async () => {
    const response = await call('POST', '/orders', order);
    expect(response.status).toBe(202);
    return response.body.orderId as string;
  };
  const facts = (orderId: string, subtaskId: string, stepId: string, quantity = 100) => ({ subtaskId, orderId, brandId: 'brand-1', stepId, process: 'cnc-milling', workshopId: 'ws-1', quantity, price });
  const planned = (subtaskId: string, stepId: string, quantity = 100) => ({ subtaskId, stepId, workshopId: 'ws-1', quantity, plannedStart: '2030-01-02T00:00:00.000Z', plannedEnd: '2030-01-10T00:00:00.000Z', price });
  const inspection = (orderId: string, subtaskId: string, stepId: string, lotSize: number) => ({
    inspectionLotId: `il-${randomUUID()}`,
    subtaskId,
    orderId,
    brandId: 'brand-1',
    stepId,
    process: 'cnc-milling',
    workshopId: 'ws-1',
    lotSize,
    sampleSize: 13,
    severity: 'normal',
  });

  beforeAll(async () => {
    for (const p of producers) {
      fakes[p] = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: producerSchemas[p], poolSize: 2 });
      bus.register(p, fakes[p].log);
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'orders', config: { PORT: 0, MESHFAB_JWT_SECRET: secret, LOG_LEVEL: 'error' } }),
        OrdersModule.forRoot({ databaseUrl: testDatabaseUrl(), jwtSecret: secret, env: { MESHFAB_ORDERS_SCHEMA: schema }, clock: () => NOW, poolSize: 4 }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    ordersDb = app.get(ServiceDatabase);
    const strategy = new EmbeddedEventConsumer({ consumer: 'orders', producers, database: ordersDb, bus, pollIntervalMs: 20, retry: { maxAttempts: 2, initialBackoffMs: 10 } });
    app.connectMicroservice({ strategy }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    brand = await new TokenService(secret).issue({ sub: 'brand-1', role: 'brand' });
  });

  afterAll(async () => {
    await app?.close();
    for (const p of producers) await fakes[p]?.close();
    await dropSchema(testDatabaseUrl(), schema);
    for (const p of producers) await dropSchema(testDatabaseUrl(), producerSchemas[p]);
  });

  it('drives an order through planned → released → passed → completed, publishing releases and completion', async () => {
    const orderId = await submit();
    await publish('matching', `plan-${orderId}`, 'OrderPlanned', {
      orderId,
      brandId: 'brand-1',
      lots: [planned('st-body-1', 'body', 60), planned('st-body-2', 'body', 40), planned('st-lid', 'lid'), planned('st-asm', 'assemble')],
      plannedCompletion: '2030-02-01T00:00:00.000Z',
    });
    let v = await until(orderId, (x) => x.status === 'planning' && x.steps[0].status === 'released', 'order planned and root steps released');
    expect(v.steps.map((s: any) => s.status)).toEqual(['released', 'released', 'waiting']);
    expect(v.lots).toHaveLength(4);

    await publish('matching', 'st-lid', 'SubtaskAccepted', { ...facts(orderId, 'st-lid', 'lid'), acceptedAt: '2030-01-01T01:00:00.000Z', plannedEnd: '2030-01-10T00:00:00.000Z' });
    await publish('matching', 'st-lid', 'SubtaskStarted', { ...facts(orderId, 'st-lid', 'lid'), startedAt: '2030-01-02T00:00:00.000Z' });
    await until(orderId, (x) => x.status === 'in_production', 'order in production');
    await publish('matching', 'st-lid', 'SubtaskCompleted', {
      ...facts(orderId, 'st-lid', 'lid'),
      goodQuantity: 100,
      scrapQuantity: 3,
      completedAt: '2030-01-05T00:00:00.000Z',
      dueAt: '2030-01-10T00:00:00.000Z',
      inspection: { level: 'II', aql: 1.0 },
    });
    await publish('inspection', 'il-lid', 'InspectionPassed', { ...inspection(orderId, 'st-lid', 'lid', 100), passedQuantity: 100, inspectedAt: '2030-01-06T00:00:00.000Z' });
    // Body: the first lot fails and is reworked, then both lots pass (60 + 40 = 100).
    await publish('inspection', 'il-body-1a', 'InspectionFailed', { ...inspection(orderId, 'st-body-1', 'body', 60), criticalDefects: 0, majorDefects: 5, minorDefects: 2, disposition: 'rework', inspectedAt: '2030-01-06T00:00:00.000Z' });
    await publish('inspection', 'il-body-2', 'InspectionPassed', { ...inspection(orderId, 'st-body-2', 'body', 40), passedQuantity: 40, inspectedAt: '2030-01-06T00:00:00.000Z' });
    v = await until(orderId, (x) => x.steps[0].passedQuantity === 40 && x.steps[0].failedQuantity === 60, 'partial body quantity recorded');
    expect(v.steps[2].status).toBe('waiting');
    expect(v.lots.find((l: any) => l.subtaskId === 'st-body-1').status).toBe('rework');
    expect(v.steps[1]).toMatchObject({ status: 'passed', goodQuantity: 100, scrapQuantity: 3, passedQuantity: 100 });

    await publish('inspection', 'il-body-1b', 'InspectionPassed', { ...inspection(orderId, 'st-body-1', 'body', 60), passedQuantity: 60, inspectedAt: '2030-01-08T00:00:00.000Z' });
    v = await until(orderId, (x) => x.steps[2].status === 'released', 'assembly released');
    await publish('inspection', 'il-asm', 'InspectionPassed', { ...inspection(orderId, 'st-asm', 'assemble', 100), passedQuantity: 100, inspectedAt: '2030-01-12T00:00:00.000Z' });
    v = await until(orderId, (x) => x.status === 'completed', 'order completed');
    expect(v.completedAt).toBe('2030-01-12T00:00:00.000Z');

    const types = await published(orderId);
    expect(types.filter((t) => t === 'StepReleased')).toHaveLength(3);
    expect(types[types.length - 1]).toBe('OrderCompleted');
    const completed = (await ordersDb.store.readStream(`order-${orderId}`)).find((e) => e.type === 'OrderCompleted')!;
    expect(completed.data).toEqual({ orderId, brandId: 'brand-1', completedAt: '2030-01-12T00:00:00.000Z' });
    // The timeline names the other service's event that caused each step.
    const timeline = (await call('GET', `/orders/${orderId}/events`)).body;
    expect(timeline.find((e: any) => e.type === 'PlanRecorded').causationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('waits for funds on FundsShort, returns on EscrowFunded, and is cancelled by its brand mid-production', async () => {
    const orderId = await submit();
    await publish('matching', `plan-${orderId}`, 'OrderPlanned', { orderId, brandId: 'brand-1', lots: [planned('f-body', 'body'), planned('f-lid', 'lid')], plannedCompletion: '2030-02-01T00:00:00.000Z' });
    await publish('matching', 'f-body', 'SubtaskStarted', { ...facts(orderId, 'f-body', 'body'), startedAt: '2030-01-02T00:00:00.000Z' });
    await until(orderId, (x) => x.status === 'in_production', 'in production');
    await publish('settlement', `escrow-${orderId}`, 'FundsShort', { orderId, subtaskId: 'f-lid', brandId: 'brand-1', required: price, available: { amountMinor: 100, currency: 'CNY' } });
    await until(orderId, (x) => x.status === 'awaiting_funds', 'awaiting funds');
    await publish('settlement', `escrow-${orderId}`, 'EscrowFunded', { orderId, subtaskId: 'f-lid', brandId: 'brand-1', amount: price });
    await until(orderId, (x) => x.status === 'in_production', 'back in production once funded');

    const cancelled = await call('POST', `/orders/${orderId}/cancel`, { reason: 'season over' });
    expect(cancelled.body.status).toBe('cancelled');
    await publish('matching', 'f-body', 'SubtaskCancelled', { ...facts(orderId, 'f-body', 'body'), reason: 'order cancelled' });
    const v = await until(orderId, (x) => x.lots.find((l: any) => l.subtaskId === 'f-body')?.status === 'cancelled', 'lot cancelled');
    expect(v.status).toBe('cancelled');
    const events = await ordersDb.store.readStream(`order-${orderId}`);
    expect(events.find((e) => e.type === 'OrderCancelled')!.data).toMatchObject({ orderId, brandId: 'brand-1', reason: 'season over', cancelledBy: 'brand-1' });
    expect(await ordersDb.deadLetters.list()).toEqual([]);
  });
});
