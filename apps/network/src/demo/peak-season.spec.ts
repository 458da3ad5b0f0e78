import { buildScenario } from './network-model.js';
import { formatPeakSeason, peakSeasonLevelling } from './peak-season.js';

describe("the demo's peak season with levelling on and off", () => {
  it('is the same for the same seed, plans the same orders, and levels: fewer region-days at peak, at a small cost', () => {
    const scenario = buildScenario({ seed: 42, workshops: 120, orders: 40 });
    const report = peakSeasonLevelling(scenario, 0.5, 0.05);
    expect(peakSeasonLevelling(buildScenario({ seed: 42, workshops: 120, orders: 40 }), 0.5, 0.05)).toEqual(report);
    expect(report.on.ordersPlanned).toBe(report.off.ordersPlanned);
    expect(report.on.daysAtPeak).toBeLessThan(report.off.daysAtPeak);
    // A small documented cost: within the penalty.
    expect(report.on.priceMinor).toBeLessThanOrEqual(report.off.priceMinor * 1.05);
    expect(formatPeakSeason(report).join('\n')).toContain('levelling cost');
  });
});
