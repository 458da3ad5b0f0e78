/**
 * The online route planner: a greedy, deadline-aware list scheduler over candidate workshops with
 * lot splitting. Pure: the network view (candidates with their free minutes per day) comes in.
 *
 * Time is counted in whole days (day number = days since 1970-01-01, UTC) and capacity in minutes.
 * - A step's lots may start on `firstDay` (sources) or on the day after the last lot of every
 *   predecessor step ends (one day for hand-off and inspection), and must end by
 *   `lastDay - (longest chain of successor steps)`, so every successor keeps at least one day.
 * - A lot at workshop w needs ceil(efficiency × workContentHoursPerUnit × quantity × 60) minutes,
 *   booked day by day from its earliest day on (earliest-first fill), never above the free minutes.
 * - Cost of a lot (integer minor units): price (per_unit: price × qty; per_hour: price × efficiency ×
 *   workContent × qty, computed exactly and rounded half up once per lot, `priceFor`) + transport (km from the predecessor steps' lots, weighted by their
 *   quantity, plus km to the delivery address for a final step, × costPerKmMinor, rounded up) + risk
 *   (riskWeight × (1 − quality score) × price, rounded up). Score = price + transportWeight ×
 *   transport + risk.
 * - Objective: meet the due date first (a hard constraint), then the lowest score. Pass 1 ("cost")
 *   gives each step to the cheapest workshop that can make all of it in time; pass 2 ("deadline"),
 *   run only when pass 1 fails, prefers the earliest finish so that later steps keep their time.
 * - Lot splitting: when no single workshop can make the whole step in time, lots are given in score
 *   order per unit (then by capacity, largest first) to at most `maxWorkshopsPerStep` workshops, no
 *   lot below `minLotSize` (unless the whole step is smaller).
 */

import { hourlyLotPriceMinor, unitLotPriceMinor } from '#libs/contracts';

export interface GeoPoint {
  lat: number;
  lng: number;
}

export interface Candidate {
  workshopId: string;
  location: GeoPoint;
  efficiency: number;
  pricing: 'per_unit' | 'per_hour';
  priceMinor: number;
  currency: string;
  /** 0..1, higher is better. */
  quality: number;
  /** Free minutes per day number (only days with free time need to be present). */
  free: ReadonlyMap<number, number>;
}

export interface StepDemand {
  stepId: string;
  process: string;
  workContentHoursPerUnit: number;
  /** Predecessor steps; those not planned in this request are described by `upstream`. */
  dependsOn: readonly string[];
  quantity: number;
  excludedWorkshops?: readonly string[];
  /** Earliest day fixed from outside (e.g. predecessors already planned). */
  earliestDay?: number;
  /** Latest end day fixed from outside (e.g. successors already planned). */
  latestDay?: number;
  /** Where the inputs come from when the predecessors are not part of this request. */
  upstream?: readonly { location: GeoPoint; quantity: number }[];
  /** Whether the step is a final one (its goods travel to the delivery address). */
  final?: boolean;
}

export interface PlanningRequest {
  firstDay: number;
  lastDay: number;
  delivery: GeoPoint;
  steps: readonly StepDemand[];
  maxWorkshopsPerStep?: number;
  minLotSize?: number;
  /**
   * 'cost' (default): due date first, then the lowest score. 'earliest_finish': the plan that ends
   * soonest (used by re-planning when a lot must move past its successors' start: the earlier it ends,
   * the fewer successor lots have to move).
   */
  objective?: 'cost' | 'earliest_finish';
}

export interface PlannerSettings {
  costPerKmMinor: number;
  transportWeight: number;
  riskWeight: number;
  /** How many candidates an explanation lists (the best by score); the count of all is kept. */
  explainTop: number;
  /**
   * Spread for concurrent planners: candidates are ranked by score × (1 + amount × u), u ∈ [0, 1) drawn
   * from (seed, workshop), so planners that lost a booking race do not all queue for the same next
   * workshop. Scores, prices and explanations stay exact; absent or amount 0: plain score order.
   */
  spread?: { seed: number; amount: number };
  /**
   * Load levelling (peak-season capacity; see the README, "Objective"): days whose utilisation of the
   * process in a candidate's region is at or above the peak threshold. When given, pass "cost"
   * books a lot on off-peak days first (peak days only for what does not fit in its window otherwise)
   * and adds `peakPenalty × price × (the lot's minutes on peak days ÷ its minutes)` to its score. Only
   * when the due date allows: a route that misses it levelled is planned again without levelling.
   */
  levelling?: Levelling;
}

export interface Levelling {
  /**
   * The days (day numbers) a candidate's region is at or above the peak threshold for a process (the
   * service: booked ÷ declared minutes of the process's workshops in the candidate's region cell).
   */
  peakDaysOf(process: string, candidate: Candidate): ReadonlySet<number> | undefined;
  /** Weight of the peak penalty (share of the lot's price per share of its minutes on peak days). */
  peakPenalty: number;
}

export const DEFAULT_PLANNER_SETTINGS: PlannerSettings = { costPerKmMinor: 200, transportWeight: 1, riskWeight: 1, explainTop: 10 };

/** 'not_scheduled': modelled by the optimiser, which found the due date better met without it. */
export type CandidateOutcome = 'chosen' | 'higher_score' | 'no_capacity_before_due' | 'excluded' | 'lot_below_min_size' | 'workshop_limit' | 'later_finish' | 'not_scheduled';

export interface CandidateExplanation {
  workshopId: string;
  /** Units it could make in the step's window. */
  feasibleUnits: number;
  finishDay: number | null;
  priceMinor: number;
  transportMinor: number;
  riskMinor: number;
  /** Load levelling's peak penalty (0 without levelling). */
  peakMinor?: number;
  score: number;
  outcome: CandidateOutcome;
}

/** 'counter_offer': the workshop's own counter-offer (smaller quantity, later end) was taken. 'quoted': the lot of the accepted quote the order comes from. */
export type BindingConstraint = 'cost' | 'only_feasible_workshop' | 'capacity_before_due_date' | 'due_date' | 'counter_offer' | 'quoted';

/** 'cost' / 'deadline': the greedy passes; 'optimised': the shared FJSP optimiser (route-optimiser.ts). */
export type PlanMode = 'cost' | 'deadline' | 'optimised';

export interface LotExplanation {
  mode: PlanMode;
  binding: BindingConstraint;
  window: { earliestDay: number; latestDay: number };
  candidatesConsidered: number;
  candidates: CandidateExplanation[];
  /** Set when the optimiser chose: the model it solved and how far the search got. */
  optimiser?: { lots: number; workshopsModelled: number; makespanHours: number; lowerBoundHours: number; iterations: number };
}

export interface PlannedLot {
  stepId: string;
  process: string;
  workshopId: string;
  quantity: number;
  minutes: number;
  days: { day: number; minutes: number }[];
  startDay: number;
  endDay: number;
  priceMinor: number;
  transportMinor: number;
  riskMinor: number;
  /** Load levelling's peak penalty in the lot's score (0 without levelling); never part of the price. */
  peakMinor?: number;
  currency: string;
  location: GeoPoint;
  explanation: LotExplanation;
}

export type PlanningFailure =
  | { kind: 'no_workshop'; stepId: string; process: string; reason: string }
  | { kind: 'capacity_short'; stepId: string; process: string; shortHours: number; reason: string }
  | { kind: 'no_time'; stepId: string; process: string; reason: string };

export interface PlanSuccess {
  ok: true;
  lots: PlannedLot[];
  completionDay: number;
  mode: PlanMode;
}
export type PlanResult = PlanSuccess | { ok: false; failure: PlanningFailure };

const DAY_MS = 86_400_000;
export const dayNumber = (date: Date): number => Math.floor(date.getTime() / DAY_MS);
export const dayStart = (day: number): Date => new Date(day * DAY_MS);
export const isoDay = (day: number): string => dayStart(day).toISOString().slice(0, 10);
/** The last whole day (UTC) that ends at or before `due`; work must be done by then. */
export const lastWorkDay = (due: Date): number => Math.floor(due.getTime() / DAY_MS) - 1;

export const EPS = 1e-9;
export const minutesFor = (c: Pick<Candidate, 'efficiency'>, workContentHoursPerUnit: number, quantity: number): number =>
  Math.ceil(c.efficiency * workContentHoursPerUnit * quantity * 60 - EPS);
/** The lot's price in minor units, exact (see `hourlyLotPriceMinor` in #libs/contracts: half up, once per lot). */
export const priceFor = (c: Pick<Candidate, 'efficiency' | 'pricing' | 'priceMinor'>, workContentHoursPerUnit: number, quantity: number): number =>
  c.pricing === 'per_unit' ? unitLotPriceMinor(c.priceMinor, quantity) : hourlyLotPriceMinor(c.priceMinor, c.efficiency, workContentHoursPerUnit, quantity);

/** A number in [0, 1) from a seed and a string (FNV-1a). */
function unitHash(seed: number, text: string): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h / 4294967296;
}

/** Great-circle distance in km (haversine, mean Earth radius 6371 km). */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Steps in an order where every step comes after the steps it depends on (Kahn); throws on a cycle. */
export function topologicalOrder<S extends { stepId: string; dependsOn: readonly string[] }>(steps: readonly S[]): S[] {
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const indegree = new Map(steps.map((s) => [s.stepId, new Set(s.dependsOn.filter((d) => byId.has(d))).size]));
  const dependants = new Map<string, S[]>(steps.map((s) => [s.stepId, []]));
  for (const s of steps) for (const d of new Set(s.dependsOn)) dependants.get(d)?.push(s);
  const ready = steps.filter((s) => indegree.get(s.stepId) === 0);
  const order: S[] = [];
  for (let head = 0; head < ready.length; head++) {
    const step = ready[head];
    order.push(step);
    for (const next of dependants.get(step.stepId)!) {
      const left = indegree.get(next.stepId)! - 1;
      indegree.set(next.stepId, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length !== steps.length) throw new Error('the route has a cycle');
  return order;
}

/** Free minutes the plan under construction has not used yet, per workshop, process and day. */
export class WorkingCapacity {
  constructor(private readonly used = new Map<string, number>()) {}
  /** An independent copy (to try a booking without keeping it). */
  clone(): WorkingCapacity {
    return new WorkingCapacity(new Map(this.used));
  }
  free(c: Candidate, process: string, day: number): number {
    return Math.max(0, (c.free.get(day) ?? 0) - (this.used.get(`${c.workshopId}|${process}|${day}`) ?? 0));
  }
  take(c: Candidate, process: string, day: number, minutes: number): void {
    const key = `${c.workshopId}|${process}|${day}`;
    this.used.set(key, (this.used.get(key) ?? 0) + minutes);
  }
}

interface Evaluation {
  candidate: Candidate;
  feasibleUnits: number;
  /** Finish day when making min(feasibleUnits, quantity) units. */
  finishDay: number | null;
  priceMinor: number;
  transportMinor: number;
  riskMinor: number;
  peakMinor: number;
  score: number;
  excluded: boolean;
}

export function fill(c: Candidate, process: string, minutes: number, from: number, to: number, capacity: WorkingCapacity): { day: number; minutes: number }[] | null {
  const days: { day: number; minutes: number }[] = [];
  let left = minutes;
  for (const day of sortedDays(c, from, to)) {
    if (left <= 0) break;
    const take = Math.min(left, capacity.free(c, process, day));
    if (take > 0) {
      days.push({ day, minutes: take });
      left -= take;
    }
  }
  return left > 0 ? null : days;
}

/**
 * Like `fill`, but off-peak days first: the lot's minutes go to the days not in `peak` (earliest first),
 * and to peak days (earliest first) only for what does not fit on the others. Without peak days: `fill`.
 */
export function fillLevelled(
  c: Candidate,
  process: string,
  minutes: number,
  from: number,
  to: number,
  capacity: WorkingCapacity,
  peak: ReadonlySet<number> | undefined,
): { day: number; minutes: number }[] | null {
  if (!peak || peak.size === 0) return fill(c, process, minutes, from, to, capacity);
  const days = sortedDays(c, from, to);
  const taken = new Map<number, number>();
  let left = minutes;
  for (const offPeak of [true, false]) {
    for (const day of days) {
      if (left <= 0) break;
      if (peak.has(day) === offPeak) continue;
      const take = Math.min(left, capacity.free(c, process, day));
      if (take > 0) {
        taken.set(day, take);
        left -= take;
      }
    }
  }
  if (left > 0) return null;
  return [...taken].sort((a, b) => a[0] - b[0]).map(([day, m]) => ({ day, minutes: m }));
}

/** Minutes of `days` that fall on peak days. */
export function peakMinutesOf(days: readonly { day: number; minutes: number }[], peak: ReadonlySet<number> | undefined): number {
  if (!peak) return 0;
  return days.reduce((sum, d) => sum + (peak.has(d.day) ? d.minutes : 0), 0);
}

/** The peak penalty of a lot (minor units, rounded up): peakPenalty × price × share of its minutes on peak days. */
export function peakPenaltyMinor(priceMinor: number, days: readonly { day: number; minutes: number }[], peak: ReadonlySet<number> | undefined, weight: number): number {
  const total = days.reduce((sum, d) => sum + d.minutes, 0);
  const onPeak = peakMinutesOf(days, peak);
  if (total === 0 || onPeak === 0 || weight === 0) return 0;
  return Math.ceil((weight * priceMinor * onPeak) / total - EPS);
}

/** Each candidate's days with free time, sorted once (a candidate's `free` is never changed once loaded). */
const sortedFreeDays = new WeakMap<ReadonlyMap<number, number>, number[]>();

/** The candidate's days with free time from `from` to `to`, in order (evaluated for every candidate of every lot). */
function sortedDays(c: Candidate, from: number, to: number): number[] {
  let days = sortedFreeDays.get(c.free);
  if (!days) sortedFreeDays.set(c.free, (days = [...c.free.keys()].sort((a, b) => a - b)));
  const first = firstAtLeast(days, from);
  const end = firstAtLeast(days, to + 1);
  return first === 0 && end === days.length ? days : days.slice(first, end);
}

/** The index of the first of the sorted `days` that is ≥ `day` (binary search). */
function firstAtLeast(days: readonly number[], day: number): number {
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (days[mid] < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function freeMinutes(c: Candidate, process: string, from: number, to: number, capacity: WorkingCapacity): number {
  return sortedDays(c, from, to).reduce((sum, d) => sum + capacity.free(c, process, d), 0);
}

/** The most units whose minutes fit in `free`. */
export function unitsIn(c: Candidate, wc: number, free: number): number {
  if (wc <= 0) return Number.MAX_SAFE_INTEGER;
  let units = Math.floor(free / (c.efficiency * wc * 60) + EPS);
  while (units > 0 && minutesFor(c, wc, units) > free) units -= 1;
  return units;
}

export function weightedKm(from: readonly { location: GeoPoint; quantity: number }[], to: GeoPoint): number {
  const total = from.reduce((s, f) => s + f.quantity, 0);
  if (total === 0) return 0;
  return from.reduce((s, f) => s + haversineKm(f.location, to) * f.quantity, 0) / total;
}

/** Plans every step of the request; pass 1 by cost, pass 2 (if pass 1 fails) by earliest finish. */
export function planRoute(request: PlanningRequest, candidatesByProcess: ReadonlyMap<string, readonly Candidate[]>, settings: PlannerSettings = DEFAULT_PLANNER_SETTINGS): PlanResult {
  const plain = settings.levelling ? { ...settings, levelling: undefined } : settings;
  if (request.objective === 'earliest_finish') return planPass(request, candidatesByProcess, plain, 'deadline');
  if (settings.levelling) {
    // Levelled only when the due date allows it; otherwise the plain objective.
    const levelled = planPass(request, candidatesByProcess, settings, 'cost');
    if (levelled.ok || levelled.failure.kind === 'no_workshop') return levelled;
  }
  const first = planPass(request, candidatesByProcess, plain, 'cost');
  if (first.ok || first.failure.kind === 'no_workshop') return first;
  const second = planPass(request, candidatesByProcess, plain, 'deadline');
  return second;
}

type RouteStep = PlanningRequest['steps'][number];

/** The route in topological order, each step's successors, and how many steps must still follow it. */
export interface RouteLayout {
  steps: RouteStep[];
  successors: Map<string, string[]>;
  stepsAfter: Map<string, number>;
}

export function routeLayout(request: PlanningRequest): RouteLayout {
  return layoutOf(request.steps);
}

/**
 * Topological order, successors and the longest chain of steps after each step, in one pass over the
 * route's edges (dynamic programming in reverse topological order): linear in steps + dependencies,
 * however many paths the route has (a route of two-wide layers has 2^(layers-1) of them).
 */
export function layoutOf<S extends { stepId: string; dependsOn: readonly string[] }>(route: readonly S[]): { steps: S[]; successors: Map<string, string[]>; stepsAfter: Map<string, number> } {
  const steps = topologicalOrder(route);
  const ids = new Set(steps.map((s) => s.stepId));
  const successors = new Map<string, string[]>(steps.map((s) => [s.stepId, []]));
  for (const s of steps) for (const d of s.dependsOn) if (ids.has(d)) successors.get(d)!.push(s.stepId);
  const stepsAfter = new Map<string, number>();
  for (let i = steps.length - 1; i >= 0; i--) {
    let longest = 0;
    for (const next of successors.get(steps[i].stepId)!) longest = Math.max(longest, stepsAfter.get(next)! + 1);
    stepsAfter.set(steps[i].stepId, longest);
  }
  return { steps, successors, stepsAfter };
}

/** The days a step may use and where its inputs come from, given the lots planned for the steps before it. */
export function stepWindow(step: RouteStep, request: PlanningRequest, layout: RouteLayout, lotsByStep: ReadonlyMap<string, readonly PlannedLot[]>): StepWindow {
  const preds = step.dependsOn.flatMap((d) => lotsByStep.get(d) ?? []);
  return {
    earliestDay: Math.max(request.firstDay, step.earliestDay ?? request.firstDay, ...preds.map((l) => l.endDay + 1)),
    latestDay: Math.min(request.lastDay - layout.stepsAfter.get(step.stepId)!, step.latestDay ?? request.lastDay),
    upstream: [...preds.map((l) => ({ location: l.location, quantity: l.quantity })), ...(step.upstream ?? [])],
    isFinal: step.final ?? layout.successors.get(step.stepId)!.length === 0,
  };
}

function planPass(request: PlanningRequest, candidatesByProcess: ReadonlyMap<string, readonly Candidate[]>, settings: PlannerSettings, mode: 'cost' | 'deadline'): PlanResult {
  const layout = routeLayout(request);
  const capacity = new WorkingCapacity();
  const lotsByStep = new Map<string, PlannedLot[]>();
  const lots: PlannedLot[] = [];
  for (const step of layout.steps) {
    const window = stepWindow(step, request, layout, lotsByStep);
    const result = planStep(step, window, request, candidatesByProcess.get(step.process) ?? [], capacity, settings, mode);
    if (!result.ok) return result;
    lotsByStep.set(step.stepId, result.lots);
    lots.push(...result.lots);
  }
  const completionDay = Math.max(request.firstDay, ...lots.map((l) => l.endDay));
  return { ok: true, lots, completionDay, mode };
}

export interface StepWindow {
  earliestDay: number;
  latestDay: number;
  upstream: { location: GeoPoint; quantity: number }[];
  isFinal: boolean;
}

function planStep(
  step: StepDemand,
  window: StepWindow,
  request: PlanningRequest,
  candidates: readonly Candidate[],
  capacity: WorkingCapacity,
  settings: PlannerSettings,
  mode: 'cost' | 'deadline',
): { ok: true; lots: PlannedLot[] } | { ok: false; failure: PlanningFailure } {
  const { stepId, process, workContentHoursPerUnit: wc, quantity } = step;
  if (candidates.length === 0) {
    return { ok: false, failure: { kind: 'no_workshop', stepId, process, reason: `no workshop for process ${process} (step ${stepId})` } };
  }
  if (window.latestDay < window.earliestDay) {
    return {
      ok: false,
      failure: { kind: 'no_time', stepId, process, reason: `no time left for step ${stepId} (${process}): it could start on ${isoDay(window.earliestDay)} but must end by ${isoDay(window.latestDay)}` },
    };
  }
  const excluded = new Set(step.excludedWorkshops ?? []);
  // Load levelling (pass "cost" only): off-peak days first, a penalty for minutes on peak days.
  const levelling = mode === 'cost' ? settings.levelling : undefined;
  const peakOf = (c: Candidate) => levelling?.peakDaysOf(process, c);
  const fillLot = (c: Candidate, minutes: number) => fillLevelled(c, process, minutes, window.earliestDay, window.latestDay, capacity, peakOf(c));
  const evaluate = (c: Candidate, units: number): Evaluation => {
    const free = freeMinutes(c, process, window.earliestDay, window.latestDay, capacity);
    const feasibleUnits = excluded.has(c.workshopId) ? 0 : unitsIn(c, wc, free);
    const made = Math.max(1, Math.min(units, feasibleUnits || units));
    const days = feasibleUnits > 0 ? fillLot(c, minutesFor(c, wc, Math.min(made, feasibleUnits))) : null;
    const priceMinor = priceFor(c, wc, made);
    const km = weightedKm(window.upstream, c.location) + (window.isFinal ? haversineKm(c.location, request.delivery) : 0);
    const transportMinor = Math.ceil(km * settings.costPerKmMinor - EPS);
    const riskMinor = Math.ceil(settings.riskWeight * (1 - Math.min(1, Math.max(0, c.quality))) * priceMinor - EPS);
    const peakMinor = days && levelling ? peakPenaltyMinor(priceMinor, days, peakOf(c), levelling.peakPenalty) : 0;
    const score = priceMinor + settings.transportWeight * transportMinor + riskMinor + peakMinor;
    return { candidate: c, feasibleUnits, finishDay: days ? days[days.length - 1].day : null, priceMinor, transportMinor, riskMinor, peakMinor, score, excluded: excluded.has(c.workshopId) };
  };
  const all = candidates.map((c) => evaluate(c, quantity));
  const whole = all.filter((e) => e.feasibleUnits >= quantity);
  const spread = settings.spread && settings.spread.amount > 0 ? settings.spread : undefined;
  const ranked = (e: Evaluation) => (spread ? e.score * (1 + spread.amount * unitHash(spread.seed, e.candidate.workshopId)) : e.score);
  const byScore = (a: Evaluation, b: Evaluation) => ranked(a) - ranked(b) || (a.finishDay ?? 1e9) - (b.finishDay ?? 1e9) || a.candidate.workshopId.localeCompare(b.candidate.workshopId);
  const byFinish = (a: Evaluation, b: Evaluation) => (a.finishDay ?? 1e9) - (b.finishDay ?? 1e9) || byScore(a, b);
  const explain = (chosen: Map<string, CandidateOutcome>, binding: BindingConstraint): LotExplanation => ({
    mode,
    binding,
    window: { earliestDay: window.earliestDay, latestDay: window.latestDay },
    candidatesConsidered: all.length,
    candidates: [...all]
      .sort(byScore)
      .sort((a, b) => (chosen.get(b.candidate.workshopId) === 'chosen' ? 1 : 0) - (chosen.get(a.candidate.workshopId) === 'chosen' ? 1 : 0))
      .slice(0, Math.max(settings.explainTop, [...chosen.values()].filter((o) => o === 'chosen').length))
      .map((e) => ({
        workshopId: e.candidate.workshopId,
        feasibleUnits: e.feasibleUnits,
        finishDay: e.finishDay,
        priceMinor: e.priceMinor,
        transportMinor: e.transportMinor,
        riskMinor: e.riskMinor,
        ...(levelling ? { peakMinor: e.peakMinor } : {}),
        score: e.score,
        outcome: chosen.get(e.candidate.workshopId) ?? (e.excluded ? 'excluded' : e.feasibleUnits === 0 ? 'no_capacity_before_due' : 'higher_score'),
      })),
  });
  const book = (e: Evaluation, units: number, explanation: LotExplanation): PlannedLot => {
    const c = e.candidate;
    const minutes = minutesFor(c, wc, units);
    const days = fillLot(c, minutes)!;
    for (const d of days) capacity.take(c, process, d.day, d.minutes);
    const priceMinor = priceFor(c, wc, units);
    const peakMinor = levelling ? peakPenaltyMinor(priceMinor, days, peakOf(c), levelling.peakPenalty) : 0;
    return {
      stepId,
      process,
      workshopId: c.workshopId,
      quantity: units,
      minutes,
      days,
      startDay: days.length > 0 ? days[0].day : window.earliestDay,
      endDay: days.length > 0 ? days[days.length - 1].day : window.earliestDay,
      priceMinor,
      transportMinor: e.transportMinor,
      riskMinor: Math.ceil(settings.riskWeight * (1 - Math.min(1, Math.max(0, c.quality))) * priceMinor - EPS),
      ...(levelling ? { peakMinor } : {}),
      currency: c.currency,
      location: c.location,
      explanation,
    };
  };

  if (whole.length > 0) {
    const best = [...whole].sort(mode === 'cost' ? byScore : byFinish)[0];
    const outcomes = new Map<string, CandidateOutcome>([[best.candidate.workshopId, 'chosen']]);
    if (mode === 'deadline') for (const e of whole) if (e !== best && e.score <= best.score) outcomes.set(e.candidate.workshopId, 'later_finish');
    const binding: BindingConstraint = whole.length === 1 ? 'only_feasible_workshop' : mode === 'cost' ? 'cost' : 'due_date';
    return { ok: true, lots: [book(best, quantity, explain(outcomes, binding))] };
  }

  // Lot splitting: nobody can make the whole step in time.
  const maxWorkshops = request.maxWorkshopsPerStep ?? Number.MAX_SAFE_INTEGER;
  const minLot = Math.min(request.minLotSize ?? 1, quantity);
  const usable = all.filter((e) => e.feasibleUnits > 0);
  const perUnit = (e: Evaluation) => ranked(e) / Math.max(1, Math.min(quantity, e.feasibleUnits));
  const orders: Evaluation[][] = [
    [...usable].sort((a, b) => (mode === 'cost' ? perUnit(a) - perUnit(b) : 0) || b.feasibleUnits - a.feasibleUnits || byScore(a, b)),
    [...usable].sort((a, b) => b.feasibleUnits - a.feasibleUnits || perUnit(a) - perUnit(b)),
  ];
  for (const order of orders) {
    const taken: { e: Evaluation; units: number }[] = [];
    const outcomes = new Map<string, CandidateOutcome>();
    let remaining = quantity;
    for (const e of order) {
      if (remaining === 0) break;
      if (taken.length >= maxWorkshops) {
        outcomes.set(e.candidate.workshopId, 'workshop_limit');
        continue;
      }
      let units = Math.min(e.feasibleUnits, remaining);
      if (remaining - units > 0 && remaining - units < minLot) units = remaining - minLot;
      if (units < minLot) {
        outcomes.set(e.candidate.workshopId, 'lot_below_min_size');
        continue;
      }
      taken.push({ e, units });
      outcomes.set(e.candidate.workshopId, 'chosen');
      remaining -= units;
    }
    if (remaining === 0) {
      const explanation = explain(outcomes, 'capacity_before_due_date');
      return { ok: true, lots: taken.map((t) => book(t.e, t.units, explanation)) };
    }
  }
  const eligible = all.filter((e) => !e.excluded);
  const bestEfficiency = Math.min(...(eligible.length > 0 ? eligible : all).map((e) => e.candidate.efficiency));
  const possible = bestPossibleUnits(usable, quantity, maxWorkshops);
  const shortHours = Math.ceil((quantity - possible) * wc * bestEfficiency * 10 - EPS) / 10;
  return {
    ok: false,
    failure: {
      kind: 'capacity_short',
      stepId,
      process,
      shortHours,
      reason:
        `capacity short by ${shortHours} hours before the due date for step ${stepId} (${process}): ` +
        `${possible} of ${quantity} units fit between ${isoDay(window.earliestDay)} and ${isoDay(window.latestDay)}` +
        (eligible.length === 0 ? ' (every capable workshop is excluded)' : '') +
        (request.maxWorkshopsPerStep ? ` on at most ${request.maxWorkshopsPerStep} workshops` : ''),
    },
  };
}

function bestPossibleUnits(usable: readonly Evaluation[], quantity: number, maxWorkshops: number): number {
  const sizes = usable.map((e) => e.feasibleUnits).sort((a, b) => b - a).slice(0, maxWorkshops);
  return Math.min(quantity, sizes.reduce((s, n) => s + n, 0));
}
