// Planning outside the planning area's lock, booking with a check: many orders around one place planned
// at once against a few small workshops, a workshop suspended while a plan that relies on it is being
// booked, and (lock only when contended) orders of the same area that need different workshops. Whatever interleaves, no workshop-day is booked
// beyond its capacity, the capacity book equals the reservations behind it, every lot is planned once,
// and no lot is left with a suspended workshop.
import { Test, type TestingModule } from '@nestjs/testing';
import type { EntityManager } from 'typeorm';
import type { OrderSubmittedContract } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { MatchingModule } from '../matching.module.js';
import { NetworkView } from '../network/network-view.js';
import { PlanningService } from './planning.service.js';

const schema = uniqueSchema('matching_book');
const now = new Date('2030-01-01T08:00:00Z');
const meta = (orderId: string) => ({ correlationId: orderId, causationId: 'test' });

const order = (orderId: string, process: string, quantity: number, dueDate = '2030-01-05T00:00:00.000Z'): OrderSubmittedContract => ({
  orderId,
  brandId: 'b-1',
  sku: 'sku',
  productName: 'shirt',
  quantity,
  unit: 'pcs',
  dueDate,
  delivery: { lat: 30.2, lng: 120.2 },
  route: [{ stepId: 'step', process, parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: [] }],
  splitPolicy: {},
  submittedAt: now.toISOString(),
});

describe('booking a plan made outside the planning area lock', () => {
  let moduleRef: TestingModule;
  let db: ServiceDatabase;
  let network: NetworkView;
  let planning: PlanningService;

  const join = async (m: EntityManager, id: string, process: string, priceMinor: number, hoursPerDay: number, until: string) => {
    await network.registerWorkshop({ workshopId: id, name: id, location: { lat: 30, lng: 120 }, certifications: [] }, m);
    await network.replaceCapabilities(
      { workshopId: id, capabilities: [{ process, parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: priceMinor, currency: 'CNY' } }] },
      m,
    );
    await network.declareCapacity({ workshopId: id, process, hoursPerDay, from: '2030-01-02', until, exceptions: [] }, m);
  };
  /** Plans as the consumer does: a failed delivery is retried whole; returns the errors it met. */
  const planAsConsumer = async (o: OrderSubmittedContract, errors: unknown[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await db.dataSource.transaction((m) => planning.planOrder(o, m, meta(o.orderId)));
      } catch (error) {
        errors.push(error);
        if (attempt >= 10) throw error;
      }
    }
  };
  const book = (process: string) =>
    db.dataSource.query<{ workshop_id: string; day: string; capacity_min: number; reserved_min: number; booked: number }[]>(
      `SELECT c.workshop_id, c.day::text, c.capacity_min, c.reserved_min,
              (SELECT coalesce(sum(r.minutes), 0)::int FROM "${schema}".reservations r
                WHERE r.workshop_id = c.workshop_id AND r.process = c.process AND r.day = c.day AND r.status <> 'released') AS booked
       FROM "${schema}".capacity_days c WHERE c.process = $1 ORDER BY c.workshop_id, c.day`,
      [process],
    );

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      // Planners read and plan at once and book in turn (`book`): every booking but the first of an area
      // relies on its check. (The default, `plan`, plans in turn: reservations.int-spec.ts.) The candidate
      // read is the merged one here; the other suites run the default, per_cell.
      imports: [
        MatchingModule.forRoot({
          databaseUrl: testDatabaseUrl(),
          env: { MESHFAB_MATCHING_SCHEMA: schema, MESHFAB_MATCHING_AREA_LOCK: 'book', MESHFAB_MATCHING_CANDIDATE_QUERY: 'merged' },
          clock: () => now,
          pool: { poolSize: 10 },
        }),
      ],
    }).compile();
    db = moduleRef.get(ServiceDatabase);
    network = moduleRef.get(NetworkView);
    planning = moduleRef.get(PlanningService);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('plans 40 orders of one area at once on 4 small workshops: none over capacity, the book equal to its reservations, each order planned once', async () => {
    await db.dataSource.transaction(async (m) => {
      // 3 h a day on 2030-01-02..04 = 9 h per workshop, 36 h in all; each order needs 3 h: 12 orders fit.
      for (const [i, id] of ['q-1', 'q-2', 'q-3', 'q-4'].entries()) await join(m, id, 'quilting', 100 + i, 3, '2030-01-04');
    });
    const errors: unknown[] = [];
    const orders = Array.from({ length: 40 }, (_, n) => order(`o-q-${n}`, 'quilting', 30));
    const outcomes = await Promise.all(orders.map((o) => planAsConsumer(o, errors)));

    // The booking's own check stops every over-booking: the table's CHECK behind it is never what refuses one.
    expect(errors.filter((e) => (e as { code?: string; driverError?: { code?: string } }).driverError?.code === '23514' || (e as { code?: string }).code === '23514')).toEqual([]);
    const days = await book('quilting');
    expect(days).toHaveLength(12);
    for (const d of days) {
      expect(d.reserved_min).toBeLessThanOrEqual(d.capacity_min);
      expect(d.booked).toBe(d.reserved_min);
    }
    const planned = outcomes.filter((o) => o?.ok).length;
    expect(planned).toBe(12);
    expect(days.reduce((s, d) => s + d.reserved_min, 0)).toBe(12 * 180);
    // Every planned order has its 30 units in lots exactly once, one OrderPlanned; a failed one holds nothing.
    const perOrder: { order_id: string; units: number; plans: number; status: string }[] = await db.dataSource.query(
      `SELECT p.order_id, p.status,
              (SELECT coalesce(sum(s.quantity), 0)::int FROM "${schema}".subtasks s WHERE s.order_id = p.order_id AND s.status = 'offered') AS units,
              (SELECT count(*)::int FROM "${schema}".events e WHERE e.stream_id = 'order-plan-' || p.order_id AND e.type = 'OrderPlanned') AS plans
       FROM "${schema}".order_plans p WHERE p.order_id LIKE 'o-q-%' ORDER BY p.order_id`,
    );
    expect(perOrder).toHaveLength(40);
    for (const p of perOrder) {
      if (p.status === 'planned') expect({ order: p.order_id, units: p.units, plans: p.plans }).toEqual({ order: p.order_id, units: 30, plans: 1 });
      else expect({ order: p.order_id, status: p.status, units: p.units, plans: p.plans }).toEqual({ order: p.order_id, status: 'failed', units: 0, plans: 0 });
    }
  });

  it('does not book a workshop suspended while the plan relying on it was being booked; the plan goes elsewhere', async () => {
    await db.dataSource.transaction(async (m) => {
      await join(m, 'p-cheap', 'pleating', 50, 8, '2030-01-04');
      await join(m, 'p-dear', 'pleating', 80, 8, '2030-01-04');
    });
    // The suspension is handled (workshop marked suspended, its lots withdrawn) but not committed yet.
    const suspension = db.dataSource.createQueryRunner();
    await suspension.connect();
    await suspension.startTransaction();
    try {
      await planning.workshopSuspended('p-cheap', 'audit', suspension.manager, meta('suspension'));
      // Meanwhile an order is planned: it still sees p-cheap active (the suspension is not committed)
      // and plans its lot there, the cheapest.
      let done = false;
      const planned = db.dataSource.transaction((m) => planning.planOrder(order('o-p-1', 'pleating', 40), m, meta('o-p-1'))).finally(() => {
        done = true;
      });
      // Its booking waits for the suspension's transaction (or it already finished without waiting).
      await waitFor(
        async () =>
          done ||
          Number(
            (
              await db.dataSource.query(
                `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%capacity_days%'`,
                [`"${schema}"`],
              )
            )[0].n,
          ) > 0,
        { message: 'the booking reached the workshop-days of the suspended workshop' },
      );
      await suspension.commitTransaction();
      const result = await planned;
      expect(result?.ok).toBe(true);
    } finally {
      if (suspension.isTransactionActive) await suspension.rollbackTransaction();
      await suspension.release();
    }
    const lots: { workshop_id: string; quantity: number; status: string }[] = await db.dataSource.query(
      `SELECT workshop_id, quantity, status FROM "${schema}".subtasks WHERE order_id = 'o-p-1' ORDER BY workshop_id`,
    );
    expect(lots).toEqual([{ workshop_id: 'p-dear', quantity: 40, status: 'offered' }]);
    expect((await book('pleating')).filter((d) => d.workshop_id === 'p-cheap' && (d.reserved_min > 0 || d.booked > 0))).toEqual([]);
  });

  it('with MESHFAB_MATCHING_AREA_LOCK=contended, does not make an order wait for another order of the same area that needs other workshops', async () => {
    const contendedRef = await Test.createTestingModule({
      imports: [
        MatchingModule.forRoot({
          databaseUrl: testDatabaseUrl(),
          env: { MESHFAB_MATCHING_SCHEMA: schema, MESHFAB_MATCHING_AREA_LOCK: 'contended' },
          clock: () => now,
          pool: { poolSize: 3 },
        }),
      ],
    }).compile();
    const contended = contendedRef.get(PlanningService);
    const contendedDb = contendedRef.get(ServiceDatabase);
    await db.dataSource.transaction(async (m) => {
      await join(m, 'd-1', 'dyeing', 60, 8, '2030-01-04');
      await join(m, 'b-1', 'beading', 60, 8, '2030-01-04');
    });
    // The first order is planned and booked, its transaction still open (as a consumer's would be
    // while it appends the plan's events and commits).
    const first = contendedDb.dataSource.createQueryRunner();
    await first.connect();
    await first.startTransaction();
    try {
      expect((await contended.planOrder(order('o-d-1', 'dyeing', 40), first.manager, meta('o-d-1')))?.ok).toBe(true);
      // An order of the same area needing another workshop plans and commits meanwhile: it takes no
      // lock the first one holds (a wait for one would end in this lock_timeout's error).
      const second = await contendedDb.dataSource.transaction(async (m) => {
        await m.query(`SET LOCAL lock_timeout = '5s'`);
        return contended.planOrder(order('o-b-1', 'beading', 40), m, meta('o-b-1'));
      });
      expect(second?.ok).toBe(true);
      await first.commitTransaction();
    } finally {
      if (first.isTransactionActive) await first.rollbackTransaction();
      await first.release();
      await contendedRef.close();
    }
    const lots: { order_id: string; workshop_id: string }[] = await db.dataSource.query(
      `SELECT order_id, workshop_id FROM "${schema}".subtasks WHERE order_id IN ('o-d-1', 'o-b-1') ORDER BY order_id`,
    );
    expect(lots).toEqual([
      { order_id: 'o-b-1', workshop_id: 'b-1' },
      { order_id: 'o-d-1', workshop_id: 'd-1' },
    ]);
  });
});
