/**
 * The planner with the shared optimiser: when the due date binds, the lots of each step are assigned
 * to workshops and sequenced by the flexible job shop tabu search of libs/scheduling — the very
 * optimiser `npm run bench:fjsp` measures on the Brandimarte instances — and the greedy stays as the
 * fallback.
 *
 * Strategy (planRouteOptimised):
 * 1. The greedy cost pass (planner.ts). If it meets the due date, that plan is the cheapest the planner
 *    knows and it is taken: nothing is left to optimise.
 * 2. Otherwise (the due date binds) both are tried: the greedy deadline pass and the optimiser. Of the
 *    plans that meet the due date the one with the lowest total score wins (ties: the earlier
 *    completion). With the objective 'earliest_finish' the earlier completion wins first.
 *
 * The model (optimisedPlan), step by step in topological order — a step's lots may start only when
 * every lot of its predecessor steps is done (the step hand-off the orders service applies by
 * default), so each step is one stage: an FJSP whose jobs are the step's lots (its quantity split into
 * J equal lots, J = 1, 2, 4, 8, each tried; lots the schedule puts on one workshop become one, so the
 * shares need not be equal) with one operation each, and whose machines are the
 * step's candidate workshops, each released at its first free day from the step's earliest day on. A
 * lot of q units on workshop w takes ceil(24 × minutesFor(w, q) / (w's free minutes per calendar day
 * in the step's window)) hours. The tabu search minimises the stage's makespan — when the step is
 * done, which is when its successors may start: the due date first. (Lots chained along the route as
 * FJSP jobs would suit a per-lot hand-off; with the step hand-off they would pipeline in the model and
 * not on the calendar.)
 *
 * Weighting: cost enters through the candidates a stage may use — those whose score for the whole
 * step is within `costSlack` of the cheapest, and beyond that only the next cheapest as far as needed
 * for room for twice the step's units (at most `machinesPerStep` in all) — through a cost repair on the calendar (each lot goes to the
 * cheapest modelled workshop that still finishes it by the day the schedule's workshop would), through
 * the choice of J (the earliest step end, then the lowest score) and through the final choice by
 * total score in step 2.
 *
 * Each stage's schedule is materialised on the real calendar exactly as the greedy books: from the day
 * after its predecessors' lots end to the last day that leaves one day per successor step, minutes
 * filled earliest-first day by day within the free time left; lots on one workshop become one. A lot
 * that no single modelled workshop can make any more is split over the cheapest that can make part of
 * it. A stage that does not fit, or breaks the split policy, rejects the model; then the greedy stands.
 */
import { solveFjsp, type FjspInstance, type Job } from '#libs/scheduling';
import {
  EPS,
  fill,
  freeMinutes,
  haversineKm,
  isoDay,
  minutesFor,
  planRoute,
  priceFor,
  routeLayout,
  stepWindow,
  weightedKm,
  WorkingCapacity,
  type Candidate,
  type CandidateExplanation,
  type PlannedLot,
  type PlannerSettings,
  type PlanningRequest,
  type PlanResult,
  type PlanSuccess,
  type StepDemand,
  unitsIn,
} from './planner.js';

export interface OptimiserSettings {
  /** Wall-clock budget per model solved (ms). */
  timeLimitMs: number;
  /** Tabu iterations per model (with the time limit, whichever comes first; alone: reproducible). */
  maxIterations: number;
  seed: number;
  /** A candidate may be modelled when its score for the whole step is ≤ (1 + costSlack) × the cheapest. */
  costSlack: number;
  /** Candidates modelled per step (the cheapest first). */
  machinesPerStep: number;
  /** Lot counts tried: 1, 2, 4, 8 up to this many. */
  maxLots: number;
}

export const DEFAULT_OPTIMISER_SETTINGS: OptimiserSettings = { timeLimitMs: 25, maxIterations: 400, seed: 1, costSlack: 0.5, machinesPerStep: 10, maxLots: 8 };

const HOURS_PER_DAY = 24;
/** The lot counts a stage tries: equal lots that the schedule may stack on one workshop (8 lots give shares of 1/8). */
const LOT_COUNTS = [1, 2, 4, 8];

/** The planner: the greedy, and the shared optimiser where the due date binds (see the file comment). */
export function planRouteOptimised(
  request: PlanningRequest,
  candidatesByProcess: ReadonlyMap<string, readonly Candidate[]>,
  settings: PlannerSettings,
  optimiser: OptimiserSettings | null = DEFAULT_OPTIMISER_SETTINGS,
  observe?: (run: { found: boolean; chosen: boolean }) => void,
  greedyResult?: PlanResult,
): PlanResult {
  const greedy = greedyResult ?? planRoute(request, candidatesByProcess, settings);
  if (!optimiser) return greedy;
  if (greedy.ok && greedy.mode === 'cost') return greedy;
  if (!greedy.ok && greedy.failure.kind === 'no_workshop') return greedy;
  const optimised = optimisedPlan(request, candidatesByProcess, settings, optimiser);
  observe?.({ found: optimised !== null, chosen: optimised !== null && (!greedy.ok || optimisedWins(optimised, greedy, request, settings)) });
  if (!optimised) return greedy;
  if (!greedy.ok) return optimised;
  return optimisedWins(optimised, greedy, request, settings) ? optimised : greedy;
}

function optimisedWins(optimised: PlanSuccess, greedy: PlanSuccess, request: PlanningRequest, settings: PlannerSettings): boolean {
  const earliestFirst = request.objective === 'earliest_finish';
  const a = { finish: optimised.completionDay, score: totalScore(optimised, settings) };
  const b = { finish: greedy.completionDay, score: totalScore(greedy, settings) };
  return earliestFirst ? a.finish < b.finish || (a.finish === b.finish && a.score < b.score) : a.score < b.score || (a.score === b.score && a.finish < b.finish);
}

export function totalScore(plan: PlanSuccess, settings: Pick<PlannerSettings, 'transportWeight'>): number {
  return plan.lots.reduce((sum, l) => sum + l.priceMinor + settings.transportWeight * l.transportMinor + l.riskMinor, 0);
}

interface Modelled {
  candidate: Candidate;
  /** Score for the whole step (price + transport + risk), the cost order of the stage. */
  score: number;
}

/**
 * The optimiser's plan, stage by stage, or null when a stage does not fit (see the file comment).
 */
export function optimisedPlan(
  request: PlanningRequest,
  candidatesByProcess: ReadonlyMap<string, readonly Candidate[]>,
  settings: PlannerSettings,
  optimiser: OptimiserSettings,
): PlanSuccess | null {
  const layout = routeLayout(request);
  const capacity = new WorkingCapacity();
  const lotsByStep = new Map<string, PlannedLot[]>();
  const planned: PlannedLot[] = [];
  for (const step of layout.steps) {
    const { earliestDay, latestDay, upstream, isFinal } = stepWindow(step, request, layout, lotsByStep);
    if (latestDay < earliestDay) return null;
    const excluded = new Set(step.excludedWorkshops ?? []);
    const considered = (candidatesByProcess.get(step.process) ?? []).filter((c) => !excluded.has(c.workshopId));
    const usable = considered
      .filter((c) => freeMinutes(c, step.process, earliestDay, latestDay, capacity) > 0)
      .map((c) => {
        const price = priceFor(c, step.workContentHoursPerUnit, step.quantity);
        return { candidate: c, score: price + settings.transportWeight * transportOf(settings, upstream, c.location, isFinal, request.delivery) + riskOf(settings, c, price) };
      })
      .sort((a, b) => a.score - b.score || a.candidate.workshopId.localeCompare(b.candidate.workshopId));
    if (usable.length === 0) return null;
    // Within the cost slack; beyond it only as far as needed to have room for twice the step's units.
    const modelled: Modelled[] = [];
    let room = 0;
    for (const u of usable) {
      if (modelled.length >= optimiser.machinesPerStep) break;
      if (u.score > (1 + optimiser.costSlack) * usable[0].score + EPS && room >= 2 * step.quantity) break;
      modelled.push(u);
      room += unitsIn(u.candidate, step.workContentHoursPerUnit, freeMinutes(u.candidate, step.process, earliestDay, latestDay, capacity));
    }

    // Each lot count J: solve the stage, put it on the calendar (on a copy), keep the best.
    let best: { capacity: WorkingCapacity; lots: Omit<PlannedLot, 'explanation'>[]; end: number; score: number; info: OptimiserInfo } | null = null;
    for (const lots of LOT_COUNTS.filter((n) => n <= optimiser.maxLots && n * Math.min(request.minLotSize ?? 1, step.quantity) <= step.quantity)) {
      const trial = capacity.clone();
      const stage = solveStage(step, modelled, lots, earliestDay, latestDay, trial, optimiser);
      const booked = stage && materialise(step, modelled, stage, lots, earliestDay, latestDay, trial, request, upstream, isFinal, settings);
      if (!booked) continue;
      const end = Math.max(...booked.map((l) => l.endDay));
      const score = booked.reduce((sum, l) => sum + l.priceMinor + settings.transportWeight * l.transportMinor + l.riskMinor, 0);
      if (!best || end < best.end || (end === best.end && score < best.score)) best = { capacity: trial, lots: booked, end, score, info: { lots, workshopsModelled: modelled.length, ...stage.info } };
    }
    if (!best) return null;
    const chosen = new Set(best.lots.map((l) => l.workshopId));
    const candidates: CandidateExplanation[] = modelled
      .map(({ candidate: c, score }) => {
        const lot = best.lots.find((l) => l.workshopId === c.workshopId);
        const wcMinutes = c.efficiency * step.workContentHoursPerUnit * 60;
        const free = freeMinutes(c, step.process, earliestDay, latestDay, capacity);
        const price = priceFor(c, step.workContentHoursPerUnit, step.quantity);
        return {
          workshopId: c.workshopId,
          feasibleUnits: wcMinutes <= 0 ? step.quantity : Math.min(step.quantity, Math.floor(free / wcMinutes + EPS)),
          finishDay: lot ? lot.endDay : null,
          priceMinor: lot ? lot.priceMinor : price,
          transportMinor: lot ? lot.transportMinor : transportOf(settings, upstream, c.location, isFinal, request.delivery),
          riskMinor: lot ? lot.riskMinor : riskOf(settings, c, price),
          score,
          outcome: chosen.has(c.workshopId) ? ('chosen' as const) : ('not_scheduled' as const),
        };
      })
      .sort((a, b) => Number(b.outcome === 'chosen') - Number(a.outcome === 'chosen') || a.score - b.score)
      .slice(0, Math.max(settings.explainTop, chosen.size));
    const explanation = {
      mode: 'optimised' as const,
      binding: 'due_date' as const,
      window: { earliestDay, latestDay },
      candidatesConsidered: considered.length,
      candidates,
      optimiser: best.info,
    };
    const stepLots = best.lots.map((lot) => ({ ...lot, explanation }));
    for (const lot of stepLots) for (const d of lot.days) capacity.take(modelled.find((m) => m.candidate.workshopId === lot.workshopId)!.candidate, step.process, d.day, d.minutes);
    lotsByStep.set(step.stepId, stepLots);
    planned.push(...stepLots);
  }
  return { ok: true, lots: planned, completionDay: Math.max(request.firstDay, ...planned.map((l) => l.endDay)), mode: 'optimised' };
}

type OptimiserInfo = NonNullable<PlannedLot['explanation']['optimiser']>;

function transportOf(settings: PlannerSettings, upstream: readonly { location: PlannedLot['location']; quantity: number }[], at: PlannedLot['location'], isFinal: boolean, delivery: PlannedLot['location']): number {
  const km = weightedKm(upstream, at) + (isFinal ? haversineKm(at, delivery) : 0);
  return Math.ceil(km * settings.costPerKmMinor - EPS);
}

function riskOf(settings: PlannerSettings, c: Candidate, priceMinor: number): number {
  return Math.ceil(settings.riskWeight * (1 - Math.min(1, Math.max(0, c.quality))) * priceMinor - EPS);
}

/** Equal lots of a step's quantity (the first ones one unit larger when it does not divide). */
function split(quantity: number, lots: number): number[] {
  return Array.from({ length: lots }, (_, j) => Math.floor(quantity / lots) + (j < quantity % lots ? 1 : 0));
}

/** One stage as an FJSP: jobs = the step's lots (one operation each), machines = the modelled workshops. */
function solveStage(
  step: StepDemand,
  modelled: readonly Modelled[],
  lots: number,
  earliestDay: number,
  latestDay: number,
  capacity: WorkingCapacity,
  optimiser: OptimiserSettings,
): { operations: { job: number; machine: number; start: number }[]; info: Omit<OptimiserInfo, 'lots' | 'workshopsModelled'> } | null {
  const days = latestDay - earliestDay + 1;
  const machines = modelled.map(({ candidate: c }) => {
    let total = 0;
    let first = latestDay + 1;
    for (let d = earliestDay; d <= latestDay; d++) {
      const free = capacity.free(c, step.process, d);
      total += free;
      if (free > 0 && d < first) first = d;
    }
    return { c, rate: total / days, release: (first - earliestDay) * HOURS_PER_DAY };
  });
  const usable = machines.map((m, k) => ({ ...m, k })).filter((m) => m.rate > 0);
  if (usable.length === 0) return null;
  const sizes = split(step.quantity, lots);
  const instance: FjspInstance = {
    name: `${step.stepId}-${lots}-lots`,
    numMachines: machines.length,
    machineRelease: machines.map((m) => Math.max(0, m.release)),
    jobs: sizes.map(
      (units): Job => ({
        operations: [
          {
            alternatives: usable.map((m) => ({
              machine: m.k,
              duration: Math.max(1, Math.ceil((HOURS_PER_DAY * minutesFor(m.c, step.workContentHoursPerUnit, units)) / m.rate - EPS)),
            })),
          },
        ],
      }),
    ),
  };
  const schedule = solveFjsp(instance, { timeLimitMs: optimiser.timeLimitMs, maxIterations: optimiser.maxIterations, seed: optimiser.seed });
  return {
    operations: schedule.operations.map((o) => ({ job: o.job, machine: o.machine, start: o.start })),
    info: { makespanHours: schedule.makespan, lowerBoundHours: schedule.lowerBound, iterations: schedule.iterations },
  };
}

/** A stage's schedule on the real calendar (see the file comment); null when it does not fit. */
function materialise(
  step: StepDemand,
  modelled: readonly Modelled[],
  stage: NonNullable<ReturnType<typeof solveStage>>,
  lots: number,
  earliestDay: number,
  latestDay: number,
  capacity: WorkingCapacity,
  request: PlanningRequest,
  upstream: readonly { location: PlannedLot['location']; quantity: number }[],
  isFinal: boolean,
  settings: PlannerSettings,
): Omit<PlannedLot, 'explanation'>[] | null {
  const sizes = split(step.quantity, lots);
  const byCost = modelled.map((m) => m.candidate);
  const assigned = new Map<string, { c: Candidate; quantity: number; days: Map<number, number> }>();
  const book = (c: Candidate, quantity: number, days: { day: number; minutes: number }[]) => {
    for (const d of days) capacity.take(c, step.process, d.day, d.minutes);
    const lot = assigned.get(c.workshopId) ?? { c, quantity: 0, days: new Map<number, number>() };
    lot.quantity += quantity;
    for (const d of days) lot.days.set(d.day, (lot.days.get(d.day) ?? 0) + d.minutes);
    assigned.set(c.workshopId, lot);
  };
  const wc = step.workContentHoursPerUnit;
  for (const op of [...stage.operations].sort((a, b) => a.start - b.start || a.job - b.job)) {
    const quantity = sizes[op.job];
    const own = byCost[op.machine];
    const ownDays = fill(own, step.process, minutesFor(own, wc, quantity), earliestDay, latestDay, capacity);
    // By the day the schedule's workshop would finish it (or, if it cannot, the step's last day).
    const doneBy = ownDays ? ownDays[ownDays.length - 1].day : latestDay;
    let pick: { c: Candidate; days: { day: number; minutes: number }[] } | null = null;
    // At the split policy's workshop limit, only the workshops already holding lots of the step may take more.
    const atLimit = request.maxWorkshopsPerStep !== undefined && assigned.size >= request.maxWorkshopsPerStep;
    const allowed = atLimit ? byCost.filter((c) => assigned.has(c.workshopId)) : byCost;
    for (const c of allowed) {
      const days = c === own ? ownDays : fill(c, step.process, minutesFor(c, wc, quantity), earliestDay, doneBy, capacity);
      if (days) {
        pick = { c, days };
        break;
      }
    }
    if (pick) {
      book(pick.c, quantity, pick.days);
      continue;
    }
    // No single modelled workshop can make the lot any more: split it over the cheapest that can make part of it.
    let left = quantity;
    for (const c of byCost) {
      if (left === 0) break;
      if (request.maxWorkshopsPerStep !== undefined && assigned.size >= request.maxWorkshopsPerStep && !assigned.has(c.workshopId)) continue;
      const units = Math.min(left, unitsIn(c, wc, freeMinutes(c, step.process, earliestDay, latestDay, capacity)));
      if (units <= 0 || units < Math.min(left, request.minLotSize ?? 1)) continue;
      const days = fill(c, step.process, minutesFor(c, wc, units), earliestDay, latestDay, capacity);
      if (!days) continue;
      book(c, units, days);
      left -= units;
    }
    if (left > 0) return null;
  }
  if (request.maxWorkshopsPerStep !== undefined && assigned.size > request.maxWorkshopsPerStep) return null;
  return [...assigned.values()].map(({ c, quantity, days: byDay }) => {
    const days = [...byDay].sort((a, b) => a[0] - b[0]).map(([day, minutes]) => ({ day, minutes }));
    const priceMinor = priceFor(c, wc, quantity);
    return {
      stepId: step.stepId,
      process: step.process,
      workshopId: c.workshopId,
      quantity,
      minutes: days.reduce((sum, d) => sum + d.minutes, 0),
      days,
      startDay: days[0].day,
      endDay: days[days.length - 1].day,
      priceMinor,
      transportMinor: transportOf(settings, upstream, c.location, isFinal, request.delivery),
      riskMinor: riskOf(settings, c, priceMinor),
      currency: c.currency,
      location: c.location,
    };
  });
}

/** For messages and tests: a plan's lots as `step@workshop×units [first day..last day]`. */
export function describePlan(plan: PlanSuccess): string[] {
  return plan.lots.map((l) => `${l.stepId}@${l.workshopId}×${l.quantity} [${isoDay(l.startDay)}..${isoDay(l.endDay)}]`);
}
