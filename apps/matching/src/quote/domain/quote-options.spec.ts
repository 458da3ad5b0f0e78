import { DEFAULT_PLANNER_SETTINGS, type Candidate, type PlanningRequest } from '../../plan/domain/planner.js';
import { confidenceOf, feeOf, planQuoteOptions } from './quote-options.js';

const D0 = 20_000;
const here = { lat: 30, lng: 120 };
function workshop(id: string, priceMinor: number, hours: number, days = 20): Candidate {
  const free = new Map<number, number>();
  for (let d = D0; d < D0 + days; d++) free.set(d, hours * 60);
  return { workshopId: id, location: here, efficiency: 1, pricing: 'per_unit', priceMinor, currency: 'CNY', quality: 1, free };
}
const request: PlanningRequest = {
  firstDay: D0,
  lastDay: D0 + 19,
  delivery: here,
  steps: [{ stepId: 'sew', process: 'sewing', workContentHoursPerUnit: 0.1, dependsOn: [], quantity: 400 }],
};
const settings = { ...DEFAULT_PLANNER_SETTINGS, costPerKmMinor: 0 };

describe('quote options', () => {
  it('takes the platform fee in basis points of each lot, rounded down, exactly', () => {
    expect(feeOf(10_000, 500)).toBe(500);
    expect(feeOf(10_019, 500)).toBe(500);
    expect(feeOf(9_007_199_254_740_991, 500)).toBe(450_359_962_737_049);
  });

  it('offers the cheapest plan, the fastest and one between, with totals in minor units', () => {
    // slow: cheap, 2 h a day (20 days for 40 h); mid: 8 h a day; fast: dear, 24 h a day.
    const candidates = new Map([['sewing', [workshop('slow', 100, 2), workshop('mid', 110, 4), workshop('fast', 150, 20)]]]);
    const quote = planQuoteOptions(request, candidates, settings, 500);
    if (!quote.ok) throw new Error(quote.failure.reason);
    expect(quote.options.map((o) => [o.kind, o.lots[0].workshopId, o.totals.totalMinor, o.deliveryDate])).toEqual([
      ['cheapest', 'slow', 40_000, '2024-10-24'],
      ['fastest', 'fast', 60_000, '2024-10-06'],
      ['balanced', 'mid', 44_000, '2024-10-14'],
    ]);
    expect(quote.options[0].totals).toEqual({ workshopsMinor: 38_000, platformFeeMinor: 2_000, totalMinor: 40_000, currency: 'CNY' });
    expect(quote.options[0].earliestStart).toBe('2024-10-04');
  });

  it('leaves out options no different from one before, and fails as the planner does', () => {
    const one = new Map([['sewing', [workshop('only', 100, 8)]]]);
    const quote = planQuoteOptions(request, one, settings, 500);
    expect(quote.ok && quote.options.map((o) => o.kind)).toEqual(['cheapest']);
    expect(planQuoteOptions(request, new Map(), settings, 500)).toMatchObject({ ok: false, failure: { kind: 'no_workshop' } });
  });

  it('rates confidence by the share of the candidates’ free time the plan leaves free', () => {
    const roomy = new Map([['sewing', [workshop('a', 100, 8), workshop('b', 100, 8)]]]); // 320 h free, 40 h used
    const q = planQuoteOptions(request, roomy, settings, 500);
    if (!q.ok) throw new Error('plans');
    expect(q.confidence).toEqual({ level: 'high', slack: 0.875 });
    const tight = new Map([['sewing', [workshop('a', 100, 2, 20)]]]); // 40 h free, 40 h used
    const t = planQuoteOptions(request, tight, settings, 500);
    if (!t.ok) throw new Error('plans');
    expect(t.confidence).toEqual({ level: 'low', slack: 0 });
    expect(confidenceOf(request, { ok: true, lots: [], completionDay: D0, mode: 'cost' }, tight)).toEqual({ level: 'high', slack: 1 });
  });
});
