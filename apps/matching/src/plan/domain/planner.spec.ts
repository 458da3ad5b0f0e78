import fc from 'fast-check';
import { DEFAULT_PLANNER_SETTINGS, haversineKm, layoutOf, minutesFor, planRoute, priceFor, topologicalOrder, type Candidate, type PlanningRequest, type StepDemand } from './planner.js';

const D0 = 20_000; // a day number
const here = { lat: 30, lng: 120 };
const near = { lat: 30.01, lng: 120 };
const far = { lat: 40, lng: 116 };

function workshop(id: string, over: Partial<Candidate> & { hours?: number; days?: number; fromDay?: number } = {}): Candidate {
  const { hours = 8, days = 10, fromDay = D0, ...rest } = over;
  const free = new Map<number, number>();
  for (let d = fromDay; d < fromDay + days; d++) free.set(d, hours * 60);
  return { workshopId: id, location: here, efficiency: 1, pricing: 'per_unit', priceMinor: 100, currency: 'CNY', quality: 1, free, ...rest };
}

const step = (stepId: string, process: string, over: Partial<StepDemand> = {}): StepDemand => ({ stepId, process, workContentHoursPerUnit: 0.1, dependsOn: [], quantity: 100, ...over });
const request = (steps: StepDemand[], over: Partial<PlanningRequest> = {}): PlanningRequest => ({ firstDay: D0, lastDay: D0 + 9, delivery: here, steps, ...over });
const settings = { ...DEFAULT_PLANNER_SETTINGS, costPerKmMinor: 0 };

describe('route layout', () => {
  /** `layers` layers of two steps, each depending on both steps of the layer before: 2^(layers-1) paths from a first step. */
  const layered = (layers: number) =>
    Array.from({ length: layers }, (_, i) => ['a', 'b'].map((side) => ({ stepId: `l${i + 1}${side}`, dependsOn: i === 0 ? [] : [`l${i}a`, `l${i}b`] }))).flat();

  it('counts the longest chain after each step in one pass, however many paths the route has', () => {
    // 500 layers: 2^499 paths; a walk of every path would never end.
    const { steps, stepsAfter, successors } = layoutOf(layered(500));
    expect(steps).toHaveLength(1000);
    expect([stepsAfter.get('l1a'), stepsAfter.get('l250b'), stepsAfter.get('l500a')]).toEqual([499, 250, 0]);
    expect(successors.get('l1b')).toEqual(['l2a', 'l2b']);
  });

  it('orders steps after their dependencies (route order among the ready ones) and refuses a cycle', () => {
    const route = [{ stepId: 'pack', dependsOn: ['sew'] }, { stepId: 'cut', dependsOn: [] }, { stepId: 'sew', dependsOn: ['cut', 'print'] }, { stepId: 'print', dependsOn: [] }];
    expect(topologicalOrder(route).map((s) => s.stepId)).toEqual(['cut', 'print', 'sew', 'pack']);
    expect(layoutOf(route).stepsAfter).toEqual(new Map([['pack', 0], ['sew', 1], ['print', 2], ['cut', 2]]));
    expect(() => topologicalOrder([{ stepId: 'a', dependsOn: ['b'] }, { stepId: 'b', dependsOn: ['a'] }])).toThrow('the route has a cycle');
  });
});

describe('planner on hand-made cases', () => {
  it('prices per unit and per hour exactly in integer minor units, rounding half up once per lot', () => {
    expect(priceFor({ pricing: 'per_unit', priceMinor: 250, efficiency: 1.3 }, 0.5, 7)).toBe(1750);
    // 3333 × 1.1 × 0.25 × 3 = 2749.725 → 2750
    expect(priceFor({ pricing: 'per_hour', priceMinor: 3333, efficiency: 1.1 }, 0.25, 3)).toBe(2750);
    expect(minutesFor({ efficiency: 1.1 }, 0.25, 3)).toBe(50); // 49.5 → 50
    // Exact, half up once per lot (issue 16): 123,457 × 1.1 × 0.3 × 3,000,000 is 122,222,430,000 exactly;
    // the float product (…000.00002) made the old ceil-minus-epsilon charge a fen more.
    expect(priceFor({ pricing: 'per_hour', priceMinor: 123_457, efficiency: 1.1 }, 0.3, 3_000_000)).toBe(122_222_430_000);
    expect(priceFor({ pricing: 'per_hour', priceMinor: 999, efficiency: 1 }, 0.3333, 100)).toBe(33_297); // 33296.67
    expect(priceFor({ pricing: 'per_hour', priceMinor: 3, efficiency: 1 }, 0.5, 1)).toBe(2); // 1.5 → 2
    expect(haversineKm({ lat: 0, lng: 0 }, { lat: 0, lng: 1 })).toBeCloseTo(111.19, 1);
  });

  it('gives the step to the cheapest workshop that makes it in time', () => {
    const result = planRoute(request([step('cut', 'cutting')]), new Map([['cutting', [workshop('a', { priceMinor: 120 }), workshop('b', { priceMinor: 90 }), workshop('c', { priceMinor: 95 })]]]), settings);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lots).toHaveLength(1);
    expect(result.lots[0]).toMatchObject({ workshopId: 'b', quantity: 100, priceMinor: 9000, minutes: 600, startDay: D0, endDay: D0 + 1 });
    expect(result.lots[0].days).toEqual([{ day: D0, minutes: 480 }, { day: D0 + 1, minutes: 120 }]);
    expect(result.lots[0].explanation.binding).toBe('cost');
    expect(result.lots[0].explanation.candidates.map((c) => [c.workshopId, c.outcome])).toEqual([
      ['b', 'chosen'],
      ['c', 'higher_score'],
      ['a', 'higher_score'],
    ]);
  });

  it('weighs quality risk: a cheaper shop with a poor record loses', () => {
    const result = planRoute(request([step('cut', 'cutting')]), new Map([['cutting', [workshop('risky', { priceMinor: 90, quality: 0.5 }), workshop('solid', { priceMinor: 100, quality: 0.98 })]]]), settings);
    expect(result.ok && result.lots[0].workshopId).toBe('solid');
  });

  it('weighs transport: a slightly cheaper shop 1,200 km away loses when transport costs 2 CNY/km', () => {
    const shops = [workshop('far', { priceMinor: 95, location: far }), workshop('near', { priceMinor: 100, location: near })];
    const result = planRoute(request([step('cut', 'cutting')]), new Map([['cutting', shops]]), { ...settings, costPerKmMinor: 200 });
    expect(result.ok && result.lots[0].workshopId).toBe('near');
    const free = planRoute(request([step('cut', 'cutting')]), new Map([['cutting', shops]]), settings);
    expect(free.ok && free.lots[0].workshopId).toBe('far');
  });

  it('splits a step across workshops when none can make it alone before the due date', () => {
    // 100 units × 0.1 h = 10 h; each shop has 2 days × 3 h = 6 h.
    const shops = [workshop('a', { hours: 3, days: 2 }), workshop('b', { hours: 3, days: 2, priceMinor: 110 }), workshop('c', { hours: 3, days: 2, priceMinor: 120 })];
    const result = planRoute(request([step('sew', 'sewing')], { lastDay: D0 + 1 }), new Map([['sewing', shops]]), settings);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lots.map((l) => [l.workshopId, l.quantity])).toEqual([
      ['a', 60],
      ['b', 40],
    ]);
    expect(result.lots[0].explanation.binding).toBe('capacity_before_due_date');
  });

  it('respects minLotSize and maxWorkshopsPerStep, and says by how many hours capacity is short', () => {
    const shops = [workshop('a', { hours: 3, days: 2 }), workshop('b', { hours: 3, days: 2 }), workshop('c', { hours: 3, days: 2, priceMinor: 130 })];
    const limited = planRoute(request([step('sew', 'sewing')], { lastDay: D0 + 1, maxWorkshopsPerStep: 1 }), new Map([['sewing', shops]]), settings);
    expect(limited).toEqual({ ok: false, failure: expect.objectContaining({ kind: 'capacity_short', stepId: 'sew', shortHours: 4 }) });
    if (!limited.ok) expect(limited.failure.reason).toMatch(/capacity short by 4 hours before the due date for step sew \(sewing\)/);
    const minLot = planRoute(request([step('sew', 'sewing', { quantity: 130 })], { lastDay: D0 + 1, minLotSize: 25 }), new Map([['sewing', shops]]), settings);
    expect(minLot.ok).toBe(true);
    if (minLot.ok) expect(minLot.lots.map((l) => [l.workshopId, l.quantity])).toEqual([['a', 60], ['b', 45], ['c', 25]]);
  });

  it('says which process has no workshop at all', () => {
    const result = planRoute(request([step('cut', 'cutting'), step('ano', 'anodizing', { dependsOn: ['cut'] })]), new Map([['cutting', [workshop('a')]]]), settings);
    expect(result).toEqual({ ok: false, failure: expect.objectContaining({ kind: 'no_workshop', process: 'anodizing', reason: 'no workshop for process anodizing (step ano)' }) });
  });

  it('starts a step the day after its predecessors end and keeps a day for each later step', () => {
    const route = [step('cut', 'cutting'), step('sew', 'sewing', { dependsOn: ['cut'] }), step('pack', 'packing', { dependsOn: ['sew'] })];
    const result = planRoute(request(route, { lastDay: D0 + 5 }), new Map([['cutting', [workshop('a')]], ['sewing', [workshop('b')]], ['packing', [workshop('c')]]]), settings);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [cut, sew, pack] = result.lots;
    expect([cut.startDay, cut.endDay, sew.startDay, sew.endDay, pack.startDay, pack.endDay]).toEqual([D0, D0 + 1, D0 + 2, D0 + 3, D0 + 4, D0 + 5]);
    expect(result.completionDay).toBe(D0 + 5);
    const tooTight = planRoute(request(route, { lastDay: D0 + 4 }), new Map([['cutting', [workshop('a')]], ['sewing', [workshop('b')]], ['packing', [workshop('c')]]]), settings);
    expect(tooTight.ok).toBe(false);
  });

  it('falls back to the earliest finish when the cheapest choice would make the due date impossible', () => {
    // The cheap cutter is free only from day 2; sewing then has one day left but needs two.
    const cutters = [workshop('cheap-late', { priceMinor: 10, fromDay: D0 + 2 }), workshop('dear-early', { priceMinor: 200 })];
    const route = [step('cut', 'cutting', { quantity: 10 }), step('sew', 'sewing', { dependsOn: ['cut'], quantity: 10 })];
    const result = planRoute(request(route, { lastDay: D0 + 3 }), new Map([['cutting', cutters], ['sewing', [workshop('s', { hours: 0.5 })]]]), settings);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.mode).toBe('deadline');
    expect(result.lots[0].workshopId).toBe('dear-early');
  });

  it('never offers the lot to an excluded workshop', () => {
    const result = planRoute(request([step('cut', 'cutting', { excludedWorkshops: ['b'] })]), new Map([['cutting', [workshop('a', { priceMinor: 120 }), workshop('b', { priceMinor: 90 })]]]), settings);
    expect(result.ok && result.lots[0].workshopId).toBe('a');
    if (result.ok) expect(result.lots[0].explanation.candidates.find((c) => c.workshopId === 'b')?.outcome).toBe('excluded');
  });
});

const PROCESSES = ['cutting', 'sewing', 'printing'];
const arbNetwork = fc.array(
  fc.record({
    processes: fc.subarray(PROCESSES, { minLength: 1 }),
    efficiency: fc.double({ min: 0.5, max: 2, noNaN: true }),
    priceMinor: fc.integer({ min: 1, max: 1000 }),
    quality: fc.double({ min: 0, max: 1, noNaN: true }),
    lat: fc.double({ min: 20, max: 40, noNaN: true }),
    lng: fc.double({ min: 100, max: 120, noNaN: true }),
    hours: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 12, maxLength: 12 }),
  }),
  { minLength: 1, maxLength: 8 },
);
const arbRoute = fc.array(fc.record({ process: fc.constantFrom(...PROCESSES), wc: fc.double({ min: 0.01, max: 0.5, noNaN: true }), deps: fc.array(fc.nat(), { maxLength: 3 }) }), { minLength: 1, maxLength: 5 });

describe('planner properties', () => {
  it('every plan respects capability, capacity, precedence, the due date and the split policy', () => {
    fc.assert(
      fc.property(arbNetwork, arbRoute, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 2, max: 11 }), fc.option(fc.integer({ min: 1, max: 4 })), fc.option(fc.integer({ min: 1, max: 50 })), (net, route, quantity, span, maxW, minLot) => {
        const candidates = new Map<string, Candidate[]>();
        net.forEach((w, i) => {
          for (const p of w.processes) {
            const free = new Map(w.hours.map((h, d) => [D0 + d, h * 60] as [number, number]));
            candidates.set(p, [...(candidates.get(p) ?? []), { workshopId: `w${i}`, location: { lat: w.lat, lng: w.lng }, efficiency: w.efficiency, pricing: i % 2 ? 'per_hour' : 'per_unit', priceMinor: w.priceMinor, currency: 'CNY', quality: w.quality, free }]);
          }
        });
        const steps: StepDemand[] = route.map((r, i) => ({ stepId: `s${i}`, process: r.process, workContentHoursPerUnit: r.wc, quantity, dependsOn: i === 0 ? [] : [...new Set(r.deps.map((d) => `s${d % i}`))] }));
        const req = request(steps, { lastDay: D0 + span, maxWorkshopsPerStep: maxW ?? undefined, minLotSize: minLot ?? undefined });
        const result = planRoute(req, candidates, DEFAULT_PLANNER_SETTINGS);
        if (!result.ok) return;
        const used = new Map<string, number>();
        for (const s of steps) {
          const lots = result.lots.filter((l) => l.stepId === s.stepId);
          expect(lots.reduce((n, l) => n + l.quantity, 0)).toBe(quantity);
          if (maxW) expect(lots.length).toBeLessThanOrEqual(maxW);
          if (minLot && lots.length > 1) for (const l of lots) expect(l.quantity).toBeGreaterThanOrEqual(Math.min(minLot, quantity));
          for (const l of lots) {
            const c = (candidates.get(s.process) ?? []).find((x) => x.workshopId === l.workshopId);
            expect(c).toBeDefined(); // capability
            expect(l.minutes).toBe(minutesFor(c!, s.workContentHoursPerUnit, l.quantity));
            expect(l.days.reduce((n, d) => n + d.minutes, 0)).toBe(l.minutes);
            expect(l.endDay).toBeLessThanOrEqual(req.lastDay);
            for (const d of l.days) {
              const key = `${l.workshopId}|${s.process}|${d.day}`;
              used.set(key, (used.get(key) ?? 0) + d.minutes);
              expect(used.get(key)).toBeLessThanOrEqual(c!.free.get(d.day) ?? 0); // capacity
            }
            for (const p of s.dependsOn) for (const pl of result.lots.filter((x) => x.stepId === p)) expect(l.startDay).toBeGreaterThan(pl.endDay); // precedence
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a single workshop with room for everything always yields a plan (feasibility claims hold)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.01, max: 0.2, noNaN: true }), (quantity, wc) => {
        const big = workshop('big', { hours: 24, days: 12 });
        const result = planRoute(request([step('a', 'cutting', { quantity, workContentHoursPerUnit: wc })], { lastDay: D0 + 11 }), new Map([['cutting', [big]]]), settings);
        expect(result.ok).toBe(true);
      }),
    );
  });
});
