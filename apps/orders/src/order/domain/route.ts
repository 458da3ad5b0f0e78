import { ValidationFailed } from '#libs/domain';
import { isKnownProcess, KNOWN_PROCESSES } from './process-catalogue.js';

export const INSPECTION_LEVELS = ['I', 'II', 'III', 'S-1', 'S-2', 'S-3', 'S-4'] as const;
export type InspectionLevel = (typeof INSPECTION_LEVELS)[number];

export interface StepInspection {
  level: InspectionLevel;
  aql: number;
  criticalAql?: number;
  minorAql?: number;
}

/**
 * How a step receives its inputs: `per_step` (the default) — its lots may start once every predecessor
 * has passed the whole order quantity; `per_lot` — a lot may start as soon as every predecessor has
 * passed enough units for it (the quantity passed upstream is handed on lot by lot).
 */
export const HANDOFFS = ['per_step', 'per_lot'] as const;
export type Handoff = (typeof HANDOFFS)[number];

/** One step of a product's process route: a node of the route DAG. */
export interface RouteStep {
  stepId: string;
  process: string;
  parameters: Record<string, unknown>;
  /** Hours of work per unit at reference efficiency. */
  workContentHoursPerUnit: number;
  inspection: StepInspection;
  /** Step ids that must have handed on enough passed quantity before this step may start. */
  dependsOn: string[];
  /** Absent: `per_step`. */
  handoff?: Handoff;
}

/** How large a route may be (see apps/orders/README.md, "Limits"). */
export interface RouteLimits {
  maxSteps: number;
  maxDependenciesPerStep: number;
  /** Size of one step's `parameters` as JSON, in characters. */
  maxParameterChars: number;
}

export const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Refuses a route that is not a well-formed DAG of known processes, with the field and the reason:
 * empty or too large, malformed or duplicate step ids, unknown processes, unknown or self references,
 * too many dependencies, oversized parameters, and cycles (named step by step).
 */
export function validateRoute(route: readonly RouteStep[], limits: RouteLimits): void {
  if (route.length === 0) throw new ValidationFailed('route', 'must have at least one step');
  if (route.length > limits.maxSteps) {
    throw new ValidationFailed('route', `has ${route.length} steps; a route may have at most ${limits.maxSteps}`, { limit: limits.maxSteps });
  }
  const seen = new Map<string, number>();
  route.forEach((step, i) => {
    if (!STEP_ID.test(step.stepId)) {
      throw new ValidationFailed(`route.${i}.stepId`, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    }
    const first = seen.get(step.stepId);
    if (first !== undefined) {
      throw new ValidationFailed(`route.${i}.stepId`, `duplicate step id "${step.stepId}" (also route.${first}.stepId)`);
    }
    seen.set(step.stepId, i);
  });
  route.forEach((step, i) => {
    if (!isKnownProcess(step.process)) {
      throw new ValidationFailed(`route.${i}.process`, `unknown process "${step.process}"; known processes: ${KNOWN_PROCESSES.join(', ')}`);
    }
    if (!Number.isFinite(step.workContentHoursPerUnit) || step.workContentHoursPerUnit <= 0) {
      throw new ValidationFailed(`route.${i}.workContentHoursPerUnit`, 'must be a positive number of hours');
    }
    if (JSON.stringify(step.parameters).length > limits.maxParameterChars) {
      throw new ValidationFailed(`route.${i}.parameters`, `must be at most ${limits.maxParameterChars} characters as JSON`);
    }
    if (step.dependsOn.length > limits.maxDependenciesPerStep) {
      throw new ValidationFailed(`route.${i}.dependsOn`, `has ${step.dependsOn.length} entries; at most ${limits.maxDependenciesPerStep}`);
    }
    const deps = new Set<string>();
    step.dependsOn.forEach((dep, j) => {
      if (dep === step.stepId) throw new ValidationFailed(`route.${i}.dependsOn.${j}`, `step "${dep}" cannot depend on itself`);
      if (!seen.has(dep)) throw new ValidationFailed(`route.${i}.dependsOn.${j}`, `unknown step "${dep}"`);
      if (deps.has(dep)) throw new ValidationFailed(`route.${i}.dependsOn.${j}`, `"${dep}" is listed twice`);
      deps.add(dep);
    });
  });
  const cycle = findCycle(route);
  if (cycle) throw new ValidationFailed('route', `has a cycle: ${cycle.join(' → ')}`, { cycle });
}

/** A cycle as a closed walk of step ids (`a → b → a`), or undefined when the route is acyclic. */
export function findCycle(route: readonly RouteStep[]): string[] | undefined {
  const deps = new Map(route.map((s) => [s.stepId, s.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const mark = state.get(id);
    if (mark === 'done') return undefined;
    if (mark === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const step of route) {
    const found = visit(step.stepId);
    // Walked along dependencies (b depends on a); reverse to read in flow order: a → b → a.
    if (found) return found.reverse();
  }
  return undefined;
}

/** Step ids so that every step comes after all of its dependencies (ties keep route order). */
export function topologicalOrder(route: readonly RouteStep[]): string[] {
  const remaining = new Map(route.map((s) => [s.stepId, new Set(s.dependsOn)]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = route.filter((s) => remaining.has(s.stepId) && [...remaining.get(s.stepId)!].every((d) => !remaining.has(d)));
    if (ready.length === 0) throw new Error('topologicalOrder: the route has a cycle');
    for (const step of ready) {
      order.push(step.stepId);
      remaining.delete(step.stepId);
    }
  }
  return order;
}

/** Steps no other step depends on: the order is complete when all of them have passed. */
export function finalSteps(route: readonly RouteStep[]): string[] {
  const used = new Set(route.flatMap((s) => s.dependsOn));
  return route.filter((s) => !used.has(s.stepId)).map((s) => s.stepId);
}

/** The longest chain of steps by `hoursOf` each step, and its length in hours. */
export function criticalPath(route: readonly RouteStep[], hoursOf: (step: RouteStep) => number): { hours: number; path: string[] } {
  const byId = new Map(route.map((s) => [s.stepId, s]));
  const best = new Map<string, { hours: number; path: string[] }>();
  for (const id of topologicalOrder(route)) {
    const step = byId.get(id)!;
    const before = step.dependsOn.map((d) => best.get(d)!).reduce<{ hours: number; path: string[] }>((a, b) => (b.hours > a.hours ? b : a), { hours: 0, path: [] });
    best.set(id, { hours: before.hours + hoursOf(step), path: [...before.path, id] });
  }
  return [...best.values()].reduce((a, b) => (b.hours > a.hours ? b : a), { hours: 0, path: [] });
}

export interface DurationPolicy {
  /** How many workshops may share one step's quantity at most (network-wide setting). */
  maxParallelWorkshops: number;
  /** Shop hours in one calendar day (a workshop's shift length). */
  shopHoursPerDay: number;
}

export interface SplitPolicy {
  maxWorkshopsPerStep?: number;
  minLotSize?: number;
}

/**
 * The shortest time the route can take: along the critical path, each step's work content × quantity
 * spread over as many workshops as may share it — min(maxParallelWorkshops, the order's
 * maxWorkshopsPerStep, quantity / minLotSize) — and each workshop working `shopHoursPerDay` a day.
 * Transport and waiting are not counted, so this is a lower bound.
 */
export function minimalDuration(
  route: readonly RouteStep[],
  quantity: number,
  policy: DurationPolicy,
  split: SplitPolicy = {},
): { shopHours: number; calendarMs: number; path: string[] } {
  const lotLimit = split.minLotSize ? Math.max(1, Math.floor(quantity / split.minLotSize)) : Number.POSITIVE_INFINITY;
  const parallel = Math.max(1, Math.min(policy.maxParallelWorkshops, split.maxWorkshopsPerStep ?? Number.POSITIVE_INFINITY, lotLimit, quantity));
  const { hours, path } = criticalPath(route, (s) => (s.workContentHoursPerUnit * quantity) / parallel);
  return { shopHours: hours, calendarMs: (hours / policy.shopHoursPerDay) * 24 * 3_600_000, path };
}
