/* eslint-disable @typescript-eslint/no-unsafe-return -- JSON bodies of HTTP answers and events are asserted field by field. */
// Matching over HTTP and events: fake registry/orders/inspection/settlement producers on an embedded bus feed
// the real consumer; workshops use the real HTTP API with real tokens; PostgreSQL is real.
import type { ServiceDatabase } from '#libs/eventsourcing';
import { uniqueSchema, waitFor } from '#libs/testing';
import { MatchingUnderTest } from '../../../test/support/matching-under-test.js';

const secret = 'matching-int-spec-secret-0123456789abcdef';
const schema = uniqueSchema('matching_http');
const producerSchemas = {
  registry: uniqueSchema('fake_registry'),
  orders: uniqueSchema('fake_orders'),
  inspection: uniqueSchema('fake_inspection'),
  settlement: uniqueSchema('fake_settlement'),
};
let now = new Date('2030-01-01T08:00:00Z');

describe('matching service over HTTP and events', () => {
  const matching = new MatchingUnderTest({
    schema,
    producerSchemas,
    secret,
    clock: () => now,
    env: { MATCHING_EXPIRY_SWEEP_MS: '100', MATCHING_RETRY_SWEEP_MS: '200' },
  });
  const { emit, call } = matching;
  let db: ServiceDatabase;

  const events = async (type?: string): Promise<{ type: string; data: Record<string, any> }[]> =>
    db.dataSource.query(`SELECT type, data FROM "${schema}".events ${type ? 'WHERE type = $1' : ''} ORDER BY global_position`, type ? [type] : []);
  /** Waits until at least `n` events of `type` are in matching's store. */
  const atLeast = (type: string, n = 1) => waitFor(async () => {
    const rows = await events(type);
    return rows.length >= n ? rows : null;
  }, { message: `${n} × ${type}` });
  const ws = (sub: string) => ({ sub, role: 'workshop' as const });
  const joinWorkshop = async (id: string, process: string, priceMinor: number, lat: number, capacity = { from: '2030-01-02', until: '2030-01-31' }) => {
    await emit('registry', `workshop-${id}`, 'WorkshopRegistered', { workshopId: id, name: id, location: { lat, lng: 120 }, certifications: [] });
    await emit('registry', `workshop-${id}`, 'WorkshopCapabilitiesChanged', {
      workshopId: id,
      capabilities: [{ process, parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: priceMinor, currency: 'CNY' } }],
    });
    await emit('registry', `workshop-${id}`, 'CapacityDeclared', { workshopId: id, process, hoursPerDay: 8, ...capacity, exceptions: [] });
  };
  /** An order of one step, due on `dueDate`, delivered next to the workshops. */
  const oneStepOrder = (orderId: string, step: { stepId: string; process: string; hoursPerUnit: number }, quantity: number, dueDate: string) => ({
    orderId,
    brandId: 'b-1',
    sku: `SKU-${step.stepId}`,
    productName: `${step.process} work`,
    quantity,
    unit: 'pcs',
    dueDate,
    delivery: { lat: 30, lng: 120 },
    route: [{ stepId: step.stepId, process: step.process, parameters: {}, workContentHoursPerUnit: step.hoursPerUnit, inspection: { level: 'II', aql: 1 }, dependsOn: [] }],
    splitPolicy: {},
    submittedAt: now.toISOString(),
  });

  beforeAll(async () => {
    await matching.start();
    db = matching.db;
  });

  afterAll(() => matching.close());

  it('plans an order, takes accept/decline/expiry/rework/cancel, and never leaks offers', async () => {
    await joinWorkshop('ws-cut', 'cutting', 50, 30);
    await joinWorkshop('ws-a', 'sewing', 100, 30.01);
    await joinWorkshop('ws-b', 'sewing', 120, 30.02);
    await waitFor(async () => (await db.dataSource.query(`SELECT DISTINCT workshop_id FROM "${schema}".capacity_days`)).length === 3, { message: 'network view has 3 workshops' });

    await emit('orders', 'order-o-1', 'OrderSubmitted', {
      orderId: 'o-1',
      brandId: 'b-1',
      sku: 'TS-1',
      productName: 'T-shirt',
      quantity: 100,
      unit: 'pcs',
      dueDate: '2030-01-20T00:00:00.000Z',
      delivery: { lat: 30, lng: 120 },
      route: [
        { stepId: 'cut', process: 'cutting', parameters: {}, workContentHoursPerUnit: 0.05, inspection: { level: 'II', aql: 1.5 }, dependsOn: [] },
        { stepId: 'sew', process: 'sewing', parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: ['cut'] },
      ],
      splitPolicy: {},
      submittedAt: now.toISOString(),
    });
    const [planned] = await atLeast('OrderPlanned');
    expect(planned.data.lots.map((l: any) => [l.stepId, l.workshopId, l.quantity, l.price.amountMinor])).toEqual([
      ['cut', 'ws-cut', 100, 5000],
      ['sew', 'ws-a', 100, 10000],
    ]);
    const offered = await events('SubtaskOffered');
    expect(offered).toHaveLength(2);
    expect(offered[0].data.expiresAt).toBe('2030-01-02T08:00:00.000Z'); // default 24 h
    const cutId: string = planned.data.lots[0].subtaskId;
    const sewId: string = planned.data.lots[1].subtaskId;

    // Each workshop sees only its own offers; someone else's offer is a 404; roles are enforced.
    const mine = await call('GET', '/matching/offers', ws('ws-a'));
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ hasMore: false, nextCursor: null });
    expect(mine.body.items.map((o: any) => o.subtaskId)).toEqual([sewId]);
    expect(mine.body.items[0].explanation.candidates.map((c: any) => c.workshopId)).toEqual(['ws-a']);
    expect((await call('GET', '/matching/offers', ws('ws-b'))).body.items).toEqual([]);
    expect((await call('POST', `/matching/offers/${sewId}/accept`, ws('ws-b'))).status).toBe(404);
    expect((await call('POST', `/matching/offers/${sewId}/accept`, { sub: 'b-1', role: 'brand' })).status).toBe(403);
    expect((await call('GET', '/matching/orders/o-1/plan', { sub: 'b-2', role: 'brand' })).status).toBe(404);
    const plan = await call('GET', '/matching/orders/o-1/plan', { sub: 'b-1', role: 'brand' });
    expect(plan.status).toBe(200);
    expect(plan.body.status).toBe('planned');
    const sewLot = plan.body.lots.find((l: any) => l.stepId === 'sew');
    expect(sewLot.explanation.binding).toBe('cost');
    expect(sewLot.explanation.candidates.map((c: any) => [c.workshopId, c.outcome])).toEqual([
      ['ws-a', 'chosen'],
      ['ws-b', 'higher_score'],
    ]);

    // Accept makes the reservation firm.
    const accepted = await call('POST', `/matching/offers/${cutId}/accept`, ws('ws-cut'));
    expect(accepted).toMatchObject({ status: 200, body: { status: 'accepted' } });
    expect(await db.dataSource.query(`SELECT DISTINCT status FROM "${schema}".reservations WHERE subtask_id = $1`, [cutId])).toEqual([{ status: 'firm' }]);

    // Decline releases and re-plans that lot elsewhere.
    expect((await call('POST', `/matching/offers/${sewId}/decline`, ws('ws-a'), {})).status).toBe(400);
    const declined = await call('POST', `/matching/offers/${sewId}/decline`, ws('ws-a'), { reason: 'machine down' });
    expect(declined).toMatchObject({ status: 200, body: { status: 'declined' } });
    const [replanned] = await events('LotReplanned');
    expect(replanned.data).toMatchObject({ stepId: 'sew', replacedSubtaskId: sewId, quantity: 100, lots: [{ workshopId: 'ws-b', quantity: 100 }] });
    const sewIdB: string = replanned.data.lots[0].subtaskId;
    expect(await db.dataSource.query(`SELECT DISTINCT status FROM "${schema}".reservations WHERE subtask_id = $1`, [sewId])).toEqual([{ status: 'released' }]);

    // Start only after the orders service released the step; then complete with the step's inspection spec.
    const early = await call('POST', `/matching/subtasks/${cutId}/start`, ws('ws-cut'));
    expect(early.status).toBe(422);
    expect(early.body.code ?? JSON.stringify(early.body)).toContain('inputs_not_released');
    await emit('orders', 'order-o-1', 'StepReleased', { orderId: 'o-1', stepId: 'cut' });
    // Released but not funded: the brand's funds were short when the workshop accepted.
    await waitFor(async () => (await db.dataSource.query(`SELECT 1 FROM "${schema}".released_steps WHERE order_id = 'o-1' AND step_id = 'cut'`)).length > 0, { message: 'cut released' });
    const unfunded = await call('POST', `/matching/subtasks/${cutId}/start`, ws('ws-cut'));
    expect(unfunded).toMatchObject({ status: 422, body: { error: 'lot_not_funded' } });
    expect(unfunded.body.message).toContain(cutId);
    expect((await call('GET', `/matching/subtasks/${cutId}`, ws('ws-cut'))).body).toMatchObject({ status: 'accepted', funded: false });
    await emit('settlement', 'settlement-order-o-1', 'EscrowFunded', { orderId: 'o-1', subtaskId: cutId, brandId: 'brand-1', amount: { amountMinor: 10_000, currency: 'CNY' } });
    await waitFor(async () => (await call('POST', `/matching/subtasks/${cutId}/start`, ws('ws-cut'))).status === 200, { message: 'start after StepReleased and EscrowFunded' });
    expect((await call('GET', `/matching/subtasks/${cutId}`, ws('ws-cut'))).body).toMatchObject({ status: 'started', funded: true });
    expect((await call('POST', `/matching/subtasks/${cutId}/complete`, ws('ws-cut'), { goodQuantity: 100, scrapQuantity: 0 })).status).toBe(200);
    const [completed] = await events('SubtaskCompleted');
    expect(completed.data).toMatchObject({ subtaskId: cutId, goodQuantity: 100, scrapQuantity: 0, dueAt: '2030-01-20T00:00:00.000Z', inspection: { level: 'II', aql: 1.5 }, reworkRound: 0 });

    // Inspection asks for rework: the same subtask can be completed again (round 1).
    await emit('inspection', 'il-1', 'InspectionFailed', {
      inspectionLotId: 'il-1', subtaskId: cutId, orderId: 'o-1', brandId: 'b-1', stepId: 'cut', process: 'cutting', workshopId: 'ws-cut',
      lotSize: 98, sampleSize: 20, severity: 'normal', criticalDefects: 0, majorDefects: 3, minorDefects: 0, disposition: 'rework', inspectedAt: now.toISOString(),
    });
    await waitFor(async () => (await call('GET', `/matching/subtasks/${cutId}`, ws('ws-cut'))).body.status === 'rework', { message: 'rework status' });
    expect((await call('POST', `/matching/subtasks/${cutId}/complete`, ws('ws-cut'), { goodQuantity: 98, scrapQuantity: 0 })).status).toBe(200);
    expect((await events('SubtaskCompleted'))[1].data.reworkRound).toBe(1);

    // ws-b lets its offer expire: the sweeper (clock from the options) expires it; no sewing shop is left,
    // so the lot waits with a reason and is planned when a new shop declares capacity.
    now = new Date('2030-01-02T09:00:00Z');
    await atLeast('SubtaskExpired');
    const failures = await atLeast('OrderPlanningFailed');
    expect(failures[0].data.reason).toMatch(/could not be re-planned: capacity short by 10 hours before the due date for step sew \(sewing\).*every capable workshop is excluded/);
    expect((await call('GET', '/matching/orders/o-1/plan', { sub: 'op', role: 'operator' })).body.waitingLots).toEqual([expect.objectContaining({ stepId: 'sew', quantity: 100 })]);
    await joinWorkshop('ws-d', 'sewing', 130, 30.03);
    const again = await atLeast('LotReplanned', 2);
    expect(again[1].data).toMatchObject({ replacedSubtaskId: sewIdB, lots: [{ workshopId: 'ws-d' }] });
    const sewIdD: string = again[1].data.lots[0].subtaskId;

    // Cancel: open subtasks are cancelled and their capacity released.
    await emit('orders', 'order-o-1', 'OrderCancelled', { orderId: 'o-1', brandId: 'b-1', reason: 'brand changed its mind' });
    const cancelled = await atLeast('SubtaskCancelled');
    expect(cancelled.map((c) => c.data.subtaskId)).toEqual([sewIdD]);
    const open: { reserved: string }[] = await db.dataSource.query(`SELECT coalesce(sum(reserved_min), 0) AS reserved FROM "${schema}".capacity_days WHERE workshop_id IN ('ws-a', 'ws-b', 'ws-d')`);
    expect(Number(open[0].reserved)).toBe(0);
    expect((await call('GET', '/matching/orders/o-1/plan', { sub: 'b-1', role: 'brand' })).body.status).toBe('cancelled');
  });

  it('plans again an order that failed for want of capacity even when no capacity event wakes it', async () => {
    await emit('registry', 'workshop-ws-anod', 'WorkshopRegistered', { workshopId: 'ws-anod', name: 'ws-anod', location: { lat: 30, lng: 120 }, certifications: [] });
    await emit('registry', 'workshop-ws-anod', 'WorkshopCapabilitiesChanged', {
      workshopId: 'ws-anod',
      capabilities: [{ process: 'anodizing', parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 80, currency: 'CNY' } }],
    });
    await waitFor(async () => (await db.dataSource.query(`SELECT 1 FROM "${schema}".capabilities WHERE workshop_id = 'ws-anod'`)).length > 0, { message: 'capability known' });
    await emit('orders', 'order-o-sweep', 'OrderSubmitted', {
      orderId: 'o-sweep',
      brandId: 'b-1',
      sku: 'BRK-1',
      productName: 'Bracket',
      quantity: 20,
      unit: 'pcs',
      dueDate: '2030-01-25T00:00:00.000Z',
      delivery: { lat: 30, lng: 120 },
      route: [{ stepId: 'anodize', process: 'anodizing', parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: [] }],
      splitPolicy: {},
      submittedAt: now.toISOString(),
    });
    await waitFor(async () => ((await events('OrderPlanningFailed')).some((e) => e.data.orderId === 'o-sweep') ? true : null), { message: 'o-sweep failed first' });
    // Capacity that arrived while the order's planning was still in flight: its wake-up was lost.
    await db.dataSource.query(
      `INSERT INTO "${schema}".capacity_days (workshop_id, process, day, capacity_min)
       SELECT 'ws-anod', 'anodizing', d::date, 480 FROM generate_series('2030-01-03'::date, '2030-01-24'::date, '1 day') d`,
    );
    await waitFor(async () => ((await events('OrderPlanned')).some((e) => e.data.orderId === 'o-sweep') ? true : null), { timeoutMs: 15_000, message: 'o-sweep planned by the retry sweep' });
  });

  it('plans a make-up lot for the units a first delivery is short (scrap)', async () => {
    await emit('orders', 'order-o-scrap', 'OrderSubmitted', {
      orderId: 'o-scrap',
      brandId: 'b-1',
      sku: 'BRK-2',
      productName: 'Anodized bracket',
      quantity: 20,
      unit: 'pcs',
      dueDate: '2030-01-25T00:00:00.000Z',
      delivery: { lat: 30, lng: 120 },
      route: [{ stepId: 'anodize', process: 'anodizing', parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: [] }],
      splitPolicy: {},
      submittedAt: now.toISOString(),
    });
    const offered = await waitFor(async () => (await events('SubtaskOffered')).find((e) => e.data.orderId === 'o-scrap'), { message: 'o-scrap offered' });
    const subtaskId = offered.data.subtaskId as string;
    const workshop = ws(offered.data.workshopId as string);
    expect((await call('POST', `/matching/offers/${subtaskId}/accept`, workshop)).status).toBe(200);
    await emit('orders', 'order-o-scrap', 'StepReleased', { orderId: 'o-scrap', stepId: 'anodize' });
    await emit('settlement', 'settlement-order-o-scrap', 'EscrowFunded', { orderId: 'o-scrap', subtaskId, brandId: 'brand-1', amount: { amountMinor: 1, currency: 'CNY' } });
    await waitFor(async () => ((await call('POST', `/matching/subtasks/${subtaskId}/start`, workshop)).status === 200 ? true : null), { message: 'started' });
    expect((await call('POST', `/matching/subtasks/${subtaskId}/complete`, workshop, { goodQuantity: 17, scrapQuantity: 3 })).status).toBe(200);
    const makeUp = (await events('SubtaskOffered')).filter((e) => e.data.orderId === 'o-scrap' && e.data.subtaskId !== subtaskId);
    expect(makeUp.map((e) => e.data.quantity)).toEqual([3]);
    expect((await events('LotReplanned')).find((e) => e.data.orderId === 'o-scrap')).toMatchObject({ data: { replacedSubtaskId: subtaskId, quantity: 3 } });
  });

  it('frees the days ahead of a lot delivered early, so a waiting order gets them', async () => {
    // One embroidery shop, 6 days × 8 h. Order A books 40 h of it; order B (24 h) does not fit and waits.
    await joinWorkshop('ws-emb', 'embroidery', 90, 30, { from: '2030-02-01', until: '2030-02-06' });
    await waitFor(async () => (await db.dataSource.query(`SELECT 1 FROM "${schema}".capacity_days WHERE workshop_id = 'ws-emb'`)).length === 6, { message: 'ws-emb capacity known' });
    const order = (orderId: string, quantity: number) => oneStepOrder(orderId, { stepId: 'embroider', process: 'embroidery', hoursPerUnit: 1 }, quantity, '2030-02-07T00:00:00.000Z');
    await emit('orders', 'order-o-early-a', 'OrderSubmitted', order('o-early-a', 40));
    const offered = await waitFor(async () => (await events('SubtaskOffered')).find((e) => e.data.orderId === 'o-early-a'), { message: 'o-early-a offered' });
    const lotA = offered.data.subtaskId as string;
    const shop = ws('ws-emb');
    expect((await call('POST', `/matching/offers/${lotA}/accept`, shop)).status).toBe(200);
    await emit('orders', 'order-o-early-a', 'StepReleased', { orderId: 'o-early-a', stepId: 'embroider' });
    await emit('settlement', 'settlement-order-o-early-a', 'EscrowFunded', { orderId: 'o-early-a', subtaskId: lotA, brandId: 'b-1', amount: { amountMinor: 3_600, currency: 'CNY' } });
    await waitFor(async () => ((await call('POST', `/matching/subtasks/${lotA}/start`, shop)).status === 200 ? true : null), { message: 'o-early-a started' });
    await emit('orders', 'order-o-early-b', 'OrderSubmitted', order('o-early-b', 24));
    await waitFor(async () => ((await events('OrderPlanningFailed')).some((e) => e.data.orderId === 'o-early-b') ? true : null), { message: 'o-early-b waits for capacity' });

    // A is delivered at noon on 2 February: its days up to that one were worked, the days after are free again.
    now = new Date('2030-02-02T12:00:00Z');
    expect((await call('POST', `/matching/subtasks/${lotA}/complete`, shop, { goodQuantity: 40, scrapQuantity: 0 })).status).toBe(200);
    const days: { day: string; status: string }[] = await db.dataSource.query(
      `SELECT day::text AS day, status FROM "${schema}".reservations WHERE subtask_id = $1 ORDER BY day`,
      [lotA],
    );
    expect(days.length).toBeGreaterThan(2);
    expect(days.map((d) => [d.day, d.status])).toEqual(days.map((d) => [d.day, d.day <= '2030-02-02' ? 'firm' : 'released']));
    const [book] = await db.dataSource.query(
      `SELECT (SELECT sum(reserved_min) FROM "${schema}".capacity_days WHERE workshop_id = 'ws-emb')::int AS booked,
              (SELECT coalesce(sum(minutes), 0) FROM "${schema}".reservations WHERE workshop_id = 'ws-emb' AND status <> 'released')::int AS held`,
    );
    expect(book.booked).toBe(book.held);
    await waitFor(async () => ((await events('OrderPlanned')).some((e) => e.data.orderId === 'o-early-b') ? true : null), { timeoutMs: 15_000, message: 'o-early-b planned on the freed days' });
  });

  it('withdraws the lots a completed order no longer needs, and plans none for it afterwards', async () => {
    await joinWorkshop('ws-press', 'pressing', 40, 30, { from: '2030-02-10', until: '2030-02-28' });
    // A dearer second press shop: where a re-plan (which avoids ws-press) would go.
    await joinWorkshop('ws-press-2', 'pressing', 45, 30, { from: '2030-02-10', until: '2030-02-28' });
    await waitFor(async () => (await db.dataSource.query(`SELECT DISTINCT workshop_id FROM "${schema}".capacity_days WHERE workshop_id LIKE 'ws-press%'`)).length === 2, { message: 'press shops known' });
    await emit('orders', 'order-o-done', 'OrderSubmitted', oneStepOrder('o-done', { stepId: 'press', process: 'pressing', hoursPerUnit: 0.5 }, 20, '2030-03-01T00:00:00.000Z'));
    const ofOrder = async () => (await events('SubtaskOffered')).filter((e) => e.data.orderId === 'o-done').map((e) => e.data.subtaskId as string);
    const [first] = await waitFor(async () => ((await ofOrder()).length === 1 ? ofOrder() : null), { message: 'o-done offered' });
    const shop = ws('ws-press');
    expect((await call('POST', `/matching/offers/${first}/accept`, shop)).status).toBe(200);
    await emit('orders', 'order-o-done', 'StepReleased', { orderId: 'o-done', stepId: 'press' });
    await emit('settlement', 'settlement-order-o-done', 'EscrowFunded', { orderId: 'o-done', subtaskId: first, brandId: 'b-1', amount: { amountMinor: 800, currency: 'CNY' } });
    await waitFor(async () => ((await call('POST', `/matching/subtasks/${first}/start`, shop)).status === 200 ? true : null), { message: 'o-done started' });
    // Delivered 3 short: a make-up lot is planned, and its workshop accepts it.
    expect((await call('POST', `/matching/subtasks/${first}/complete`, shop, { goodQuantity: 17, scrapQuantity: 3 })).status).toBe(200);
    const makeUp = (await ofOrder()).find((id) => id !== first)!;
    expect((await call('POST', `/matching/offers/${makeUp}/accept`, shop)).status).toBe(200);

    // Then the order completes (say the brand took the 17): the make-up lot is withdrawn, its days freed.
    await emit('orders', 'order-o-done', 'OrderCompleted', { orderId: 'o-done', brandId: 'b-1', completedAt: now.toISOString() });
    const [cancelled] = await waitFor(async () => {
      const rows = (await events('SubtaskCancelled')).filter((e) => e.data.orderId === 'o-done');
      return rows.length > 0 ? rows : null;
    }, { message: 'make-up lot withdrawn' });
    expect(cancelled.data).toMatchObject({ subtaskId: makeUp, cause: 'order_completed', workshopId: 'ws-press' });
    expect(await db.dataSource.query(`SELECT DISTINCT status FROM "${schema}".reservations WHERE subtask_id = $1`, [makeUp])).toEqual([{ status: 'released' }]);
    expect((await call('GET', `/matching/subtasks/${first}`, shop)).body.status).toBe('completed');
    expect((await call('POST', `/matching/subtasks/${makeUp}/start`, shop)).status).toBeGreaterThanOrEqual(400);
    expect((await call('GET', '/matching/orders/o-done/plan', { sub: 'b-1', role: 'brand' })).body.status).toBe('completed');

    // A late failure of the delivered lot asks for a re-plan: a completed order gets no new lot.
    await emit('inspection', 'il-done', 'InspectionFailed', {
      inspectionLotId: 'il-done', subtaskId: first, orderId: 'o-done', brandId: 'b-1', stepId: 'press', process: 'pressing', workshopId: 'ws-press',
      lotSize: 17, sampleSize: 5, severity: 'normal', criticalDefects: 1, majorDefects: 0, minorDefects: 0, disposition: 'replan', inspectedAt: now.toISOString(),
    });
    await waitFor(async () => ((await call('GET', `/matching/subtasks/${first}`, shop)).body.status === 'replanned' ? true : null), { message: 'failure recorded' });
    expect(await ofOrder()).toEqual([first, makeUp]);
    expect(await db.dataSource.query(`SELECT 1 FROM "${schema}".pending_lots WHERE order_id = 'o-done'`)).toEqual([]);
  });
});
