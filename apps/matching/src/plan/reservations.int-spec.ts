// Many orders planned at once against a small network: no workshop-day is ever booked beyond its
// declared capacity, and the capacity book agrees with the reservations behind it.
import { Test, type TestingModule } from '@nestjs/testing';
import type { OrderSubmittedContract } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { MatchingModule } from '../matching.module.js';
import { NetworkView } from '../network/network-view.js';
import { PlanningService } from './planning.service.js';

const schema = uniqueSchema('matching_conc');
const now = new Date('2030-01-01T08:00:00Z');

const order = (n: number): OrderSubmittedContract => ({
  orderId: `o-${n}`,
  brandId: 'b-1',
  sku: 'sku',
  productName: 'shirt',
  quantity: 30,
  unit: 'pcs',
  dueDate: '2030-01-05T00:00:00.000Z',
  delivery: { lat: 30, lng: 120 },
  route: [{ stepId: 'sew', process: 'sewing', parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: [] }],
  splitPolicy: {},
  submittedAt: now.toISOString(),
});

describe('capacity reservations under concurrent planning', () => {
  let moduleRef: TestingModule;
  let db: ServiceDatabase;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [MatchingModule.forRoot({ databaseUrl: testDatabaseUrl(), env: { MESHFAB_MATCHING_SCHEMA: schema }, clock: () => now, pool: { poolSize: 12 } })],
    }).compile();
    db = moduleRef.get(ServiceDatabase);
    const network = moduleRef.get(NetworkView);
    await db.dataSource.transaction(async (m) => {
      for (const id of ['ws-1', 'ws-2', 'ws-3']) {
        await network.registerWorkshop({ workshopId: id, name: id, location: { lat: 30, lng: 120 }, certifications: [] }, m);
        await network.replaceCapabilities(
          { workshopId: id, capabilities: [{ process: 'sewing', parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 100, currency: 'CNY' } }] },
          m,
        );
        // 4 h/day on 2030-01-02..04 = 12 h per workshop, 36 h in all; each order needs 3 h.
        await network.declareCapacity({ workshopId: id, process: 'sewing', hoursPerDay: 4, from: '2030-01-02', until: '2030-01-04', exceptions: [] }, m);
      }
    });
  });

  afterAll(async () => {
    await moduleRef?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('plans 30 orders at once without over-booking any workshop-day', async () => {
    const planning = moduleRef.get(PlanningService);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async (_, n) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await db.dataSource.transaction((m) => planning.planOrder(order(n), m, { correlationId: `o-${n}`, causationId: 'test' }));
          } catch (error) {
            if (attempt >= 10) throw error; // as the consumer would: retry the whole delivery
          }
        }
      }),
    );
    const planned = outcomes.filter((o) => o?.ok).length;
    const days: { workshop_id: string; day: string; capacity_min: number; reserved_min: number; booked: string | null }[] = await db.dataSource.query(
      `SELECT c.workshop_id, c.day::text, c.capacity_min, c.reserved_min,
              (SELECT sum(r.minutes) FROM "${schema}".reservations r WHERE r.workshop_id = c.workshop_id AND r.process = c.process AND r.day = c.day AND r.status <> 'released') AS booked
       FROM "${schema}".capacity_days c`,
    );
    expect(days).toHaveLength(9);
    for (const d of days) {
      expect(d.reserved_min).toBeLessThanOrEqual(d.capacity_min);
      expect(Number(d.booked ?? 0)).toBe(d.reserved_min);
    }
    const reserved = days.reduce((s, d) => s + d.reserved_min, 0);
    expect(reserved).toBe(planned * 180);
    expect(reserved).toBeLessThanOrEqual(36 * 60);
    // 36 h of capacity fits exactly 12 orders of 3 h (lots split across days and workshops).
    expect(planned).toBe(12);
    const statuses: { status: string; n: string }[] = await db.dataSource.query(`SELECT status, count(*) AS n FROM "${schema}".order_plans GROUP BY status ORDER BY status`);
    expect(statuses).toEqual([
      { status: 'failed', n: '18' },
      { status: 'planned', n: '12' },
    ]);
    const failed: { reason: string }[] = await db.dataSource.query(`SELECT reason FROM "${schema}".order_plans WHERE status = 'failed' LIMIT 1`);
    expect(failed[0].reason).toMatch(/capacity short by 3 hours before the due date for step sew \(sewing\)/);
  });
});
