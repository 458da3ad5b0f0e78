import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ContractViolationError, type CapacityWithdrawnContract, type OrderSubmittedContract } from '#libs/contracts';
import { ident, ServiceDatabase, type EventMetadata } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { NetworkView } from '../network/network-view.js';
import type { WithdrawCause } from '../subtask/domain/subtask.commands.js';
import { MOVABLE_STATUSES, OPEN_STATUSES } from '../subtask/domain/subtask.decider.js';
import { SubtaskCommands } from '../subtask/subtask-commands.js';
import {
  dayNumber,
  dayStart,
  isoDay,
  lastWorkDay,
  layoutOf,
  fill,
  minutesFor,
  planRoute,
  priceFor,
  WorkingCapacity,
  type Candidate,
  type GeoPoint,
  type LotExplanation,
  type PlannedLot,
  type PlannerSettings,
  type PlanningFailure,
  type PlanningRequest,
  type PlanResult,
  type PlanSuccess,
} from './domain/planner.js';
import { DEFAULT_OPTIMISER_SETTINGS, planRouteOptimised, type OptimiserSettings } from './domain/route-optimiser.js';
import { PeakDays } from './peak-days.js';
import { dayKey, Reservations, type ReservationClash } from './reservations.js';
import { QuotedPlans } from '../quote/quoted-plans.js';

/** Advisory lock class of matching's planning areas ('mtch'); the area is a 3° × 3° block. */
const PLANNING_AREA_LOCK = 0x6d746368;
const planningArea = (p: GeoPoint): number => (Math.floor((p.lat + 90) / 3) * 1000 + Math.floor((p.lng + 180) / 3)) | 0;

const hashOf = (text: string): number => [...text].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0, 2166136261);

/** The candidates without the workshop-days in `busy` (keys of dayKey). */
function withoutDays(candidates: Map<string, Candidate[]>, busy: ReadonlySet<string>): Map<string, Candidate[]> {
  if (busy.size === 0) return candidates;
  const key = (c: Candidate, process: string, day: number) => dayKey({ workshopId: c.workshopId, process, day: isoDay(day) });
  return new Map(
    [...candidates].map(([process, list]) => [process, list.map((c) => ({ ...c, free: new Map([...c.free].filter(([day]) => !busy.has(key(c, process, day)))) }))]),
  );
}

export const planStream = (orderId: string): string => `order-plan-${orderId}`;
const BOOKING_ATTEMPTS = 8;
/** Lost booking races after which a planner plans in turn with its area (MESHFAB_MATCHING_AREA_LOCK=contended). */
const CLASHES_BEFORE_TURN = 2;
/** How long a booking waits for another planner holding the same workshop-days (ms). */
const BOOKING_LOCK_TIMEOUT_MS = 500;
/** How much the candidate shortlist grows at each level when capacity was short on it. */
const SHORTLIST_WIDENING = 4;

/**
 * The shortlists a plan tries in turn while capacity is short: the configured few cheapest, each with
 * free time for a quarter of the step; then ×4 as many needing a sixteenth; then ×16 needing a
 * sixty-fourth (a big peak-season step split over many small shops: a full list of those alone holds
 * the step's hours); last the ×256 cheapest with any free time in the window (1,024 per pricing model
 * by default: every capable shop of all but the largest networks, where "short" then means short).
 */
export function shortlistLevels(near: number, anywhere: number): { nearLimit: number; anywhereLimit: number; minFreeShare: number }[] {
  const levels = [1, SHORTLIST_WIDENING, SHORTLIST_WIDENING ** 2].map((widen) => ({ nearLimit: near * widen, anywhereLimit: anywhere * widen, minFreeShare: 0.25 / widen }));
  return [...levels, { nearLimit: 0, anywhereLimit: anywhere * SHORTLIST_WIDENING ** 4, minFreeShare: 0 }];
}
const ACTIVE = ['offered', 'accepted', 'started', 'completed', 'rework'];
/** Plans of orders that ended: nothing of them is planned again (closePlan). */
const ENDED_PLANS = ['cancelled', 'completed'] as const;
/** Plans that an OrderSubmitted heard again (or the retry sweep) must not plan anew. */
const CLOSED_PLANS: readonly string[] = ['planned', 'unplannable', ...ENDED_PLANS];

/** The planner used up its CPU budget (MATCHING_PLANNING_BUDGET_MS) before it found a plan or a reason. */
interface OverBudget {
  kind: 'over_budget';
  reason: string;
}
type PlanAndBookOutcome = { ok: true; result: PlanSuccess; ids: string[] } | { ok: false; failure: PlanningFailure | OverBudget };

/**
 * Why an order can never be planned as submitted, when planning it failed in a way no retry changes: a
 * figure out of the range of a column (PostgreSQL 22003) or of an event's contract. Undefined for other
 * errors (the consumer retries them).
 */
function unplannableReason(error: unknown): string | undefined {
  if (error instanceof ContractViolationError) return `the plan does not fit its event contract (${error.message})`;
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '22003') {
    return `a figure of the plan is out of range (${(error as Error).message}); quantity × work content per unit is too large to plan`;
  }
  return undefined;
}

interface LotRef {
  subtask_id: string;
  order_id: string;
  step_id: string;
  workshop_id: string;
  quantity: number;
}

interface ActiveLot {
  subtask_id: string;
  order_id: string;
  step_id: string;
  workshop_id: string;
  quantity: number;
  status: string;
  planned_start: Date;
  planned_end: Date;
}

export interface LotToReplan {
  orderId: string;
  stepId: string;
  quantity: number;
  /** Workshops not to offer this lot again. */
  excluded: readonly string[];
  /** The subtask whose quantity this lot takes over. */
  replaces: string;
  reason: string;
}

/** Explanation as stored and shown: day numbers as ISO dates. */
function explanationView(e: LotExplanation): Record<string, unknown> {
  return {
    ...e,
    window: { earliestDay: isoDay(e.window.earliestDay), latestDay: isoDay(e.window.latestDay) },
    candidates: e.candidates.map((c) => ({ ...c, finishDay: c.finishDay === null ? null : isoDay(c.finishDay) })),
  };
}

/**
 * Plans orders and re-plans lots: loads candidates from the network view, runs the pure planner,
 * books the capacity (rolling back to a savepoint and planning again when a concurrent planner took
 * it first), offers each lot to its workshop and records the outcome as events.
 */
@Injectable()
export class PlanningService {
  private readonly s: string;
  private readonly log = new Logger(PlanningService.name);
  /** Cumulative: CPU time in the pure planner, booking clashes, plans that took their area's lock (counted when asked for), optimiser runs / plans found / chosen (benchmarks, metrics). */
  readonly stats = { plannerMs: 0, clashes: 0, plannedInTurn: 0, optimiserRuns: 0, optimiserFound: 0, optimiserChosen: 0 };

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(NetworkView) private readonly network: NetworkView,
    @Inject(Reservations) private readonly reservations: Reservations,
    @Inject(SubtaskCommands) private readonly subtasks: SubtaskCommands,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
    @Inject(PeakDays) private readonly peaks: PeakDays,
    @Inject(QuotedPlans) private readonly quoted: QuotedPlans,
  ) {
    this.s = ident(db.schema);
  }

  private get optimiserSettings(): OptimiserSettings | null {
    const c = this.settings.config;
    if (c.MATCHING_OPTIMISER_BUDGET_MS === 0) return null;
    // The budget is shared by the lot counts a stage tries (4) and the route's steps (about 5).
    return { ...DEFAULT_OPTIMISER_SETTINGS, timeLimitMs: Math.max(1, Math.floor(c.MATCHING_OPTIMISER_BUDGET_MS / 20)), maxIterations: c.MATCHING_OPTIMISER_ITERATIONS, costSlack: c.MATCHING_OPTIMISER_COST_SLACK };
  }

  private get plannerSettings(): PlannerSettings {
    const c = this.settings.config;
    return { costPerKmMinor: c.MATCHING_COST_PER_KM_MINOR, transportWeight: c.MATCHING_TRANSPORT_WEIGHT, riskWeight: c.MATCHING_RISK_WEIGHT, explainTop: 10 };
  }

  /** Plans the whole route of a submitted order (or records why it cannot be planned now). */
  async planOrder(order: OrderSubmittedContract, m: EntityManager, metadata: EventMetadata): Promise<PlanResult | null> {
    const now = this.settings.clock();
    const existing: { status: string }[] = await m.query(
      `INSERT INTO ${this.s}.order_plans (order_id, brand_id, status, order_data, updated_at) VALUES ($1, $2, 'planning', $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING status`,
      [order.orderId, order.brandId, JSON.stringify(order), now],
    );
    if (existing[0] && CLOSED_PLANS.includes(existing[0].status)) return null;
    const request: PlanningRequest = {
      firstDay: dayNumber(now) + 1,
      lastDay: lastWorkDay(new Date(order.dueDate)),
      delivery: order.delivery,
      steps: order.route.map((s) => ({ stepId: s.stepId, process: s.process, workContentHoursPerUnit: s.workContentHoursPerUnit, dependsOn: s.dependsOn, quantity: order.quantity })),
      maxWorkshopsPerStep: order.splitPolicy?.maxWorkshopsPerStep,
      minLotSize: order.splitPolicy?.minLotSize,
    };
    // What fails for good (a figure out of range) ends visibly instead of failing the event until it is dead-lettered.
    await m.query('SAVEPOINT matching_plan_order');
    let outcome: PlanAndBookOutcome;
    try {
      outcome = (await this.bookQuoted(order, m, metadata)) ?? (await this.planAndBook(request, [order.delivery], m, order.orderId));
      if (outcome.ok) {
        const { result, ids } = outcome;
        const planned = await this.offer(order, result.lots, ids, null, m, metadata);
        await this.db.store.append(
          planStream(order.orderId),
          [{ type: 'OrderPlanned', data: { orderId: order.orderId, brandId: order.brandId, lots: planned, plannedCompletion: dayStart(result.completionDay + 1).toISOString() } }],
          { expectedVersion: 'any', metadata, manager: m },
        );
      }
    } catch (error) {
      const reason = unplannableReason(error);
      if (reason === undefined) throw error;
      await m.query('ROLLBACK TO SAVEPOINT matching_plan_order');
      await this.abandon(order, reason, m, metadata);
      return null;
    }
    await m.query('RELEASE SAVEPOINT matching_plan_order');
    if (!outcome.ok) {
      if (outcome.failure.kind === 'over_budget') {
        await this.abandon(order, outcome.failure.reason, m, metadata);
        return null;
      }
      await this.recordFailure(order, outcome.failure.reason, m, metadata);
      return { ok: false, failure: outcome.failure };
    }
    const { result } = outcome;
    await m.query(`UPDATE ${this.s}.order_plans SET status = 'planned', reason = NULL, completion_day = $2::date, mode = $3, updated_at = $4 WHERE order_id = $1`, [
      order.orderId,
      isoDay(result.completionDay),
      result.mode,
      now,
    ]);
    return result;
  }

  /**
   * An order placed from an accepted quote gets the quoted lots at the quoted prices: the quote's hold
   * (if any) is let go and the same days booked for the order. When they no longer fit (the quote was
   * not held and capacity moved since), nothing is kept and the order is planned as any other.
   */
  private async bookQuoted(order: OrderSubmittedContract, m: EntityManager, metadata: EventMetadata): Promise<PlanAndBookOutcome | null> {
    const lots = await this.quoted.lotsFor(order, m);
    if (!lots) return null;
    await m.query('SAVEPOINT matching_quoted_plan');
    await this.quoted.useHold(order, metadata, m);
    const booking = await this.book(lots, m);
    if (!('ids' in booking)) {
      await m.query('ROLLBACK TO SAVEPOINT matching_quoted_plan');
      this.log.warn(`order ${order.orderId}: the lots of quote ${order.quoteId} no longer fit; planning it afresh`);
      return null;
    }
    await m.query('RELEASE SAVEPOINT matching_quoted_plan');
    return { ok: true, result: { ok: true, lots, completionDay: Math.max(...lots.map((l) => l.endDay)), mode: 'cost' }, ids: booking.ids };
  }

  /**
   * Plans against the network view as it is now and books the lots; when a concurrent planner took a
   * workshop-day first, plans again with fresh capacity (a few times, then the caller's retry).
   */
  private async planAndBook(
    request: PlanningRequest,
    near: readonly GeoPoint[],
    m: EntityManager,
    orderId: string,
  ): Promise<PlanAndBookOutcome> {
    const c = this.settings.config;
    // CPU spent in the pure planner for this request; checked (after yielding to the event loop) before every run.
    let spent = 0;
    const processes = request.steps.map((s) => s.process);
    const minutesNeeded: Record<string, number> = {};
    for (const s of request.steps) minutesNeeded[s.process] = (minutesNeeded[s.process] ?? 0) + s.quantity * s.workContentHoursPerUnit * 60;
    let failure: PlanningFailure | undefined;
    const busy = new Set<string>();
    let clashes = 0;
    // The booking is the check (the workshop-days locked in one global order, then booked only where
    // the minutes still fit and the workshop is still active), so no lock is needed for safety. Planners
    // around the same place want the same cheapest workshops, though: they plan or book in turn (a lock
    // per planning area, held to commit), instead of racing again and again for the same days. Where the
    // lock is taken (before reading candidates, before booking, after lost races): MESHFAB_MATCHING_AREA_LOCK.
    let inTurn = false;
    const planInTurn = async () => {
      if (inTurn || near.length === 0) return;
      inTurn = true;
      this.stats.plannedInTurn += 1;
      await m.query('SELECT pg_advisory_xact_lock($1, $2)', [PLANNING_AREA_LOCK, planningArea(near[near.length - 1])]);
    };
    const lockArea = c.MESHFAB_MATCHING_AREA_LOCK;
    if (lockArea === 'plan') await planInTurn();
    // The shortlist grows when capacity was short on it: more of the cheapest workshops, each needing
    // less free time, and last the cheapest with any free time at all, so "capacity short" is the
    // answer of the network, not of its few cheapest shops.
    const levels = shortlistLevels(c.MATCHING_CANDIDATES_NEAR, c.MATCHING_CANDIDATES_ANYWHERE);
    for (const [level, shortlist] of levels.entries()) {
      const query = { processes, fromDay: request.firstDay, toDay: request.lastDay, near, minutesNeeded, ...shortlist };
      const lastLevel = level === levels.length - 1;
      // Short of capacity or of time (earlier steps ending late on a few booked-up shops): a longer
      // shortlist may make it.
      const widen = (r: PlanResult) => !r.ok && r.failure.kind !== 'no_workshop' && !lastLevel;
      failure = undefined;
      for (let attempt = 0; attempt < BOOKING_ATTEMPTS && !failure; attempt++) {
        const candidates = withoutDays(await this.network.candidates(query, m), busy);
        // Load levelling: the peak days of the candidates' regions (none when it is off).
        const levelling = await this.peaks.levellingFor(candidates, request.firstDay, request.lastDay, m);
        await nextTurn();
        if (spent > c.MATCHING_PLANNING_BUDGET_MS) {
          const reason = `planning took more than its CPU budget of ${c.MATCHING_PLANNING_BUDGET_MS} ms (MATCHING_PLANNING_BUDGET_MS) without finding a plan`;
          return { ok: false, failure: { kind: 'over_budget', reason } };
        }
        const started = performance.now();
        // After a lost booking race, rank within a few per cent at random so the losers spread out.
        const spread = clashes > 0 ? { seed: (clashes * 7919) ^ hashOf(orderId), amount: Math.min(0.15, 0.03 * clashes) } : undefined;
        const settings = { ...this.plannerSettings, spread, levelling };
        const greedy = planRoute(request, candidates, settings);
        // The optimiser runs where the due date binds, once the shortlist will not grow any more (and
        // not while other planners' bookings are pending).
        const result =
          !greedy.ok && (busy.size > 0 || widen(greedy))
            ? greedy
            : planRouteOptimised(
                request,
                candidates,
                settings,
                this.optimiserSettings,
                (run) => {
                  this.stats.optimiserRuns += 1;
                  if (run.found) this.stats.optimiserFound += 1;
                  if (run.chosen) this.stats.optimiserChosen += 1;
                },
                greedy,
              );
        const took = performance.now() - started;
        spent += took;
        this.stats.plannerMs += took;
        if (!result.ok) {
          if (busy.size > 0) {
            // It may fit once the other planners are done (they may also roll back): wait a moment, look again.
            busy.clear();
            await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10 * (attempt + 1)));
            continue;
          }
          if (widen(result)) failure = result.failure;
          else return result;
          continue;
        }
        if (lockArea === 'book') await planInTurn();
        const booking = await this.book(result.lots, m);
        if ('ids' in booking) return { ok: true, result, ids: booking.ids };
        // Days another planner is booking right now are planned around (their outcome is not known yet);
        // days that filled up meanwhile show in the next read of the network view.
        for (const d of booking.clash.busy) busy.add(dayKey(d));
        clashes += 1;
        this.stats.clashes += 1;
        if (lockArea === 'contended' && clashes >= CLASHES_BEFORE_TURN) await planInTurn();
      }
      if (!failure) throw new Error(`order ${orderId}: capacity kept being taken by concurrent plans; will retry`);
    }
    return { ok: false, failure: failure! };
  }

  /** Books every lot's minutes; on a clash nothing is kept and the clash says which days to avoid. */
  private async book(lots: readonly PlannedLot[], m: EntityManager): Promise<{ ids: string[] } | { clash: ReservationClash }> {
    const ids = lots.map(() => randomUUID());
    // A planner booking the same days right now is waited for, briefly (the clash says which days).
    await m.query(`SAVEPOINT matching_booking; SET LOCAL lock_timeout = ${BOOKING_LOCK_TIMEOUT_MS}`);
    const clash = await this.reservations.reserveAll(
      lots.flatMap((l, i) => l.days.map((d) => ({ subtaskId: ids[i], workshopId: l.workshopId, process: l.process, day: isoDay(d.day), minutes: d.minutes }))),
      m,
    );
    if (clash) {
      await m.query('ROLLBACK TO SAVEPOINT matching_booking');
      this.log.debug(`${clash.busy.length} workshop-days being booked by another planner, ${clash.full.length} taken meanwhile; planning again`);
      return { clash };
    }
    await m.query('RELEASE SAVEPOINT matching_booking; SET LOCAL lock_timeout TO DEFAULT');
    return { ids };
  }

  private async offer(order: OrderSubmittedContract, lots: readonly PlannedLot[], ids: readonly string[], replaces: string | null, m: EntityManager, metadata: EventMetadata) {
    const now = this.settings.clock();
    const expiresAt = new Date(now.getTime() + this.settings.config.MATCHING_OFFER_EXPIRY_MINUTES * 60_000);
    const offers = lots.map((lot, i) => {
      const price = { amountMinor: lot.priceMinor, currency: lot.currency as 'CNY' };
      return {
        command: {
          type: 'OfferSubtask' as const,
          facts: { subtaskId: ids[i], orderId: order.orderId, brandId: order.brandId, stepId: lot.stepId, process: lot.process, workshopId: lot.workshopId, quantity: lot.quantity, price },
          expiresAt,
          plannedStart: dayStart(lot.startDay),
          plannedEnd: dayStart(lot.endDay + 1),
        },
        // Why the lot went where it went (shown to the brand, the operator and the chosen workshop).
        explanation: { ...explanationView(lot.explanation), transportMinor: lot.transportMinor, riskMinor: lot.riskMinor, minutes: lot.minutes },
        replaces,
      };
    });
    await this.subtasks.offerNew(offers, metadata, m);
    return offers.map(({ command: { facts, plannedStart, plannedEnd } }) => ({
      subtaskId: facts.subtaskId,
      stepId: facts.stepId,
      workshopId: facts.workshopId,
      quantity: facts.quantity,
      plannedStart: plannedStart.toISOString(),
      plannedEnd: plannedEnd.toISOString(),
      price: facts.price,
    }));
  }

  /**
   * The order cannot be planned as submitted, now or later: matching stops trying (status `unplannable`,
   * not retried when capacity appears) and tells the order why (`OrderPlanningAbandoned`).
   */
  private async abandon(order: Pick<OrderSubmittedContract, 'orderId' | 'brandId'>, reason: string, m: EntityManager, metadata: EventMetadata): Promise<void> {
    this.log.warn(`order ${order.orderId} cannot be planned: ${reason}`);
    await m.query(`UPDATE ${this.s}.order_plans SET status = 'unplannable', reason = $2, updated_at = $3 WHERE order_id = $1`, [order.orderId, reason, this.settings.clock()]);
    await this.db.store.append(planStream(order.orderId), [{ type: 'OrderPlanningAbandoned', data: { orderId: order.orderId, brandId: order.brandId, reason } }], {
      expectedVersion: 'any',
      metadata,
      manager: m,
    });
  }

  private async recordFailure(order: Pick<OrderSubmittedContract, 'orderId' | 'brandId'>, reason: string, m: EntityManager, metadata: EventMetadata): Promise<void> {
    const rows: { status: string; reason: string | null }[] = await m.query(`SELECT status, reason FROM ${this.s}.order_plans WHERE order_id = $1 FOR UPDATE`, [order.orderId]);
    await m.query(`UPDATE ${this.s}.order_plans SET status = 'failed', reason = $2, updated_at = $3 WHERE order_id = $1`, [order.orderId, reason, this.settings.clock()]);
    // A retry that fails for the same reason stays quiet: the brand already knows why it waits.
    if (rows[0]?.status === 'failed' && rows[0].reason === reason) return;
    await this.db.store.append(planStream(order.orderId), [{ type: 'OrderPlanningFailed', data: { orderId: order.orderId, brandId: order.brandId, reason } }], {
      expectedVersion: 'any',
      metadata,
      manager: m,
    });
  }

  /**
   * Plans one lot again (after a decline, an expiry, a failed inspection, a suspension or withdrawn
   * capacity) touching as few other lots as it can: first between its predecessors' lots and the start
   * of its successors' lots, avoiding the workshops that turned this step down. Only when that window
   * holds no plan does it widen the window to the due date and finish as early as it can; the
   * successor lots not started yet that would now begin before their inputs arrive are then withdrawn
   * and re-planned the same way (`upstream_moved`). Unplaceable → waits in pending_lots.
   */
  async replanLot(lot: LotToReplan, m: EntityManager, metadata: EventMetadata, options: { quiet?: boolean; cascade?: boolean; waitWhenUnplaced?: boolean } = {}): Promise<boolean> {
    const plans: { status: string; order_data: OrderSubmittedContract }[] = await m.query(`SELECT status, order_data FROM ${this.s}.order_plans WHERE order_id = $1 FOR UPDATE`, [lot.orderId]);
    if (plans.length === 0 || (ENDED_PLANS as readonly string[]).includes(plans[0].status)) return false;
    const order = plans[0].order_data;
    const step = order.route.find((s) => s.stepId === lot.stepId);
    if (!step) return false;
    const turnedDown: { workshop_id: string }[] = await m.query(
      `SELECT DISTINCT workshop_id FROM ${this.s}.subtasks WHERE order_id = $1 AND step_id = $2 AND status IN ('declined', 'expired', 'replanned')`,
      [lot.orderId, lot.stepId],
    );
    const active: ActiveLot[] = await m.query(
      `SELECT subtask_id, order_id, step_id, workshop_id, quantity, status, planned_start, planned_end FROM ${this.s}.subtasks WHERE order_id = $1 AND status = ANY($2) ORDER BY planned_start, subtask_id`,
      [lot.orderId, ACTIVE],
    );
    const now = this.settings.clock();
    const firstDay = dayNumber(now) + 1;
    const lastDay = lastWorkDay(new Date(order.dueDate));
    const preds = active.filter((a) => step.dependsOn.includes(a.step_id));
    // One linear pass over the route (layoutOf) for the step's successors and the chain of steps after it.
    const layout = layoutOf(order.route);
    const successorSteps = new Set(layout.successors.get(step.stepId));
    const succs = active.filter((a) => successorSteps.has(a.step_id));
    const locations = await this.network.locationOf(preds.map((p) => p.workshop_id), m);
    const latestByDueDate = lastDay - layout.stepsAfter.get(step.stepId)!;
    const startDay = (a: ActiveLot): number => dayNumber(new Date(a.planned_start));
    const demand = (latestDay: number): PlanningRequest => ({
      firstDay,
      lastDay,
      delivery: order.delivery,
      steps: [
        {
          stepId: step.stepId,
          process: step.process,
          workContentHoursPerUnit: step.workContentHoursPerUnit,
          dependsOn: [],
          quantity: lot.quantity,
          excludedWorkshops: [...new Set([...lot.excluded, ...turnedDown.map((t) => t.workshop_id)])],
          earliestDay: Math.max(firstDay, ...preds.map((p) => dayNumber(new Date(p.planned_end)))),
          latestDay,
          upstream: preds.flatMap((p) => {
            const location = locations.get(p.workshop_id);
            return location ? [{ location, quantity: p.quantity }] : [];
          }),
          final: successorSteps.size === 0,
        },
      ],
      maxWorkshopsPerStep: order.splitPolicy?.maxWorkshopsPerStep,
      minLotSize: order.splitPolicy?.minLotSize,
    });
    const narrow = demand(succs.length > 0 ? Math.min(...succs.map(startDay)) - 1 : latestByDueDate);
    const near = [...locations.values(), order.delivery];
    let outcome = await this.planAndBook(narrow, near, m, lot.orderId);
    let toMove: ActiveLot[] = [];
    if (!outcome.ok && outcome.failure.kind !== 'no_workshop' && outcome.failure.kind !== 'over_budget' && options.cascade !== false) {
      // Widen to the due date, bounded by successor lots whose work has started (they cannot move).
      const movable = succs.filter((a) => (MOVABLE_STATUSES as readonly string[]).includes(a.status));
      const fixed = succs.filter((a) => !movable.includes(a));
      const wideLatest = Math.min(latestByDueDate, ...fixed.map((a) => startDay(a) - 1));
      if (movable.length > 0 && wideLatest > narrow.steps[0].latestDay!) {
        const wide = await this.planAndBook({ ...demand(wideLatest), objective: 'earliest_finish' }, near, m, lot.orderId);
        if (wide.ok) {
          outcome = wide;
          const endDay = Math.max(...wide.result.lots.map((l) => l.endDay));
          toMove = movable.filter((a) => startDay(a) <= endDay);
        }
      }
    }
    if (!outcome.ok) {
      if (options.waitWhenUnplaced === false) return false;
      const request = narrow;
      await m.query(`INSERT INTO ${this.s}.pending_lots (order_id, step_id, quantity, excluded, replaces, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [
        lot.orderId,
        lot.stepId,
        lot.quantity,
        request.steps[0].excludedWorkshops,
        lot.replaces,
        outcome.failure.reason,
      ]);
      if (!options.quiet) {
        const reason = `lot of ${lot.quantity} units of step ${lot.stepId} (after: ${lot.reason}) could not be re-planned: ${outcome.failure.reason}`;
        await this.db.store.append(planStream(lot.orderId), [{ type: 'OrderPlanningFailed', data: { orderId: lot.orderId, brandId: order.brandId, reason } }], {
          expectedVersion: 'any',
          metadata,
          manager: m,
        });
      }
      return false;
    }
    const { result, ids } = outcome;
    const planned = await this.offer(order, result.lots, ids, lot.replaces, m, metadata);
    await this.db.store.append(
      planStream(lot.orderId),
      [{ type: 'LotReplanned', data: { orderId: lot.orderId, brandId: order.brandId, stepId: lot.stepId, replacedSubtaskId: lot.replaces, quantity: lot.quantity, reason: lot.reason, lots: planned } }],
      { expectedVersion: 'any', metadata, manager: m },
    );
    if (toMove.length > 0) {
      const until = isoDay(Math.max(...result.lots.map((l) => l.endDay)));
      const moved = await this.withdrawLots(toMove, 'upstream_moved', `its inputs (step ${lot.stepId}) were re-planned to be ready only after ${until}`, m, metadata);
      for (const a of moved) await this.replanLot({ orderId: lot.orderId, stepId: a.step_id, quantity: a.quantity, excluded: [], replaces: a.subtask_id, reason: a.reason }, m, metadata, options);
    }
    return true;
  }

  /**
   * Takes lots away from their workshops before work started (the decider keeps started work where it
   * is) and releases their capacity. Returns the lots actually withdrawn, in the given order.
   */
  private async withdrawLots(
    lots: readonly LotRef[],
    cause: WithdrawCause,
    why: string,
    m: EntityManager,
    metadata: EventMetadata,
  ): Promise<(LotRef & { reason: string })[]> {
    const withdrawn: (LotRef & { reason: string })[] = [];
    for (const l of lots) {
      const reason = `lot withdrawn from ${l.workshop_id}: ${why}`;
      const outcome = await this.subtasks.handle(l.subtask_id, { type: 'WithdrawSubtask', reason, cause }, metadata, m);
      if (outcome.newEvents.length === 0) continue;
      await this.reservations.release(l.subtask_id, m);
      withdrawn.push({ ...l, reason });
    }
    return withdrawn;
  }

  /**
   * A workshop was suspended: its offers and accepted lots not started yet are withdrawn and re-planned
   * elsewhere (one lot at a time, each touching as few others as it can). Work under way stays.
   */
  async workshopSuspended(workshopId: string, why: string, m: EntityManager, metadata: EventMetadata): Promise<number> {
    await this.network.setSuspended(workshopId, true, m);
    const lots: LotRef[] = await m.query(
      `SELECT subtask_id, order_id, step_id, workshop_id, quantity FROM ${this.s}.subtasks WHERE workshop_id = $1 AND status = ANY($2) ORDER BY planned_start, order_id, subtask_id`,
      [workshopId, MOVABLE_STATUSES],
    );
    const withdrawn = await this.withdrawLots(lots, 'workshop_suspended', `the workshop was suspended (${why})`, m, metadata);
    for (const l of withdrawn) {
      await this.replanLot({ orderId: l.order_id, stepId: l.step_id, quantity: l.quantity, excluded: [workshopId], replaces: l.subtask_id, reason: l.reason }, m, metadata);
    }
    return withdrawn.length;
  }

  /**
   * A workshop withdrew shared capacity of a process for a period. The registry never refuses that, so
   * matching keeps the capacity book true: the lots not started yet whose reserved hours fall in the
   * period (offers and accepted lots alike — the hours are gone) are withdrawn, the period's capacity
   * drops to what work under way still holds, and each withdrawn lot is re-planned (the same workshop
   * may take it again on days it still shares).
   */
  async capacityWithdrawn(data: CapacityWithdrawnContract, m: EntityManager, metadata: EventMetadata): Promise<number> {
    const lots: LotRef[] = await m.query(
      `SELECT s.subtask_id, s.order_id, s.step_id, s.workshop_id, s.quantity FROM ${this.s}.subtasks s
       WHERE s.status = ANY($5) AND EXISTS (
         SELECT 1 FROM ${this.s}.reservations r WHERE r.subtask_id = s.subtask_id AND r.workshop_id = $1 AND r.process = $2
           AND r.day BETWEEN $3::date AND $4::date AND r.status <> 'released')
       ORDER BY s.planned_start, s.order_id, s.subtask_id`,
      [data.workshopId, data.process, data.from, data.until, MOVABLE_STATUSES],
    );
    const withdrawn = await this.withdrawLots(lots, 'capacity_withdrawn', `it withdrew its ${data.process} capacity from ${data.from} to ${data.until}`, m, metadata);
    await this.network.withdrawCapacity(data, m);
    for (const l of withdrawn) {
      await this.replanLot({ orderId: l.order_id, stepId: l.step_id, quantity: l.quantity, excluded: [], replaces: l.subtask_id, reason: l.reason }, m, metadata);
    }
    return withdrawn.length;
  }

  /**
   * The workshop countered an offer with a smaller quantity and/or a later end. The planner takes it
   * only if that touches no other lot: the countered units fit the workshop's free time between the
   * lot's inputs and its successors' start (and the due date), and the units it leaves fit elsewhere
   * in the same window. Taken: the offer is cancelled (cause `countered`), the workshop gets a new
   * subtask on its terms, offered and accepted at once, and the rest is re-planned (`LotReplanned`).
   * Refused: nothing changes but the record of the refusal; the offer stands.
   */
  async takeCounter(
    offer: { subtaskId: string; orderId: string; stepId: string; workshopId: string; quantity: number },
    counter: { quantity: number; plannedEnd: Date },
    m: EntityManager,
    metadata: EventMetadata,
  ): Promise<{ taken: true; subtaskId: string } | { taken: false; reason: string }> {
    const plans: { order_data: OrderSubmittedContract }[] = await m.query(`SELECT order_data FROM ${this.s}.order_plans WHERE order_id = $1 FOR UPDATE`, [offer.orderId]);
    const order = plans[0]?.order_data;
    const step = order?.route.find((s) => s.stepId === offer.stepId);
    if (!order || !step) return { taken: false, reason: 'the order is no longer planned' };
    const active: ActiveLot[] = await m.query(
      `SELECT subtask_id, order_id, step_id, workshop_id, quantity, status, planned_start, planned_end FROM ${this.s}.subtasks WHERE order_id = $1 AND status = ANY($2) AND subtask_id <> $3`,
      [offer.orderId, ACTIVE, offer.subtaskId],
    );
    const firstDay = dayNumber(this.settings.clock()) + 1;
    const layout = layoutOf(order.route);
    const successors = new Set(layout.successors.get(step.stepId));
    const earliest = Math.max(firstDay, ...active.filter((a) => step.dependsOn.includes(a.step_id)).map((a) => dayNumber(new Date(a.planned_end))));
    const bySuccessors = Math.min(...active.filter((a) => successors.has(a.step_id)).map((a) => dayNumber(new Date(a.planned_start)) - 1));
    const latest = Math.min(lastWorkDay(new Date(order.dueDate)) - layout.stepsAfter.get(step.stepId)!, bySuccessors);
    // plannedEnd is exclusive (the start of the day after the last working day).
    const counterLast = Math.ceil(counter.plannedEnd.getTime() / 86_400_000) - 1;
    if (counterLast > latest) {
      return { taken: false, reason: `the lot must be done by ${isoDay(latest)} (${Number.isFinite(bySuccessors) && bySuccessors === latest ? 'the next step starts the day after' : 'the due date'})` };
    }
    await m.query('SAVEPOINT matching_counter');
    const refuse = async (reason: string) => {
      await m.query('ROLLBACK TO SAVEPOINT matching_counter');
      return { taken: false as const, reason };
    };
    const withdrawn = await this.withdrawLots(
      [{ subtask_id: offer.subtaskId, order_id: offer.orderId, step_id: offer.stepId, workshop_id: offer.workshopId, quantity: offer.quantity }],
      'countered',
      `counter-offer taken: ${counter.quantity} units by ${isoDay(counterLast)}`,
      m,
      metadata,
    );
    if (withdrawn.length === 0) return refuse('the offer is no longer open');
    const c = await this.network.candidateFor(offer.workshopId, step.process, earliest, counterLast, m);
    const minutes = c ? minutesFor(c, step.workContentHoursPerUnit, counter.quantity) : 0;
    const days = c ? fill(c, step.process, minutes, earliest, counterLast, new WorkingCapacity()) : null;
    if (!c || !days) return refuse(`${offer.workshopId} has not enough free ${step.process} time between ${isoDay(earliest)} and ${isoDay(counterLast)}`);
    const priceMinor = priceFor(c, step.workContentHoursPerUnit, counter.quantity);
    const lot: PlannedLot = {
      stepId: step.stepId,
      process: step.process,
      workshopId: c.workshopId,
      quantity: counter.quantity,
      minutes,
      days,
      startDay: days[0].day,
      endDay: days[days.length - 1].day,
      priceMinor,
      transportMinor: 0,
      riskMinor: 0,
      currency: c.currency,
      location: c.location,
      explanation: {
        mode: 'cost',
        binding: 'counter_offer',
        window: { earliestDay: earliest, latestDay: counterLast },
        candidatesConsidered: 1,
        candidates: [],
      },
    };
    const booking = await this.book([lot], m);
    if (!('ids' in booking)) return refuse(`${offer.workshopId}'s free time was taken meanwhile`);
    const [subtaskId] = booking.ids;
    await this.offer(order, [lot], booking.ids, offer.subtaskId, m, metadata);
    await this.subtasks.handle(subtaskId, { type: 'AcceptOffer', workshopId: offer.workshopId, at: this.settings.clock() }, metadata, m);
    await this.reservations.confirm(subtaskId, m);
    if (counter.quantity < offer.quantity) {
      const placed = await this.replanLot(
        { orderId: offer.orderId, stepId: offer.stepId, quantity: offer.quantity - counter.quantity, excluded: [offer.workshopId], replaces: offer.subtaskId, reason: `counter-offer by ${offer.workshopId}: ${counter.quantity} of ${offer.quantity} units` },
        m,
        metadata,
        { quiet: true, cascade: false, waitWhenUnplaced: false },
      );
      if (!placed) return refuse(`the other ${offer.quantity - counter.quantity} units fit nowhere else before ${isoDay(latest)}`);
    }
    await m.query('RELEASE SAVEPOINT matching_counter');
    return { taken: true, subtaskId };
  }

  /** Capacity appeared: plan again the orders and lots that wait for it (oldest first, a batch). */
  async retryWaiting(m: EntityManager, metadata: EventMetadata): Promise<void> {
    const batch = this.settings.config.MATCHING_RETRY_BATCH;
    const failed: { order_data: OrderSubmittedContract }[] = await m.query(
      `SELECT order_data FROM ${this.s}.order_plans WHERE status = 'failed' ORDER BY updated_at LIMIT $1`,
      [batch],
    );
    for (const f of failed) await this.planOrder(f.order_data, m, metadata);
    // A DELETE … RETURNING answers [rows, count] through TypeORM.
    const [pending]: [{ order_id: string; step_id: string; quantity: number; excluded: string[]; replaces: string; reason: string }[], number] = await m.query(
      `DELETE FROM ${this.s}.pending_lots WHERE id IN (SELECT id FROM ${this.s}.pending_lots ORDER BY id LIMIT $1) RETURNING order_id, step_id, quantity, excluded, replaces, reason`,
      [batch],
    );
    for (const p of pending) {
      await this.replanLot({ orderId: p.order_id, stepId: p.step_id, quantity: p.quantity, excluded: p.excluded, replaces: p.replaces, reason: p.reason }, m, metadata, { quiet: true });
    }
  }

  /**
   * The order completed: every lot it still had offered or accepted (a make-up lot the passed quantity
   * made surplus) is withdrawn (cause `order_completed`) and its capacity released — settlement has
   * already refunded its escrow at the close, and the brand does not pay for work it no longer needs.
   * Work under way stays with its workshop (paid if it passes); nothing waiting is planned any more.
   */
  async orderCompleted(orderId: string, m: EntityManager, metadata: EventMetadata): Promise<number> {
    await this.closePlan(orderId, 'completed', null, m);
    const lots: LotRef[] = await m.query(
      `SELECT subtask_id, order_id, step_id, workshop_id, quantity FROM ${this.s}.subtasks WHERE order_id = $1 AND status = ANY($2) ORDER BY subtask_id`,
      [orderId, MOVABLE_STATUSES],
    );
    return (await this.withdrawLots(lots, 'order_completed', 'the order completed without it', m, metadata)).length;
  }

  /** Order cancelled: every open subtask is cancelled and its capacity released. */
  async cancelOrder(orderId: string, reason: string, m: EntityManager, metadata: EventMetadata): Promise<void> {
    await this.closePlan(orderId, 'cancelled', reason, m);
    const open: { subtask_id: string }[] = await m.query(`SELECT subtask_id FROM ${this.s}.subtasks WHERE order_id = $1 AND status = ANY($2) ORDER BY subtask_id`, [orderId, OPEN_STATUSES]);
    for (const o of open) {
      await this.subtasks.handle(o.subtask_id, { type: 'CancelSubtask', reason: `order cancelled: ${reason}` }, metadata, m);
      await this.reservations.release(o.subtask_id, m);
    }
  }

  /** The order ended: its plan says how, and nothing of it waits to be planned any more. */
  private async closePlan(orderId: string, status: (typeof ENDED_PLANS)[number], reason: string | null, m: EntityManager): Promise<void> {
    await m.query(`UPDATE ${this.s}.order_plans SET status = $2, reason = $3, updated_at = $4 WHERE order_id = $1`, [orderId, status, reason, this.settings.clock()]);
    await m.query(`DELETE FROM ${this.s}.pending_lots WHERE order_id = $1`, [orderId]);
  }
}
