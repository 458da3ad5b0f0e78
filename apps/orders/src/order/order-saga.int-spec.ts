/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON read by assertions */
// The order saga fed with contract events from fake 'matching', 'inspection' and 'settlement'
// producer logs (their own schemas on the embedded bus), observed through the orders HTTP API.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { assertContract } from '#libs/contracts';
import { rebuildProjection, ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer } from '#libs/messaging';
import { dropSchema, testDatabaseUrl, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { compileOrders } from '../../../../test/support/orders-testing-module.js';
import { OrderSummaryProjection } from './order-summary.projection.js';

const secret = 'orders-saga-test-secret-0123456789abcdef';
const schema = uniqueSchema('orders_saga');
const producers = ['matching', 'inspection', 'settlement', 'registry'] as const;
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
  const tokens = testTokens(secret);

  const call = async (method: string, path: string, body?: unknown, token = brand) => {
    const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
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
    const moduleRef = await compileOrders({ schema, secret, now: NOW });
    app = moduleRef.createNestApplication({ logger: false });
    ordersDb = app.get(ServiceDatabase);
    const strategy = new EmbeddedEventConsumer({ consumer: 'orders', producers, database: ordersDb, bus, pollIntervalMs: 20, retry: { maxAttempts: 2, initialBackoffMs: 10 } });
    app.connectMicroservice({ strategy }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    brand = await tokens.issue({ sub: 'brand-1', role: 'brand' });
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

  it('shows a workshop only the work of the steps it holds a lot of, and 404 to everyone else', async () => {
    const as = async (sub: string, role: 'workshop' | 'brand' | 'operator' | 'inspector') => tokens.issue({ sub, role });
    const [wsA, wsB, wsC, wsD, stranger, otherBrand, operator, inspector] = await Promise.all([
      as('ws-a', 'workshop'),
      as('ws-b', 'workshop'),
      as('ws-c', 'workshop'),
      as('ws-d', 'workshop'),
      as('ws-stranger', 'workshop'),
      as('brand-2', 'brand'),
      as('op-1', 'operator'),
      as('inspector-1', 'inspector'),
    ]);
    await publish('registry', 'brand-brand-1', 'BrandRegistered', { brandId: 'brand-1', name: 'Lumen Apparel' });
    const response = await call('POST', '/orders', {
      ...order,
      designFiles: ['s3://lumen/case-01.step'],
      delivery: { lat: 29.87, lng: 121.54, region: 'Zhejiang', city: 'Ningbo' },
      route: [
        { ...order.route[0], parameters: { material: 'AL6061', finish: 'bead-blast' } },
        { ...order.route[1], parameters: { material: 'AL5052-secret' } },
        order.route[2],
      ],
      budget: { amountMinor: 7_777_777, currency: 'CNY' },
    });
    const orderId = response.body.orderId as string;
    const lotAt = (subtaskId: string, stepId: string, workshopId: string, quantity: number) => ({ ...planned(subtaskId, stepId, quantity), workshopId, price: { amountMinor: 424_242, currency: 'CNY' } });
    await publish('matching', `plan-${orderId}`, 'OrderPlanned', {
      orderId,
      brandId: 'brand-1',
      lots: [lotAt('w-body-1', 'body', 'ws-a', 70), lotAt('w-body-2', 'body', 'ws-b', 30), lotAt('w-lid', 'lid', 'ws-b', 100), lotAt('w-asm', 'assemble', 'ws-c', 100)],
      plannedCompletion: '2030-02-01T00:00:00.000Z',
    });
    await until(orderId, (x) => x.lots.length === 4, 'plan recorded');
    const work = (stepId: string, token: string) => call('GET', `/orders/${orderId}/steps/${stepId}/work`, undefined, token);
    const named = await waitFor(async () => {
      const r = await work('body', wsA);
      return r.body?.brand?.displayName ? r : null;
    }, { timeoutMs: 20_000, message: 'the brand’s display name from the registry' });

    expect(named.status).toBe(200);
    expect(named.body).toEqual({
      orderId,
      stepId: 'body',
      product: { sku: 'CASE-01', name: 'Aluminium case', unit: 'pcs' },
      brand: { displayName: 'Lumen Apparel' },
      step: { process: 'cnc-milling', parameters: { material: 'AL6061', finish: 'bead-blast' }, workContentHoursPerUnit: 0.5, inspection: { level: 'II', aql: 1.0 }, final: false, handoff: 'per_step', status: 'released', releasedAt: expect.any(String) },
      quantity: 70,
      designFiles: ['s3://lumen/case-01.step'],
      lots: [expect.objectContaining({ subtaskId: 'w-body-1', workshopId: 'ws-a', status: 'planned', quantity: 70 })],
    });
    const text = JSON.stringify(named.body);
    for (const withheld of ['ws-b', 'ws-c', 'w-lid', 'AL5052-secret', '424242', '7777777', 'brand-1', 'Ningbo', 'Zhejiang']) expect(text).not.toContain(withheld);

    // ws-b holds a body lot and the lid; the assembly's workshop gets the delivery location (a final step).
    expect((await work('body', wsB)).body).toMatchObject({ quantity: 30, lots: [{ subtaskId: 'w-body-2' }] });
    expect((await work('lid', wsB)).body).toMatchObject({ quantity: 100, step: { parameters: { material: 'AL5052-secret' } } });
    expect((await work('lid', wsB)).body).not.toHaveProperty('delivery');
    expect((await work('assemble', wsC)).body).toMatchObject({ step: { final: true, status: 'waiting' }, delivery: { lat: 29.87, lng: 121.54, region: 'Zhejiang', city: 'Ningbo' } });

    // Any other workshop, step or caller: the 404 of a missing order (an inspector may not ask at all).
    for (const [stepId, token] of [['lid', wsA], ['assemble', wsA], ['body', wsC], ['body', stranger], ['nope', wsA], ['body', otherBrand]] as const) {
      const denied = await work(stepId, token);
      expect([stepId, denied.status, denied.body.error]).toEqual([stepId, 404, 'order_not_found']);
    }
    expect((await call('GET', `/orders/no-such-order/steps/body/work`, undefined, wsA)).body.error).toBe('order_not_found');
    expect((await work('body', inspector)).status).toBe(403);
    // The owner brand and operators see every held lot of the step.
    expect((await work('body', brand)).body).toMatchObject({ quantity: 100, lots: [{ workshopId: 'ws-a' }, { workshopId: 'ws-b' }] });
    expect((await work('body', operator)).status).toBe(200);
    expect((await work('nope', brand)).body.error).toBe('step_not_found');

    // ws-b declines its body lot: it loses that step; matching re-plans the lot and offers it to ws-d.
    await publish('matching', 'w-body-2', 'SubtaskDeclined', { ...facts(orderId, 'w-body-2', 'body', 30), workshopId: 'ws-b', reason: 'machine down' });
    await publish('matching', 'w-body-3', 'SubtaskOffered', {
      ...facts(orderId, 'w-body-3', 'body', 30),
      workshopId: 'ws-d',
      expiresAt: '2030-01-02T00:00:00.000Z',
      plannedStart: '2030-01-03T00:00:00.000Z',
      plannedEnd: '2030-01-09T00:00:00.000Z',
    });
    const offered = await waitFor(async () => {
      const r = await work('body', wsD);
      return r.status === 200 ? r : null;
    }, { timeoutMs: 20_000, message: 'the re-planned lot visible to its new workshop' });
    expect(offered.body).toMatchObject({ quantity: 30, lots: [{ subtaskId: 'w-body-3', workshopId: 'ws-d', status: 'planned', plannedStart: '2030-01-03T00:00:00.000Z' }] });
    await waitFor(async () => ((await work('body', wsB)).status === 404 ? true : null), { timeoutMs: 20_000, message: 'the declined lot no longer held by ws-b' });
    expect((await work('lid', wsB)).status).toBe(200);
    expect((await ordersDb.store.readStream(`order-${orderId}`)).filter((e) => e.type === 'LotOffered').map((e) => e.data.subtaskId)).toEqual(['w-body-3']);
    expect(await ordersDb.deadLetters.list()).toEqual([]);
  });

  it('hands off per lot where the route step allows it: LotReleased for what passed upstream, then StepReleased', async () => {
    const response = await call('POST', '/orders', { ...order, route: [order.route[0], order.route[1], { ...order.route[2], handoff: 'per_lot' }] });
    expect(response.status).toBe(202);
    const orderId = response.body.orderId as string;
    const asm = (subtaskId: string, quantity: number, plannedStart: string) => ({ ...planned(subtaskId, 'assemble', quantity), workshopId: 'ws-asm', plannedStart });
    await publish('matching', `plan-${orderId}`, 'OrderPlanned', {
      orderId,
      brandId: 'brand-1',
      lots: [planned('h-body', 'body'), planned('h-lid', 'lid'), asm('h-asm-1', 40, '2030-01-05T00:00:00.000Z'), asm('h-asm-2', 60, '2030-01-06T00:00:00.000Z')],
      plannedCompletion: '2030-02-01T00:00:00.000Z',
    });
    await until(orderId, (x) => x.lots.length === 4, 'plan recorded');
    // 45 of the body and all of the lid passed: 45 complete sets, enough for the first assembly lot (40).
    await publish('inspection', 'h-il-body-1', 'InspectionPassed', { ...inspection(orderId, 'h-body', 'body', 45), passedQuantity: 45, inspectedAt: '2030-01-04T00:00:00.000Z' });
    await until(orderId, (x) => x.steps[0].passedQuantity === 45, 'the first body quantity passed');
    await publish('inspection', 'h-il-lid', 'InspectionPassed', { ...inspection(orderId, 'h-lid', 'lid', 100), passedQuantity: 100, inspectedAt: '2030-01-04T12:00:00.000Z' });
    const partly = await until(orderId, (x) => x.steps[2].releasedQuantity === 40, 'the first assembly lot released');
    expect(partly.steps[2]).toMatchObject({ stepId: 'assemble', handoff: 'per_lot', status: 'waiting', releasedQuantity: 40 });
    expect(partly.steps[0].releasedQuantity).toBe(100);
    expect(partly.lots.find((l: any) => l.subtaskId === 'h-asm-1').releasedAt).toBe('2030-01-04T12:00:00.000Z');
    expect(partly.lots.find((l: any) => l.subtaskId === 'h-asm-2').releasedAt).toBeUndefined();
    const asmWork = (await call('GET', `/orders/${orderId}/steps/assemble/work`, undefined, await tokens.issue({ sub: 'ws-asm', role: 'workshop' }))).body;
    expect(asmWork.step).toMatchObject({ handoff: 'per_lot', status: 'waiting' });
    expect(asmWork.lots.map((l: any) => [l.subtaskId, l.releasedAt ?? null])).toEqual([
      ['h-asm-1', '2030-01-04T12:00:00.000Z'],
      ['h-asm-2', null],
    ]);

    const stream = await ordersDb.store.readStream(`order-${orderId}`);
    const lotReleases = stream.filter((e) => e.type === 'LotReleased');
    expect(lotReleases.map((e) => e.data)).toEqual([{ orderId, stepId: 'assemble', subtaskId: 'h-asm-1', workshopId: 'ws-asm', quantity: 40, releasedAt: '2030-01-04T12:00:00.000Z' }]);
    expect(() => assertContract('LotReleased', lotReleases[0].data)).not.toThrow();
    expect(stream.filter((e) => e.type === 'StepReleased').map((e) => e.data.stepId)).toEqual(['body', 'lid']);

    await publish('inspection', 'h-il-body-2', 'InspectionPassed', { ...inspection(orderId, 'h-body', 'body', 55), passedQuantity: 55, inspectedAt: '2030-01-05T00:00:00.000Z' });
    const whole = await until(orderId, (x) => x.steps[2].status === 'released', 'the whole assembly step released');
    expect(whole.steps[2].releasedQuantity).toBe(100);
    const after = await ordersDb.store.readStream(`order-${orderId}`);
    expect(after.filter((e) => e.type === 'LotReleased')).toHaveLength(1);
    expect(after.filter((e) => e.type === 'StepReleased').map((e) => e.data.stepId)).toEqual(['body', 'lid', 'assemble']);
    expect(await ordersDb.deadLetters.list()).toEqual([]);
  });
  it('decides an order command on the state its handler committed last and writes the order summary from the state it folded (no read of the stream), the same rows a rebuild from the streams writes', async () => {
    const orderId = await submit();
    await publish('matching', `plan-${orderId}`, 'OrderPlanned', { orderId, brandId: 'brand-1', lots: [planned('st-r-body', 'body'), planned('st-r-lid', 'lid'), planned('st-r-asm', 'assemble')], plannedCompletion: '2030-02-01T00:00:00.000Z' });
    await until(orderId, (x) => x.steps[0].status === 'released', 'order planned');
    // One event that makes one command on the order (LotAccepted): the handler starts from the state it
    // committed last (its stream state cache), and the summary is written from the state it folded. Before
    // either, this command read the order's stream twice (the load, then the summary's rebuild).
    const reads: string[] = [];
    const readStream = ordersDb.store.readStream.bind(ordersDb.store);
    ordersDb.store.readStream = (streamId, options) => {
      if (options?.manager) reads.push(streamId);
      return readStream(streamId, options);
    };
    try {
      await publish('matching', 'st-r-lid', 'SubtaskAccepted', { ...facts(orderId, 'st-r-lid', 'lid'), acceptedAt: '2030-01-01T01:00:00.000Z', plannedEnd: '2030-01-10T00:00:00.000Z' });
      await until(orderId, (x) => x.lots.find((l: any) => l.subtaskId === 'st-r-lid')?.status === 'accepted', 'lot accepted');
    } finally {
      ordersDb.store.readStream = readStream;
    }
    expect(reads.filter((id) => id === `order-${orderId}`)).toEqual([]);
    const rows = () => ordersDb.dataSource.query(`SELECT order_id, brand_id, status, version, view FROM "${schema}".order_summary ORDER BY order_id`);
    const before = await rows();
    expect(before.length).toBeGreaterThan(1);
    await rebuildProjection(ordersDb.dataSource, ordersDb.log, new OrderSummaryProjection(ordersDb.store, ordersDb.dataSource, schema));
    expect(await rows()).toEqual(before);
  });

  it("records a batch's events of one order in one inbox transaction on one lock of the order and without reading its stream", async () => {
    const orderId = await submit();
    await publish('matching', `plan-${orderId}`, 'OrderPlanned', { orderId, brandId: 'brand-1', lots: [planned('st-m-body', 'body'), planned('st-m-lid', 'lid'), planned('st-m-asm', 'assemble')], plannedCompletion: '2030-02-01T00:00:00.000Z' });
    await until(orderId, (x) => x.steps[0].status === 'released', 'order planned');
    const reads: string[] = [];
    const locks: string[] = [];
    const readStream = ordersDb.store.readStream.bind(ordersDb.store);
    ordersDb.store.readStream = (streamId, options) => {
      if (options?.manager) reads.push(streamId);
      return readStream(streamId, options);
    };
    const runner = Object.getPrototypeOf(ordersDb.dataSource.createQueryRunner()) as { query: (text: string, params?: unknown[]) => Promise<unknown> };
    const query = runner.query;
    runner.query = function (this: unknown, text: string, params?: unknown[]) {
      if (text.includes('pg_advisory_xact_lock') && JSON.stringify(params ?? []).includes(orderId)) locks.push(text);
      return query.call(this, text, params);
    };
    try {
      // Two acceptances committed together: the consumer hands them over in one batch, one transaction.
      const accepted = (subtaskId: string, stepId: string) => ({ type: 'SubtaskAccepted', data: { ...facts(orderId, subtaskId, stepId), acceptedAt: '2030-01-01T01:00:00.000Z', plannedEnd: '2030-01-10T00:00:00.000Z' } });
      await fakes.matching.store.append(`accepted-${orderId}`, [accepted('st-m-body', 'body'), accepted('st-m-lid', 'lid')], { expectedVersion: 'any', metadata: { correlationId: orderId, causationId: 'test:batch' } });
      bus.notify('matching');
      await until(orderId, (x) => x.lots.filter((l: any) => l.status === 'accepted').length === 2, 'both lots accepted');
    } finally {
      ordersDb.store.readStream = readStream;
      runner.query = query;
    }
    expect(reads.filter((id) => id === `order-${orderId}`)).toEqual([]);
    expect(locks).toHaveLength(1);
    expect((await published(orderId)).filter((t) => t === 'LotAccepted')).toHaveLength(2);
  });
});
