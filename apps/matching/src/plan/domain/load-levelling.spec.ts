import { DEFAULT_PLANNER_SETTINGS, fillLevelled, peakPenaltyMinor, planRoute, WorkingCapacity, type Candidate, type PlanningRequest, type StepDemand } from './planner.js';

const D0 = 20_000;
const here = { lat: 30, lng: 120 };

function workshop(id: string, over: Partial<Candidate> & { hours?: number; days?: number } = {}): Candidate {
  const { hours = 8, days = 10, ...rest } = over;
  const free = new Map<number, number>();
  for (let d = D0; d < D0 + days; d++) free.set(d, hours * 60);
  return { workshopId: id, location: here, efficiency: 1, pricing: 'per_unit', priceMinor: 100, currency: 'CNY', quality: 1, free, ...rest };
}
const step = (over: Partial<StepDemand> = {}): StepDemand => ({ stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.1, dependsOn: [], quantity: 100, ...over });
const request = (steps: StepDemand[], over: Partial<PlanningRequest> = {}): PlanningRequest => ({ firstDay: D0, lastDay: D0 + 9, delivery: here, steps, ...over });
const plain = { ...DEFAULT_PLANNER_SETTINGS, costPerKmMinor: 0 };
/** The first three days are peak days for sewing. */
const peakDays = new Map([['sewing', new Set([D0, D0 + 1, D0 + 2])]]);
const levelled = (peakPenalty: number) => ({ ...plain, levelling: { peakDaysOf: (process: string) => peakDays.get(process), peakPenalty } });

describe('load levelling: the objective', () => {
  it('prices the peak penalty as weight × price × share of the minutes on peak days, rounded up', () => {
    const days = [
      { day: D0, minutes: 300 },
      { day: D0 + 5, minutes: 100 },
    ];
    expect(peakPenaltyMinor(10_000, days, peakDays.get('sewing'), 0.1)).toBe(750); // 0.1 × 10,000 × 300/400
    expect(peakPenaltyMinor(10_001, days, peakDays.get('sewing'), 0.1)).toBe(751); // 750.075 → 751
    expect(peakPenaltyMinor(10_000, days, undefined, 0.1)).toBe(0);
    expect(peakPenaltyMinor(10_000, days, peakDays.get('sewing'), 0)).toBe(0);
  });

  it('fills off-peak days first, and peak days only for what does not fit on the others', () => {
    const c = workshop('a', { days: 5 });
    expect(fillLevelled(c, 'sewing', 600, D0, D0 + 4, new WorkingCapacity(), peakDays.get('sewing'))).toEqual([
      { day: D0 + 3, minutes: 480 },
      { day: D0 + 4, minutes: 120 },
    ]);
    // 1,200 minutes: both off-peak days full, the rest on the earliest peak day.
    expect(fillLevelled(c, 'sewing', 1200, D0, D0 + 4, new WorkingCapacity(), peakDays.get('sewing'))).toEqual([
      { day: D0, minutes: 240 },
      { day: D0 + 3, minutes: 480 },
      { day: D0 + 4, minutes: 480 },
    ]);
    expect(fillLevelled(c, 'sewing', 5000, D0, D0 + 4, new WorkingCapacity(), peakDays.get('sewing'))).toBeNull();
  });

  it('moves a lot off the peak days when the due date allows, at the same workshop and price', () => {
    const shops = new Map([['sewing', [workshop('a')]]]);
    const before = planRoute(request([step()]), shops, plain);
    const after = planRoute(request([step()]), shops, levelled(0.05));
    if (!before.ok || !after.ok) throw new Error('both plan');
    expect(before.lots[0].days.map((d) => d.day)).toEqual([D0, D0 + 1]);
    expect(after.lots[0].days.map((d) => d.day)).toEqual([D0 + 3, D0 + 4]);
    expect(after.lots[0].priceMinor).toBe(before.lots[0].priceMinor);
    expect(after.lots[0].peakMinor).toBe(0);
  });

  it('pays a small documented cost to avoid the peak: a dearer workshop free off-peak wins within the penalty', () => {
    // "cheap" is free only on peak days; "dear" (2 % dearer) off-peak. Penalty 5 % of the price > 2 %.
    const cheap = workshop('cheap', { days: 3 });
    const dear = workshop('dear', { priceMinor: 102 });
    const shops = new Map([['sewing', [cheap, dear]]]);
    expect(planRoute(request([step()]), shops, plain)).toMatchObject({ ok: true, lots: [{ workshopId: 'cheap' }] });
    const after = planRoute(request([step()]), shops, levelled(0.05));
    expect(after).toMatchObject({ ok: true, lots: [{ workshopId: 'dear', priceMinor: 10_200, peakMinor: 0 }] });
    // A penalty below the price difference leaves the cheaper peak-day workshop.
    expect(planRoute(request([step()]), shops, levelled(0.01))).toMatchObject({ ok: true, lots: [{ workshopId: 'cheap', peakMinor: 100 }] });
  });

  it('asks the peak days of each candidate’s own region: a shop in a quiet region is not penalised', () => {
    const busy = { ...workshop('busy'), location: { lat: 30, lng: 120 } };
    const quiet = { ...workshop('quiet', { priceMinor: 102 }), location: { lat: 31.5, lng: 120 } };
    const perRegion = { ...plain, levelling: { peakDaysOf: (_p: string, c: Candidate) => (c.location.lat < 31 ? new Set(Array.from({ length: 10 }, (_, i) => D0 + i)) : undefined), peakPenalty: 0.05 } };
    expect(planRoute(request([step()]), new Map([['sewing', [busy, quiet]]]), perRegion)).toMatchObject({ ok: true, lots: [{ workshopId: 'quiet', peakMinor: 0 }] });
  });

  it('never misses the due date to level: a route that fits only on peak days is planned as without levelling', () => {
    const shops = new Map([['sewing', [workshop('a')]]]);
    const due = request([step({ quantity: 400 })], { lastDay: D0 + 4 }); // 40 h: five full days, peak ones included
    const before = planRoute(due, shops, plain);
    const after = planRoute(due, shops, levelled(1));
    expect(after.ok).toBe(true);
    if (!before.ok || !after.ok) return;
    expect(Math.max(...after.lots.map((l) => l.endDay))).toBeLessThanOrEqual(D0 + 4);
    expect(after.completionDay).toBe(before.completionDay);
  });

  it('levels each step of a route while the successors keep their time', () => {
    const shops = new Map([
      ['sewing', [workshop('s')]],
      ['packing', [workshop('p')]],
    ]);
    const route = [step(), step({ stepId: 'pack', process: 'packing', dependsOn: ['sew'] })];
    const result = planRoute(request(route), shops, levelled(0.05));
    if (!result.ok) throw new Error(result.failure.reason);
    const sew = result.lots.find((l) => l.stepId === 'sew')!;
    const pack = result.lots.find((l) => l.stepId === 'pack')!;
    expect(sew.startDay).toBe(D0 + 3);
    expect(pack.startDay).toBeGreaterThan(sew.endDay);
    expect(result.completionDay).toBeLessThanOrEqual(D0 + 9);
  });
});
