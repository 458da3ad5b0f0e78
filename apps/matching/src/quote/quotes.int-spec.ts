// Quotes against real PostgreSQL: nothing booked without a hold; holds count against capacity, race
// for the last hours without overbooking and end by themselves; accepting books the quoted lots for
// the order or re-quotes with the reason; the capacity view sums the book without naming anyone.
import { Test, type TestingModule } from '@nestjs/testing';
import type { OrderSubmittedContract } from '#libs/contracts';
import { DomainError } from '#libs/domain';
import { ServiceDatabase } from '#libs/eventsourcing';
import type { Principal } from '#libs/platform';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { CapacityViewQuery } from '../capacity/capacity.query.js';
import { MatchingModule } from '../matching.module.js';
import { NetworkView } from '../network/network-view.js';
import { PlanningService } from '../plan/planning.service.js';
import type { QuoteRequest } from './domain/quote.events.js';
import { QuoteService } from './quote.service.js';

const schema = uniqueSchema('matching_quotes');
let now = new Date('2030-01-01T08:00:00Z');
const brand: Principal = { sub: 'b-1', role: 'brand', tokenId: 't-1' };
const meta = { correlationId: 'test', causationId: 'test' };

const request = (process: string, quantity: number, over: Partial<QuoteRequest> = {}): QuoteRequest => ({
  sku: 'sku',
  productName: 'shirt',
  quantity,
  unit: 'pcs',
  dueDate: '2030-01-09T00:00:00.000Z',
  delivery: { lat: 30, lng: 120 },
  route: [{ stepId: 'sew', process, parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: [] }],
  splitPolicy: {},
  ...over,
});

describe('quotes', () => {
  let moduleRef: TestingModule;
  let db: ServiceDatabase;
  let quotes: QuoteService;
  const booked = async (process: string) => {
    const rows: { capacity: string; reserved: string; over: string }[] = await db.dataSource.query(
      `SELECT sum(capacity_min) AS capacity, sum(reserved_min) AS reserved, count(*) FILTER (WHERE reserved_min > capacity_min) AS over FROM "${schema}".capacity_days WHERE process = $1`,
      [process],
    );
    return { capacity: Number(rows[0].capacity), reserved: Number(rows[0].reserved), over: Number(rows[0].over) };
  };

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [MatchingModule.forRoot({ databaseUrl: testDatabaseUrl(), env: { MESHFAB_MATCHING_SCHEMA: schema, MESHFAB_MATCHING_QUOTE_SWEEP_MS: '3600000' }, clock: () => now, pool: { poolSize: 10 } })],
    }).compile();
    db = moduleRef.get(ServiceDatabase);
    quotes = moduleRef.get(QuoteService);
    const network = moduleRef.get(NetworkView);
    await db.dataSource.transaction(async (m) => {
      const shop = async (id: string, process: string, price: number, hours: number, region: string) => {
        await network.registerWorkshop({ workshopId: id, name: id, location: { lat: 30, lng: 120, region }, certifications: [] }, m);
        await network.replaceCapabilities({ workshopId: id, capabilities: [{ process, parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: price, currency: 'CNY' } }] }, m);
        await network.declareCapacity({ workshopId: id, process, hoursPerDay: hours, from: '2030-01-02', until: '2030-01-08', exceptions: [] }, m);
      };
      // sewing: a cheap slow shop and a dear fast one; cutting: one shop with 2 h a day (14 h in all).
      await shop('ws-cheap', 'sewing', 100, 2, 'zhejiang');
      await shop('ws-fast', 'sewing', 150, 8, 'zhejiang');
      await shop('ws-cut', 'cutting', 100, 2, 'jiangsu');
      await shop('ws-print', 'printing', 100, 4, 'jiangsu');
    });
  });

  afterAll(async () => {
    await moduleRef?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('quotes up to three options with totals in minor units and books nothing', async () => {
    const quote = await quotes.quote('b-1', request('sewing', 100), undefined, 'c-1');
    expect(quote.options.map((o) => [o.kind, o.lots.map((l) => l.workshopId), o.totals.totalMinor, o.deliveryDate])).toEqual([
      ['cheapest', ['ws-cheap'], 10_000, '2030-01-07'],
      ['fastest', ['ws-fast'], 15_000, '2030-01-04'],
    ]);
    expect(quote.options[0].totals).toEqual({ workshopsMinor: 9_500, platformFeeMinor: 500, totalMinor: 10_000, currency: 'CNY' });
    expect(quote.options[0].lots[0]).toMatchObject({ start: '2030-01-02', finish: '2030-01-06', quantity: 100 });
    expect(quote.validUntil).toBe('2030-01-01T09:00:00.000Z');
    expect(quote.hold).toBeNull();
    expect(quote.confidence.level).toBe('high');
    expect((await booked('sewing')).reserved).toBe(0);
  });

  it('refuses what the planner cannot read or make, naming why, and stores nothing', async () => {
    const cyclic = request('sewing', 10, {
      route: [
        { stepId: 'a', process: 'sewing', parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: ['b'] },
        { stepId: 'b', process: 'sewing', parameters: {}, workContentHoursPerUnit: 0.1, inspection: { level: 'II', aql: 1 }, dependsOn: ['a'] },
      ],
    });
    await expect(quotes.quote('b-1', cyclic, undefined, 'c')).rejects.toMatchObject({ field: 'route', message: expect.stringContaining('cycle') });
    await expect(quotes.quote('b-1', request('welding', 10), undefined, 'c')).rejects.toMatchObject({ code: 'quote_no_workshop' });
    await expect(quotes.quote('b-1', request('cutting', 1000), undefined, 'c')).rejects.toMatchObject({ code: 'quote_capacity_short' });
    const count: { n: string }[] = await db.dataSource.query(`SELECT count(*) AS n FROM "${schema}".quotes WHERE quote->'request'->'route'->0->>'process' IN ('welding', 'cutting')`);
    expect(Number(count[0].n)).toBe(0);
  });

  it('lets only one of many concurrent holds have the last capacity, never overbooking', async () => {
    // Cutting: 14 h in all; each quote needs 12 h, so one hold fits.
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => quotes.quote('b-1', request('cutting', 120), 'cheapest', `race-${i}`)));
    const held = outcomes.filter((o) => o.status === 'fulfilled');
    expect(held).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as DomainError).code).toMatch(/^quote_capacity_short$|^capacity_taken$/);
    const book = await booked('cutting');
    expect(book).toEqual({ capacity: 14 * 60, reserved: 12 * 60, over: 0 });
    // The hold ends by itself when its time is up: its capacity comes back.
    const quote = (held[0]).value;
    expect(quote.hold).toEqual({ option: 'cheapest', until: '2030-01-01T08:15:00.000Z' });
    now = new Date('2030-01-01T08:16:00Z');
    expect(await quotes.releaseExpiredHolds()).toBe(1);
    expect((await booked('cutting')).reserved).toBe(0);
    expect((await quotes.get(quote.quoteId, brand)).hold).toBeNull();
    now = new Date('2030-01-01T08:00:00Z');
  });

  it('accepts a held quote into an order whose plan is the quoted lots at the quoted prices, once', async () => {
    const quote = await quotes.quote('b-1', request('printing', 100), 'cheapest', 'c-2');
    expect((await booked('printing')).reserved).toBe(600);
    const accept = () => db.dataSource.transaction((m) => quotes.accept(quote.quoteId, brand, undefined, m, 'c-2'));
    const first = await accept();
    expect(first).toMatchObject({ outcome: 'accepted', quoteId: quote.quoteId });
    expect(await accept()).toEqual(first);
    if (first.outcome !== 'accepted') return;
    const events: { type: string; data: { orderId: string; lots: unknown[] } }[] = await db.dataSource.query(
      `SELECT type, data FROM "${schema}".events WHERE stream_id = $1 ORDER BY stream_version`,
      [`quote-${quote.quoteId}`],
    );
    expect(events.map((e) => e.type)).toEqual(['QuoteIssued', 'QuoteAccepted']);
    expect(events[1].data.orderId).toBe(first.orderId);
    // The orders service places the order (OrderSubmitted with quoteId); matching books the quoted lots.
    const order: OrderSubmittedContract = { ...request('printing', 100), orderId: first.orderId, brandId: 'b-1', submittedAt: now.toISOString(), quoteId: quote.quoteId };
    await db.dataSource.transaction((m) => moduleRef.get(PlanningService).planOrder(order, m, meta));
    const lots: { workshop_id: string; price_minor: string; planned_start: Date; planned_end: Date }[] = await db.dataSource.query(
      `SELECT workshop_id, price_minor, planned_start, planned_end FROM "${schema}".subtasks WHERE order_id = $1`,
      [first.orderId],
    );
    expect(lots.map((l) => [l.workshop_id, Number(l.price_minor), l.planned_start.toISOString().slice(0, 10)])).toEqual([['ws-print', quote.options[0].totals.totalMinor, quote.options[0].lots[0].start]]);
    // The hold became the order's reservations: the same minutes, not twice.
    expect((await booked('printing')).reserved).toBe(600);
    expect((await quotes.get(quote.quoteId, brand)).hold).toBeNull();
  });

  it('re-quotes with the reason when capacity moved after an unheld quote', async () => {
    const quote = await quotes.quote('b-1', request('sewing', 60, { dueDate: '2030-01-08T00:00:00.000Z' }), undefined, 'c-3');
    expect(quote.options[0].lots[0].workshopId).toBe('ws-cheap');
    // Another order takes the cheap shop's days meanwhile.
    const other: OrderSubmittedContract = { ...request('sewing', 100), orderId: 'o-other', brandId: 'b-2', submittedAt: now.toISOString() };
    await db.dataSource.transaction((m) => moduleRef.get(PlanningService).planOrder(other, m, meta));
    const answer = await db.dataSource.transaction((m) => quotes.accept(quote.quoteId, brand, 'cheapest', m, 'c-3'));
    expect(answer).toMatchObject({ outcome: 'requoted', reason: expect.stringMatching(/^capacity moved: /) });
    if (answer.outcome !== 'requoted') return;
    expect(answer.quote).toMatchObject({ status: 'issued', requotes: quote.quoteId });
    expect(answer.quote!.options[0].totals.totalMinor).toBeGreaterThan(quote.options[0].totals.totalMinor);
    // The brand's list (the read model) says what the streams say.
    const listed = await quotes.list(brand, 100);
    for (const id of [quote.quoteId, answer.quote!.quoteId]) expect(listed.find((q) => q.quoteId === id)).toEqual(await quotes.get(id, brand));
    expect(await quotes.list({ ...brand, sub: 'b-2' }, 100)).toEqual([]);
    // Another brand sees no such quote.
    await expect(db.dataSource.transaction((m) => quotes.accept(quote.quoteId, { ...brand, sub: 'b-2' }, undefined, m, 'x'))).rejects.toMatchObject({ code: 'quote_not_found' });
  });

  it('shows free and booked hours per day and week, per region and process, naming nobody', async () => {
    const view = moduleRef.get(CapacityViewQuery);
    const days = await view.get({ process: 'printing', region: 'jiangsu', from: '2030-01-01', to: '2030-01-08' });
    expect(days.periods.map((p) => p.start)).toEqual(['2030-01-02', '2030-01-03', '2030-01-04', '2030-01-05', '2030-01-06', '2030-01-07', '2030-01-08']);
    expect(days.periods[0]).toEqual({ start: '2030-01-02', capacityHours: 4, bookedHours: 4, freeHours: 0, utilisation: 1, workshops: 1 });
    const weeks = await view.get({ process: 'printing', from: '2030-01-01', to: '2030-01-08', granularity: 'week' });
    // 2029-12-31 is a Monday: one week up to the 6th, then the next.
    expect(weeks.periods).toEqual([
      { start: '2029-12-31', capacityHours: 20, bookedHours: 10, freeHours: 10, utilisation: 0.5, workshops: 1 },
      { start: '2030-01-07', capacityHours: 8, bookedHours: 0, freeHours: 8, utilisation: 0, workshops: 1 },
    ]);
    expect(JSON.stringify(weeks)).not.toMatch(/ws-|b-1/);
    expect((await view.get({ process: 'printing', region: 'zhejiang', from: '2030-01-01', to: '2030-01-08' })).periods).toEqual([]);
    await expect(view.get({ from: '2030-01-08', to: '2030-01-01' })).rejects.toMatchObject({ field: 'to' });
  });
});
