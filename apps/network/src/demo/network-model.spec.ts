import { PROCESS_CATALOGUE } from '#libs/contracts';
import { KNOWN_PROCESSES } from '../../../orders/src/order/domain/process-catalogue.js';
import { buildScenario, CLUSTERS, PRODUCTS } from './network-model.js';
import { Prng } from './prng.js';

describe('the demo network model', () => {
  it('is the same network for the same seed, and another for another seed', () => {
    const a = buildScenario({ seed: 42, workshops: 120, orders: 40 });
    expect(buildScenario({ seed: 42, workshops: 120, orders: 40 })).toEqual(a);
    expect(buildScenario({ seed: 43, workshops: 120, orders: 40 }).workshops.map((w) => w.name)).not.toEqual(a.workshops.map((w) => w.name));
  });

  it('names only processes that both the registry and the orders service know', () => {
    const used = new Set([...PRODUCTS.flatMap((p) => p.route.map((s) => s.process)), ...CLUSTERS.flatMap((c) => c.processes.map((p) => p.process))]);
    for (const process of used) {
      expect(PROCESS_CATALOGUE).toContain(process);
      expect(KNOWN_PROCESSES).toContain(process);
    }
  });

  it.each([12, 30, 120, 400])('covers every process of every product with %i workshops, with unique names', (count) => {
    const { workshops } = buildScenario({ seed: 1, workshops: count, orders: 10 });
    expect(workshops).toHaveLength(count);
    expect(new Set(workshops.map((w) => w.name)).size).toBe(count);
    const offered = new Set(workshops.flatMap((w) => w.capabilities.map((c) => c.process)));
    for (const step of PRODUCTS.flatMap((p) => p.route)) expect(offered).toContain(step.process);
    for (const w of workshops) for (const c of w.capabilities) expect(c.hoursPerDay).toBeLessThanOrEqual(24);
  });

  it('puts the peak last, with orders no single shop can make in time', () => {
    const { orders, workshops } = buildScenario({ seed: 42, workshops: 120, orders: 40 });
    const peak = orders.filter((o) => o.peak);
    expect(peak.length).toBe(12);
    expect(orders.slice(-12).every((o) => o.peak)).toBe(true);
    // At least one peak order's last step needs more hours before its due date than the largest shop shares.
    const exceeds = peak.filter((o) => {
      const last = o.product.route[o.product.route.length - 1];
      const largest = Math.max(...workshops.flatMap((w) => w.capabilities.filter((c) => c.process === last.process).map((c) => c.hoursPerDay / c.efficiency)));
      return o.quantity * last.workContentHoursPerUnit > largest * o.dueInDays * 0.5;
    });
    expect(exceeds.length).toBeGreaterThan(0);
    // Parallel branches: some product's step depends on two others.
    expect(PRODUCTS.some((p) => p.route.some((s) => s.dependsOn.length > 1))).toBe(true);
  });
});

describe('the demo PRNG', () => {
  it('keys decisions by name, independent of the order they are asked in', () => {
    const first = Prng.keyed(7, 'decline:abc').next();
    Prng.keyed(7, 'something else').next();
    expect(Prng.keyed(7, 'decline:abc').next()).toBe(first);
    expect(Prng.keyed(8, 'decline:abc').next()).not.toBe(first);
  });

  it('draws binomials around n·p', () => {
    const prng = new Prng(3);
    const draws = Array.from({ length: 2000 }, () => prng.binomial(125, 0.04));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(4.5);
    expect(mean).toBeLessThan(5.5);
    expect(prng.binomial(10_000, 0.5)).toBeGreaterThan(4700);
  });
});
