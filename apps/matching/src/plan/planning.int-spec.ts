/* eslint-disable @typescript-eslint/no-unsafe-return -- JSON bodies of HTTP answers and events are asserted field by field. */
// Planning as the service does it: re-planning when the network changes under a plan (a workshop
// suspended, capacity withdrawn) and the shared optimiser when the due date binds. Fake registry/orders
// producers on an embedded bus feed the real consumer; workshops use the real HTTP API; PostgreSQL is real.
import type { ServiceDatabase } from '#libs/eventsourcing';
import { uniqueSchema, waitFor } from '#libs/testing';
import { MatchingUnderTest } from '../../../../test/support/matching-under-test.js';

const secret = 'matching-replan-spec-secret-0123456789abcdef';
const schema = uniqueSchema('matching_plan');
const producerSchemas = { registry: uniqueSchema('fake_registry'), orders: uniqueSchema('fake_orders'), settlement: uniqueSchema('fake_settlement') };
let now = new Date('2030-01-01T08:00:00Z');

describe('planning: re-planning when the network changes, the shared optimiser when the due date binds', () => {
  const matching = new MatchingUnderTest({ schema, producerSchemas, secret, clock: () => now });
  const { emit, events, atLeast, call } = matching;
  let db: ServiceDatabase;

  /** Waits until matching's inbox holds every registry event of `type`. */
  const handled = (type: string) =>
    waitFor(async () => {
      const [row]: { n: string }[] = await db.dataSource.query(
        `SELECT count(*) AS n FROM "${producerSchemas.registry}".events e WHERE e.type = $1 AND NOT EXISTS (SELECT 1 FROM "${schema}".inbox i WHERE i.event_id = e.event_id)`,
        [type],
      );
      return Number(row.n) === 0;
    }, { message: `${type} handled` });
  const joinWorkshop = async (id: string, process: string, priceMinor: number, from = '2030-01-02', hoursPerDay = 8) => {
    await emit('registry', `workshop-${id}`, 'WorkshopRegistered', { workshopId: id, name: id, location: { lat: 30, lng: 120 }, certifications: [] });
    await emit('registry', `workshop-${id}`, 'WorkshopCapabilitiesChanged', {
      workshopId: id,
      capabilities: [{ process, parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: priceMinor, currency: 'CNY' } }],
    });
    await emit('registry', `workshop-${id}`, 'CapacityDeclared', { workshopId: id, process, hoursPerDay, from, until: '2030-01-31', exceptions: [] });
  };
  const submit = async (orderId: string, quantity: number, steps: { stepId: string; process: string; wc: number; dependsOn?: string[] }[], dueDate = '2030-01-20T00:00:00.000Z') => {
    await emit('orders', `order-${orderId}`, 'OrderSubmitted', {
      orderId,
      brandId: 'b-1',
      sku: 'sku',
      productName: 'product',
      quantity,
      unit: 'pcs',
      dueDate,
      delivery: { lat: 30, lng: 120 },
      route: steps.map((s) => ({ stepId: s.stepId, process: s.process, parameters: {}, workContentHoursPerUnit: s.wc, inspection: { level: 'II', aql: 1 }, dependsOn: s.dependsOn ?? [] })),
      splitPolicy: {},
      submittedAt: now.toISOString(),
    });
    const [planned] = await atLeast('OrderPlanned', 1, orderId);
    return planned.data.lots as { subtaskId: string; stepId: string; workshopId: string; plannedStart: string; plannedEnd: string }[];
  };
  /** Settlement's word that the lot's price is in escrow (a lot may start only then). */
  const fund = (orderId: string, subtaskId: string) =>
    emit('settlement', `settlement-order-${orderId}`, 'EscrowFunded', { orderId, subtaskId, brandId: 'brand-1', amount: { amountMinor: 1, currency: 'CNY' } });
  const startLot = async (orderId: string, stepId: string, subtaskId: string, workshopId: string) => {
    expect((await call('POST', `/matching/offers/${subtaskId}/accept`, workshopId)).status).toBe(200);
    await emit('orders', `order-${orderId}`, 'StepReleased', { orderId, stepId });
    await fund(orderId, subtaskId);
    await waitFor(async () => (await call('POST', `/matching/subtasks/${subtaskId}/start`, workshopId)).status === 200, { message: `start ${subtaskId}` });
  };
  const reserved = async (workshopId: string): Promise<{ day: string; capacity_min: number; reserved_min: number }[]> =>
    db.dataSource.query(`SELECT day::text, capacity_min, reserved_min FROM "${schema}".capacity_days WHERE workshop_id = $1 AND reserved_min > 0 ORDER BY day`, [workshopId]);
  const status = async (subtaskId: string): Promise<string> => (await db.dataSource.query(`SELECT status FROM "${schema}".subtasks WHERE subtask_id = $1`, [subtaskId]))[0].status;

  beforeAll(async () => {
    await matching.start();
    db = matching.db;
  });

  afterAll(() => matching.close());

  it('a suspended workshop loses its offers and accepted lots (re-planned elsewhere); work under way stays', async () => {
    await joinWorkshop('c1', 'cutting', 50);
    await joinWorkshop('s1', 'sewing', 100);
    await joinWorkshop('s2', 'sewing', 120);
    await waitFor(async () => (await db.dataSource.query(`SELECT DISTINCT workshop_id FROM "${schema}".capacity_days`)).length === 3, { message: 'network view' });

    const [cut1, sew1] = await submit('o-1', 100, [
      { stepId: 'cut', process: 'cutting', wc: 0.05 },
      { stepId: 'sew', process: 'sewing', wc: 0.1, dependsOn: ['cut'] },
    ]);
    expect([cut1.workshopId, sew1.workshopId]).toEqual(['c1', 's1']);
    const [sew2] = await submit('o-2', 20, [{ stepId: 'sew', process: 'sewing', wc: 0.1 }]);
    const [sew3] = await submit('o-3', 30, [{ stepId: 'sew', process: 'sewing', wc: 0.1 }]);
    expect([sew2.workshopId, sew3.workshopId]).toEqual(['s1', 's1']);
    expect((await call('POST', `/matching/offers/${sew1.subtaskId}/accept`, 's1')).status).toBe(200);
    await startLot('o-2', 'sew', sew2.subtaskId, 's1');

    await emit('registry', 'workshop-s1', 'WorkshopSuspended', { workshopId: 's1', reason: 'quality audit' });
    const cancelled = await atLeast('SubtaskCancelled', 2);
    // Earliest planned first: o-3's offer (2030-01-02), then o-1's accepted lot (2030-01-03).
    expect(cancelled.map((c) => [c.data.subtaskId, c.data.cause])).toEqual([
      [sew3.subtaskId, 'workshop_suspended'],
      [sew1.subtaskId, 'workshop_suspended'],
    ]);
    expect(cancelled[0].data.reason).toBe('lot withdrawn from s1: the workshop was suspended (quality audit)');
    const replanned = await atLeast('LotReplanned', 2);
    expect(replanned.map((r) => [r.data.orderId, r.data.replacedSubtaskId, r.data.lots.map((l: any) => [l.workshopId, l.quantity])])).toEqual([
      ['o-3', sew3.subtaskId, [['s2', 30]]],
      ['o-1', sew1.subtaskId, [['s2', 100]]],
    ]);
    // o-1's sewing still starts after its cutting (2030-01-02) is handed off; nothing else moved.
    expect(replanned[1].data.lots[0].plannedStart).toBe('2030-01-03T00:00:00.000Z');
    expect(await status(cut1.subtaskId)).toBe('offered');
    expect(await status(sew2.subtaskId)).toBe('started');
    expect(await status(sew1.subtaskId)).toBe('cancelled');
    expect(await events('SubtaskCancelled')).toHaveLength(2);
    // Only the started lot still holds time at s1; the released time is not offered to anyone while suspended.
    expect(await reserved('s1')).toEqual([{ day: '2030-01-02', capacity_min: 480, reserved_min: 120 }]);
    expect((await call('GET', '/matching/offers', 's1')).body.items).toEqual([]);
    expect((await call('GET', '/matching/offers', 's2')).body.items.map((o: any) => o.orderId).sort()).toEqual(['o-1', 'o-3']);
    // A page at a time: each offer once, in a stable order, the last page says no more follow; a forged cursor is a 400.
    const first = (await call('GET', '/matching/offers?limit=1', 's2')).body;
    expect(first).toMatchObject({ hasMore: true, items: [expect.anything()] });
    const second = (await call('GET', `/matching/offers?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`, 's2')).body;
    expect(second).toMatchObject({ hasMore: false, nextCursor: null, items: [expect.anything()] });
    expect([...first.items, ...second.items].map((o: any) => o.orderId).sort()).toEqual(['o-1', 'o-3']);
    expect((await call('GET', '/matching/offers?cursor=bm9wZQ', 's2')).body).toMatchObject({ error: 'validation_failed', details: { field: 'cursor' } });
    expect((await call('GET', '/matching/offers?limit=0', 's2')).status).toBe(400);
  });

  it('withdrawn capacity moves the lots booked on it (the same shop may take them later) and, only if needed, the lots after them', async () => {
    await joinWorkshop('lc1', 'laser-cutting', 50);
    await joinWorkshop('w1', 'welding', 100);
    await waitFor(async () => (await db.dataSource.query(`SELECT DISTINCT workshop_id FROM "${schema}".capacity_days WHERE process IN ('laser-cutting', 'welding')`)).length === 2, {
      message: 'network view',
    });
    // o-5: 2 h of laser cutting on 2030-01-02, started. o-4: 10 h of cutting on 01-02/01-03, welding from 01-04.
    const [cut5] = await submit('o-5', 20, [{ stepId: 'cut', process: 'laser-cutting', wc: 0.1 }]);
    await startLot('o-5', 'cut', cut5.subtaskId, 'lc1');
    const [cut4, weld4] = await submit('o-4', 100, [
      { stepId: 'cut', process: 'laser-cutting', wc: 0.1 },
      { stepId: 'weld', process: 'welding', wc: 0.1, dependsOn: ['cut'] },
    ]);
    expect([cut4.plannedStart, cut4.plannedEnd, weld4.plannedStart]).toEqual(['2030-01-02T00:00:00.000Z', '2030-01-04T00:00:00.000Z', '2030-01-04T00:00:00.000Z']);
    const before = (await events('SubtaskCancelled')).length;

    await emit('registry', 'workshop-lc1', 'CapacityWithdrawn', { workshopId: 'lc1', process: 'laser-cutting', from: '2030-01-02', until: '2030-01-03' });
    const cancelled = (await atLeast('SubtaskCancelled', before + 2)).slice(before);
    expect(cancelled.map((c) => [c.data.subtaskId, c.data.cause])).toEqual([
      [cut4.subtaskId, 'capacity_withdrawn'],
      [weld4.subtaskId, 'upstream_moved'],
    ]);
    const replanned = await atLeast('LotReplanned', 2, 'o-4');
    const [cutAgain, weldAgain] = replanned.map((r) => r.data);
    // No shop can cut before 01-04 now, so the cutting moves past the welding's start (the same shop, later)...
    expect(cutAgain).toMatchObject({ stepId: 'cut', replacedSubtaskId: cut4.subtaskId, lots: [{ workshopId: 'lc1', quantity: 100, plannedStart: '2030-01-04T00:00:00.000Z', plannedEnd: '2030-01-06T00:00:00.000Z' }] });
    // ...and the welding lot, offered but not started, moves after it.
    expect(weldAgain).toMatchObject({ stepId: 'weld', replacedSubtaskId: weld4.subtaskId, lots: [{ workshopId: 'w1', quantity: 100, plannedStart: '2030-01-06T00:00:00.000Z' }] });
    expect(weldAgain.reason).toMatch(/its inputs \(step cut\) were re-planned to be ready only after 2030-01-05/);
    // The started lot keeps its 2 h; the withdrawn days offer nothing more.
    await handled('CapacityWithdrawn');
    const days: { day: string; capacity_min: number; reserved_min: number }[] = await db.dataSource.query(
      `SELECT day::text, capacity_min, reserved_min FROM "${schema}".capacity_days WHERE workshop_id = 'lc1' AND day <= '2030-01-05' ORDER BY day`,
    );
    expect(days).toEqual([
      { day: '2030-01-02', capacity_min: 120, reserved_min: 120 },
      { day: '2030-01-03', capacity_min: 0, reserved_min: 0 },
      { day: '2030-01-04', capacity_min: 480, reserved_min: 480 },
      { day: '2030-01-05', capacity_min: 480, reserved_min: 120 },
    ]);
    expect(await status(cut5.subtaskId)).toBe('started');
    const booked: { n: string }[] = await db.dataSource.query(
      `SELECT count(*) AS n FROM "${schema}".capacity_days c WHERE c.reserved_min <> coalesce((SELECT sum(r.minutes) FROM "${schema}".reservations r
         WHERE r.workshop_id = c.workshop_id AND r.process = c.process AND r.day = c.day AND r.status <> 'released'), 0)`,
    );
    expect(Number(booked[0].n)).toBe(0);
  });

  it('plans with the shared optimiser when the greedy cannot meet the due date, and says so', async () => {
    // Drilling needs 15 h, assembly 10 h, by 2030-01-05. Either driller alone ends on 01-04, leaving the
    // only assembler one 5-hour day; drilling on both ends on 01-03 (the cheaper one takes what it can).
    await joinWorkshop('dx', 'drilling', 100, '2030-01-02', 5);
    await joinWorkshop('dy', 'drilling', 110, '2030-01-02', 5);
    await joinWorkshop('as', 'assembly', 100, '2030-01-02', 5);
    await waitFor(async () => (await db.dataSource.query(`SELECT DISTINCT workshop_id FROM "${schema}".capacity_days WHERE process IN ('drilling', 'assembly')`)).length === 3, {
      message: 'network view',
    });
    const lots = await submit(
      'o-6',
      100,
      [
        { stepId: 'drill', process: 'drilling', wc: 0.15 },
        { stepId: 'assemble', process: 'assembly', wc: 0.1, dependsOn: ['drill'] },
      ],
      '2030-01-06T00:00:00.000Z',
    );
    expect(lots.map((l) => [l.stepId, l.workshopId, (l as any).quantity, l.plannedStart, l.plannedEnd]).sort()).toEqual([
      ['assemble', 'as', 100, '2030-01-04T00:00:00.000Z', '2030-01-06T00:00:00.000Z'],
      ['drill', 'dx', 63, '2030-01-02T00:00:00.000Z', '2030-01-04T00:00:00.000Z'],
      ['drill', 'dy', 37, '2030-01-02T00:00:00.000Z', '2030-01-04T00:00:00.000Z'],
    ]);
    const [plan]: { mode: string; status: string }[] = await db.dataSource.query(`SELECT mode, status FROM "${schema}".order_plans WHERE order_id = 'o-6'`);
    expect(plan).toEqual({ mode: 'optimised', status: 'planned' });
    const offer = (await call('GET', '/matching/offers', 'dy')).body.items.find((o: any) => o.orderId === 'o-6');
    expect(offer.explanation).toMatchObject({ mode: 'optimised', binding: 'due_date', optimiser: { lots: 8, workshopsModelled: 2 }, candidates: [{ workshopId: 'dy', outcome: 'chosen' }] });
  });

  it('splits a big step over many small shops when the cheapest ones are booked up, instead of calling capacity short', async () => {
    // Deburring: the nine cheapest shops have no hours before the due date; six dearer ones have 8 h a
    // day (144 h each by 2030-01-19), less than a quarter of the 600 h step each. The shortlist must walk
    // past the booked-up shops and take shops that can each make only part of the step.
    for (let i = 1; i <= 9; i++) await joinWorkshop(`db${i}`, 'deburring', 10 + i, '2030-01-25');
    for (let i = 1; i <= 6; i++) await joinWorkshop(`ds${i}`, 'deburring', 50 + i);
    await waitFor(async () => (await db.dataSource.query(`SELECT DISTINCT workshop_id FROM "${schema}".capacity_days WHERE process = 'deburring'`)).length === 15, {
      message: 'network view',
    });
    const lots = (await submit('o-deburr', 600, [{ stepId: 'deburr', process: 'deburring', wc: 1 }])) as unknown as { workshopId: string; quantity: number }[];
    expect(lots.reduce((sum, l) => sum + l.quantity, 0)).toBe(600);
    expect(lots.length).toBeGreaterThanOrEqual(5);
    expect(lots.every((l) => /^ds\d$/.test(l.workshopId))).toBe(true);
    expect(lots.every((l) => l.quantity <= 144)).toBe(true);
  });

  it('lets a lot start on its own release (per-lot hand-off) and raises LotAtRisk once when progress lags the plan', async () => {
    await joinWorkshop('p1', 'polishing', 100);
    await waitFor(async () => (await db.dataSource.query(`SELECT 1 FROM "${schema}".capacity_days WHERE workshop_id = 'p1'`)).length > 0, { message: 'network view' });
    // 10 h of polishing: 2030-01-02 8 h, 2030-01-03 2 h → planned end 2030-01-04T00:00.
    const [lot] = await submit('o-7', 20, [{ stepId: 'polish', process: 'polishing', wc: 0.5 }]);
    expect(lot.plannedEnd).toBe('2030-01-04T00:00:00.000Z');
    expect((await call('POST', `/matching/offers/${lot.subtaskId}/accept`, 'p1')).status).toBe(200);
    await fund('o-7', lot.subtaskId);
    expect((await call('POST', `/matching/subtasks/${lot.subtaskId}/start`, 'p1')).status).toBe(422);
    await emit('orders', 'order-o-7', 'LotReleased', { orderId: 'o-7', stepId: 'polish', subtaskId: lot.subtaskId, workshopId: 'p1', quantity: 20, releasedAt: now.toISOString() });
    await waitFor(async () => (await call('POST', `/matching/subtasks/${lot.subtaskId}/start`, 'p1')).status === 200, { message: 'start after LotReleased' });

    try {
      // 36 h after the start only 2 of 20 are done: at that rate the lot ends long after 2030-01-04.
      now = new Date('2030-01-02T20:00:00Z');
      expect((await call('POST', `/matching/subtasks/${lot.subtaskId}/progress`, 'p1', { doneQuantity: 21 })).status).toBe(400);
      const reported = await call('POST', `/matching/subtasks/${lot.subtaskId}/progress`, 'p1', { doneQuantity: 2 });
      expect(reported.status).toBe(200);
      expect(reported.body.progress).toEqual({ doneQuantity: 2, reportedAt: '2030-01-02T20:00:00.000Z', atRisk: expect.stringContaining('2 of 20 units done') });
      const [risk] = await events('LotAtRisk', 'o-7');
      expect(risk.data).toMatchObject({ subtaskId: lot.subtaskId, doneQuantity: 2, plannedEnd: '2030-01-04T00:00:00.000Z', projectedEnd: '2030-01-16T08:00:00.000Z' });
      // Raised once: a second report records progress only.
      expect((await call('POST', `/matching/subtasks/${lot.subtaskId}/progress`, 'p1', { doneQuantity: 4 })).status).toBe(200);
      expect(await events('SubtaskProgressed', 'o-7')).toHaveLength(2);
      expect(await events('LotAtRisk', 'o-7')).toHaveLength(1);
      expect((await call('POST', `/matching/subtasks/${lot.subtaskId}/progress`, 's2', { doneQuantity: 4 })).status).toBe(404);
    } finally {
      now = new Date('2030-01-01T08:00:00Z');
    }
  });

  it('takes a counter-offer that fits without touching other lots, and refuses one that does not', async () => {
    await joinWorkshop('k1', 'knitting', 100);
    await joinWorkshop('k2', 'knitting', 120);
    await waitFor(async () => (await db.dataSource.query(`SELECT DISTINCT workshop_id FROM "${schema}".capacity_days WHERE process = 'knitting'`)).length === 2, { message: 'network view' });
    // 10 h of knitting offered to k1: 2030-01-02 8 h, 2030-01-03 2 h.
    const [offer] = await submit('o-8', 100, [{ stepId: 'knit', process: 'knitting', wc: 0.1 }]);
    expect(offer.workshopId).toBe('k1');
    expect((await call('POST', `/matching/offers/${offer.subtaskId}/counter`, 'k1', { quantity: 100 })).status).toBe(400);
    expect((await call('POST', `/matching/offers/${offer.subtaskId}/counter`, 'k2', { quantity: 60 })).status).toBe(404);

    // k1 can make only 60: taken — k1 holds a new accepted subtask of 60, the other 40 go to k2.
    const taken = await call('POST', `/matching/offers/${offer.subtaskId}/counter`, 'k1', { quantity: 60 });
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ outcome: 'taken', subtask: { workshopId: 'k1', quantity: 60, status: 'accepted', replaces: offer.subtaskId } });
    expect(taken.body.subtask.explanation).toMatchObject({ binding: 'counter_offer' });
    const [cancelled] = (await events('SubtaskCancelled', 'o-8')).map((e) => e.data);
    expect(cancelled).toMatchObject({ subtaskId: offer.subtaskId, cause: 'countered', reason: 'lot withdrawn from k1: counter-offer taken: 60 units by 2030-01-03' });
    const [rest] = await events('LotReplanned', 'o-8');
    expect(rest.data).toMatchObject({ replacedSubtaskId: offer.subtaskId, quantity: 40, lots: [{ workshopId: 'k2', quantity: 40 }] });
    expect(await events('SubtaskAccepted', 'o-8')).toEqual([expect.objectContaining({ data: expect.objectContaining({ subtaskId: taken.body.subtask.subtaskId, quantity: 60 }) })]);
    const booked: { workshop_id: string; minutes: string }[] = await db.dataSource.query(
      `SELECT r.workshop_id, sum(r.minutes)::text AS minutes FROM "${schema}".reservations r JOIN "${schema}".subtasks s USING (subtask_id)
       WHERE s.order_id = 'o-8' AND r.status <> 'released' GROUP BY r.workshop_id ORDER BY r.workshop_id`,
    );
    expect(booked).toEqual([
      { workshop_id: 'k1', minutes: '360' },
      { workshop_id: 'k2', minutes: '240' },
    ]);

    // A later end than the due date allows: refused, the offer stands as it was.
    const [late] = await submit('o-9', 50, [{ stepId: 'knit', process: 'knitting', wc: 0.1 }], '2030-01-06T00:00:00.000Z');
    const refused = await call('POST', `/matching/offers/${late.subtaskId}/counter`, late.workshopId, { plannedEnd: '2030-01-09T00:00:00.000Z' });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ outcome: 'refused', reason: 'the lot must be done by 2030-01-05 (the due date)', offer: { status: 'offered', quantity: 50 } });
    expect(refused.body.offer.statusReason).toBe('counter-offer refused: the lot must be done by 2030-01-05 (the due date)');
    expect(await events('SubtaskCancelled', 'o-9')).toEqual([]);
    expect((await call('POST', `/matching/offers/${late.subtaskId}/accept`, late.workshopId)).status).toBe(200);
  });
});
