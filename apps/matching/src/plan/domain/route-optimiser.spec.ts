import fc from 'fast-check';
import { DEFAULT_PLANNER_SETTINGS, planRoute, type Candidate, type PlanningRequest, type StepDemand } from './planner.js';
import { DEFAULT_OPTIMISER_SETTINGS, describePlan, planRouteOptimised, totalScore } from './route-optimiser.js';

const D0 = 20_000;
const here = { lat: 30, lng: 120 };
const settings = { ...DEFAULT_PLANNER_SETTINGS, costPerKmMinor: 0 };
// Reproducible: the iteration cap ends each search, never the clock.
const optimiser = { ...DEFAULT_OPTIMISER_SETTINGS, timeLimitMs: 10_000, maxIterations: 300 };

function workshop(id: string, minutesPerDay: number, days: number, priceMinor = 100): Candidate {
  const free = new Map<number, number>();
  for (let d = D0; d < D0 + days; d++) free.set(d, minutesPerDay);
  return { workshopId: id, location: here, efficiency: 1, pricing: 'per_unit', priceMinor, currency: 'CNY', quality: 1, free };
}

describe('planner with the shared optimiser', () => {
  // Cutting needs 15 h, sewing 10 h, in 4 days. Either cutter alone can cut it all by day 3, which
  // leaves the only sewer one day — not enough. Cutting in two lots on both cutters ends on day 2, and
  // the sewer has days 3 and 4.
  const route: StepDemand[] = [
    { stepId: 'cut', process: 'cutting', workContentHoursPerUnit: 0.15, dependsOn: [], quantity: 100 },
    { stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.1, dependsOn: ['cut'], quantity: 100 },
  ];
  const request: PlanningRequest = { firstDay: D0, lastDay: D0 + 3, delivery: here, steps: route };
  const network = new Map([
    ['cutting', [workshop('x', 300, 4, 100), workshop('y', 300, 4, 110)]],
    ['sewing', [workshop('s', 300, 4)]],
  ]);

  it('finds the plan the greedy misses when the due date binds: lots split so the next step keeps its time', () => {
    const greedy = planRoute(request, network, settings);
    expect(greedy).toEqual({ ok: false, failure: expect.objectContaining({ kind: 'capacity_short', stepId: 'sew' }) });

    const result = planRouteOptimised(request, network, settings, optimiser);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.mode).toBe('optimised');
    expect(describePlan(result).sort()).toEqual([
      'cut@x×63 [2024-10-04..2024-10-05]',
      'cut@y×37 [2024-10-04..2024-10-05]',
      'sew@s×100 [2024-10-06..2024-10-07]',
    ]);
    expect(result.completionDay).toBe(D0 + 3);
    const sew = result.lots.find((l) => l.stepId === 'sew')!;
    expect(sew.days).toEqual([{ day: D0 + 2, minutes: 300 }, { day: D0 + 3, minutes: 300 }]);
    expect(sew.explanation).toMatchObject({ mode: 'optimised', binding: 'due_date', optimiser: { lots: 1, workshopsModelled: 1 } });
    const cut = result.lots.find((l) => l.stepId === 'cut')!;
    // Cutting as a stage: eight lots of 12–13 units over both cutters, done on day 2 either way; the
    // cost repair then gives the cheaper cutter all it can still finish by then (63 units).
    expect(cut.explanation).toMatchObject({ mode: 'optimised', window: { earliestDay: D0, latestDay: D0 + 2 }, optimiser: { lots: 8, workshopsModelled: 2 } });
    expect(cut.explanation.candidates.map((c) => [c.workshopId, c.outcome])).toEqual([
      ['x', 'chosen'],
      ['y', 'chosen'],
    ]);
    expect(result.lots.filter((l) => l.stepId === 'cut').map((l) => l.priceMinor)).toEqual([6300, 37 * 110]);
  });

  it('keeps the greedy cost plan when it meets the due date (nothing to optimise)', () => {
    const roomy = { ...request, lastDay: D0 + 9 };
    const wide = new Map([
      ['cutting', [workshop('x', 300, 10, 100), workshop('y', 300, 10, 110)]],
      ['sewing', [workshop('s', 300, 10)]],
    ]);
    const result = planRouteOptimised(roomy, wide, settings, optimiser);
    expect(result).toEqual(planRoute(roomy, wide, settings));
    expect(result.ok && result.mode).toBe('cost');
  });

  it('respects the split policy: no model with more workshops per step than allowed', () => {
    const result = planRouteOptimised({ ...request, maxWorkshopsPerStep: 1 }, network, settings, optimiser);
    expect(result.ok).toBe(false);
  });

  it('without the optimiser it is the greedy', () => {
    expect(planRouteOptimised(request, network, settings, null)).toEqual(planRoute(request, network, settings));
  });
});

describe('planner with the shared optimiser (property)', () => {
  const processes = ['cutting', 'sewing', 'packing'];
  const candidateArb = (id: string) =>
    fc.record({
      minutesPerDay: fc.integer({ min: 60, max: 480 }),
      days: fc.integer({ min: 1, max: 8 }),
      offset: fc.integer({ min: 0, max: 3 }),
      priceMinor: fc.integer({ min: 10, max: 200 }),
      efficiency: fc.constantFrom(0.8, 1, 1.25),
      quality: fc.constantFrom(0.8, 0.95, 1),
    }).map((r): Candidate => {
      const free = new Map<number, number>();
      for (let d = D0 + r.offset; d < D0 + r.offset + r.days; d++) free.set(d, r.minutesPerDay);
      return { workshopId: id, location: here, efficiency: r.efficiency, pricing: 'per_unit', priceMinor: r.priceMinor, currency: 'CNY', quality: r.quality, free };
    });
  const caseArb = fc.record({
    steps: fc.integer({ min: 1, max: 3 }),
    quantity: fc.integer({ min: 10, max: 200 }),
    wc: fc.array(fc.constantFrom(0.05, 0.1, 0.2), { minLength: 3, maxLength: 3 }),
    lastDay: fc.integer({ min: D0 + 2, max: D0 + 9 }),
    network: fc.tuple(...processes.map((p) => fc.array(candidateArb(p), { minLength: 1, maxLength: 4 }))),
  });

  it('every plan respects capability, capacity, precedence and the due date, and is never worse than the greedy', () => {
    const modes: Record<string, number> = {};
    fc.assert(
      fc.property(caseArb, (c) => {
        const steps: StepDemand[] = Array.from({ length: c.steps }, (_, i) => ({
          stepId: `s${i}`,
          process: processes[i],
          workContentHoursPerUnit: c.wc[i],
          dependsOn: i === 0 ? [] : [`s${i - 1}`],
          quantity: c.quantity,
        }));
        const network = new Map(processes.map((p, i) => [p, c.network[i].map((w, k) => ({ ...w, workshopId: `${p}-${k}` }))]));
        const request: PlanningRequest = { firstDay: D0, lastDay: c.lastDay, delivery: here, steps };
        const greedy = planRoute(request, network, settings);
        const result = planRouteOptimised(request, network, settings, { ...optimiser, maxIterations: 60 });
        if (greedy.ok) expect(result.ok).toBe(true);
        if (!result.ok) return;
        modes[result.mode] = (modes[result.mode] ?? 0) + 1;
        if (greedy.ok && greedy.mode !== 'cost') expect(totalScore(result, settings)).toBeLessThanOrEqual(totalScore(greedy, settings));
        const used = new Map<string, number>();
        for (const step of steps) {
          const lots = result.lots.filter((l) => l.stepId === step.stepId);
          expect(lots.reduce((s, l) => s + l.quantity, 0)).toBe(step.quantity);
          for (const lot of lots) {
            const w = network.get(step.process)!.find((x) => x.workshopId === lot.workshopId);
            expect(w).toBeDefined();
            expect(lot.days.reduce((s, d) => s + d.minutes, 0)).toBe(lot.minutes);
            expect(lot.minutes).toBeGreaterThanOrEqual(Math.ceil(w!.efficiency * step.workContentHoursPerUnit * lot.quantity * 60 - 1e-9));
            for (const d of lot.days) {
              const key = `${lot.workshopId}|${d.day}`;
              used.set(key, (used.get(key) ?? 0) + d.minutes);
              expect(used.get(key)!).toBeLessThanOrEqual(w!.free.get(d.day) ?? 0);
              expect(d.day).toBeGreaterThanOrEqual(D0);
              expect(d.day).toBeLessThanOrEqual(c.lastDay);
            }
            for (const pred of result.lots.filter((l) => step.dependsOn.includes(l.stepId))) expect(lot.startDay).toBeGreaterThan(pred.endDay);
          }
        }
      }),
      { numRuns: 120, seed: 42 },
    );
    // The cases reach every path: plans the greedy's cost pass found, and plans only the optimiser found.
    expect(modes.cost).toBeGreaterThan(0);
    expect(modes.optimised).toBeGreaterThan(0);
  });
});
