import { ValidationFailed } from '#libs/domain';
import { criticalPath, finalSteps, findCycle, minimalDuration, topologicalOrder, validateRoute, type RouteLimits, type RouteStep } from './route.js';

const step = (stepId: string, dependsOn: string[] = [], process = 'cutting', hours = 0.1): RouteStep => ({
  stepId,
  process,
  parameters: {},
  workContentHoursPerUnit: hours,
  inspection: { level: 'II', aql: 1.0 },
  dependsOn,
});
const limits: RouteLimits = { maxSteps: 5, maxDependenciesPerStep: 2, maxParameterChars: 100 };

function refusal(route: RouteStep[]): ValidationFailed {
  try {
    validateRoute(route, limits);
  } catch (error) {
    if (error instanceof ValidationFailed) return error;
    throw error;
  }
  throw new Error('expected the route to be refused');
}

describe('validateRoute', () => {
  it('accepts a DAG with parallel branches joined by assembly', () => {
    expect(() => validateRoute([step('body'), step('lid'), step('assemble', ['body', 'lid'], 'assembly')], limits)).not.toThrow();
  });

  it('names a two-step cycle', () => {
    const error = refusal([step('a', ['b']), step('b', ['a'])]);
    expect(error.field).toBe('route');
    expect(error.message).toMatch(/cycle: (a → b → a|b → a → b)/);
  });

  it('names a longer cycle behind an acyclic prefix', () => {
    const error = refusal([step('start'), step('x', ['start', 'z']), step('y', ['x']), step('z', ['y'])]);
    expect(error.details?.cycle).toEqual(expect.arrayContaining(['x', 'y', 'z']));
    const cycle = error.details?.cycle as string[];
    expect(cycle[0]).toBe(cycle[cycle.length - 1]);
    expect(cycle).toHaveLength(4);
  });

  it('refuses a step that depends on itself', () => {
    expect(refusal([step('a', ['a'])]).field).toBe('route.0.dependsOn.0');
  });

  it('refuses an unknown step reference, naming the entry', () => {
    const error = refusal([step('a'), step('b', ['a', 'ghost'])]);
    expect(error.field).toBe('route.1.dependsOn.1');
    expect(error.message).toContain('ghost');
  });

  it('refuses an unknown process', () => {
    const error = refusal([step('a'), step('b', ['a'], 'teleporting')]);
    expect(error.field).toBe('route.1.process');
    expect(error.message).toContain('teleporting');
  });

  it('refuses duplicate step ids, naming both places', () => {
    const error = refusal([step('a'), step('b'), step('a')]);
    expect(error.field).toBe('route.2.stepId');
    expect(error.message).toContain('route.0.stepId');
  });

  it('refuses an empty route and one over the step limit', () => {
    expect(refusal([]).field).toBe('route');
    const error = refusal(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => step(id)));
    expect(error.message).toContain('at most 5');
  });

  it('refuses too many dependencies, malformed ids, non-positive work content and oversized parameters', () => {
    expect(refusal([step('a'), step('b'), step('c'), step('d', ['a', 'b', 'c'])]).field).toBe('route.3.dependsOn');
    expect(refusal([step('bad id')]).field).toBe('route.0.stepId');
    expect(refusal([step('a', [], 'cutting', 0)]).field).toBe('route.0.workContentHoursPerUnit');
    expect(refusal([{ ...step('a'), parameters: { note: 'x'.repeat(200) } }]).field).toBe('route.0.parameters');
  });

  it('refuses a dependency listed twice', () => {
    expect(refusal([step('a'), step('b', ['a', 'a'])]).field).toBe('route.1.dependsOn.1');
  });
});

describe('route graph', () => {
  const route = [step('assemble', ['body', 'lid'], 'assembly'), step('body'), step('lid'), step('pack', ['assemble'], 'packing')];

  it('orders steps after their dependencies', () => {
    const order = topologicalOrder(route);
    expect(order.indexOf('assemble')).toBeGreaterThan(order.indexOf('body'));
    expect(order.indexOf('assemble')).toBeGreaterThan(order.indexOf('lid'));
    expect(order[order.length - 1]).toBe('pack');
  });

  it('finds final steps and no cycle', () => {
    expect(finalSteps(route)).toEqual(['pack']);
    expect(findCycle(route)).toBeUndefined();
  });

  it('finds the critical path as the longest chain', () => {
    const hours: Record<string, number> = { body: 5, lid: 2, assemble: 1, pack: 1 };
    expect(criticalPath(route, (s) => hours[s.stepId])).toEqual({ hours: 7, path: ['body', 'assemble', 'pack'] });
  });

  it('spreads work content × quantity over the allowed parallel workshops', () => {
    const r = [step('a', [], 'cutting', 1), step('b', ['a'], 'sewing', 2)];
    // 100 units × 3 h = 300 h over 10 workshops = 30 shop hours; 8 h a day = 3.75 days.
    const d = minimalDuration(r, 100, { maxParallelWorkshops: 10, shopHoursPerDay: 8 });
    expect(d.shopHours).toBeCloseTo(30);
    expect(d.calendarMs).toBeCloseTo(3.75 * 86_400_000);
    // The order's own split policy narrows it: 2 workshops per step → 150 h.
    expect(minimalDuration(r, 100, { maxParallelWorkshops: 10, shopHoursPerDay: 8 }, { maxWorkshopsPerStep: 2 }).shopHours).toBeCloseTo(150);
    // A min lot size of 50 allows at most 2 lots.
    expect(minimalDuration(r, 100, { maxParallelWorkshops: 10, shopHoursPerDay: 8 }, { minLotSize: 50 }).shopHours).toBeCloseTo(150);
    // Never more workshops than units.
    expect(minimalDuration(r, 1, { maxParallelWorkshops: 10, shopHoursPerDay: 8 }).shopHours).toBeCloseTo(3);
  });
});
