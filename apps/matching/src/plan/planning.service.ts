import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OrderSubmittedContract } from '#libs/contracts';
import { ident, ServiceDatabase, type EventMetadata } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { NetworkView } from '../network/network-view.js';
import { OPEN_STATUSES } from '../subtask/domain/subtask.decider.js';
import { SubtaskCommands } from '../subtask/subtask-commands.js';
import {
  dayNumber,
  dayStart,
  isoDay,
  lastWorkDay,
  planRoute,
  type Candidate,
  type LotExplanation,
  type PlannedLot,
  type PlannerSettings,
  type PlanningRequest,
  type PlanResult,
} from './domain/planner.js';
import { Reservations } from './reservations.js';

export const planStream = (orderId: string): string => `order-plan-${orderId}`;
const BOOKING_ATTEMPTS = 5;
const ACTIVE = ['offered', 'accepted', 'started', 'completed', 'rework'];

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

/** Longest chain of successor steps after `stepId` (0 for a final step). */
function tailLength(route: OrderSubmittedContract['route'], stepId: string, seen = new Set<string>()): number {
  if (seen.has(stepId)) return 0;
  seen.add(stepId);
  const next = route.filter((s) => s.dependsOn.includes(stepId));
  return next.length === 0 ? 0 : 1 + Math.max(...next.map((s) => tailLength(route, s.stepId, new Set(seen))));
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

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(NetworkView) private readonly network: NetworkView,
    @Inject(Reservations) private readonly reservations: Reservations,
    @Inject(SubtaskCommands) private readonly subtasks: SubtaskCommands,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {
    this.s = ident(db.schema);
  }

  private get plannerSettings(): PlannerSettings {
    const c = this.settings.config;
    return { costPerKmMinor: c.MATCHING_COST_PER_KM_MINOR, transportWeight: c.MATCHING_TRANSPORT_WEIGHT, riskWeight: c.MATCHING_RISK_WEIGHT, explainTop: 10 };
  }

  private async candidates(processes: Iterable<string>, fromDay: number, toDay: number, m: EntityManager): Promise<Map<string, Candidate[]>> {
    const map = new Map<string, Candidate[]>();
    for (const p of new Set(processes)) map.set(p, await this.network.candidates(p, fromDay, Math.max(fromDay, toDay), m));
    return map;
  }

  /** Plans the whole route of a submitted order (or records why it cannot be planned now). */
  async planOrder(order: OrderSubmittedContract, m: EntityManager, metadata: EventMetadata): Promise<PlanResult | null> {
    const now = this.settings.clock();
    const existing: { status: string }[] = await m.query(
      `INSERT INTO ${this.s}.order_plans (order_id, brand_id, status, order_data, updated_at) VALUES ($1, $2, 'planning', $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING status`,
      [order.orderId, order.brandId, JSON.stringify(order), now],
    );
    if (existing[0]?.status === 'planned' || existing[0]?.status === 'cancelled') return null;
    const request: PlanningRequest = {
      firstDay: dayNumber(now) + 1,
      lastDay: lastWorkDay(new Date(order.dueDate)),
      delivery: order.delivery,
      steps: order.route.map((s) => ({ stepId: s.stepId, process: s.process, workContentHoursPerUnit: s.workContentHoursPerUnit, dependsOn: s.dependsOn, quantity: order.quantity })),
      maxWorkshopsPerStep: order.splitPolicy?.maxWorkshopsPerStep,
      minLotSize: order.splitPolicy?.minLotSize,
    };
    for (let attempt = 0; attempt < BOOKING_ATTEMPTS; attempt++) {
      const result = planRoute(request, await this.candidates(order.route.map((s) => s.process), request.firstDay, request.lastDay, m), this.plannerSettings);
      if (!result.ok) {
        await this.recordFailure(order, result.failure.reason, m, metadata);
        return result;
      }
      const ids = await this.book(result.lots, m);
      if (!ids) continue;
      const planned = await this.offer(order, result.lots, ids, null, m, metadata);
      await this.db.store.append(
        planStream(order.orderId),
        [{ type: 'OrderPlanned', data: { orderId: order.orderId, brandId: order.brandId, lots: planned, plannedCompletion: dayStart(result.completionDay + 1).toISOString() } }],
        { expectedVersion: 'any', metadata, manager: m },
      );
      await m.query(`UPDATE ${this.s}.order_plans SET status = 'planned', reason = NULL, completion_day = $2::date, mode = $3, updated_at = $4 WHERE order_id = $1`, [
        order.orderId,
        isoDay(result.completionDay),
        result.mode,
        now,
      ]);
      return result;
    }
    throw new Error(`order ${order.orderId}: capacity kept being taken by concurrent plans; will retry`);
  }

  /** Books every lot's minutes; null when a workshop-day was taken meanwhile (nothing is kept then). */
  private async book(lots: readonly PlannedLot[], m: EntityManager): Promise<string[] | null> {
    const ids = lots.map(() => randomUUID());
    await m.query('SAVEPOINT matching_booking');
    const clash = await this.reservations.reserveAll(
      lots.flatMap((l, i) => l.days.map((d) => ({ subtaskId: ids[i], workshopId: l.workshopId, process: l.process, day: isoDay(d.day), minutes: d.minutes }))),
      m,
    );
    if (clash) {
      await m.query('ROLLBACK TO SAVEPOINT matching_booking');
      this.log.debug(`${clash.workshopId} ${clash.process} ${clash.day} was booked meanwhile; planning again`);
      return null;
    }
    await m.query('RELEASE SAVEPOINT matching_booking');
    return ids;
  }

  private async offer(order: OrderSubmittedContract, lots: readonly PlannedLot[], ids: readonly string[], replaces: string | null, m: EntityManager, metadata: EventMetadata) {
    const now = this.settings.clock();
    const expiresAt = new Date(now.getTime() + this.settings.config.MATCHING_OFFER_EXPIRY_MINUTES * 60_000);
    const planned = [];
    for (const [i, lot] of lots.entries()) {
      const subtaskId = ids[i];
      const price = { amountMinor: lot.priceMinor, currency: lot.currency as 'CNY' };
      const plannedStart = dayStart(lot.startDay);
      const plannedEnd = dayStart(lot.endDay + 1);
      await this.subtasks.handle(
        subtaskId,
        {
          type: 'OfferSubtask',
          facts: { subtaskId, orderId: order.orderId, brandId: order.brandId, stepId: lot.stepId, process: lot.process, workshopId: lot.workshopId, quantity: lot.quantity, price },
          expiresAt,
          plannedStart,
          plannedEnd,
        },
        metadata,
        m,
      );
      await m.query(`UPDATE ${this.s}.subtasks SET explanation = $2, replaces = $3 WHERE subtask_id = $1`, [
        subtaskId,
        JSON.stringify({ ...explanationView(lot.explanation), transportMinor: lot.transportMinor, riskMinor: lot.riskMinor, minutes: lot.minutes }),
        replaces,
      ]);
      planned.push({ subtaskId, stepId: lot.stepId, workshopId: lot.workshopId, quantity: lot.quantity, plannedStart: plannedStart.toISOString(), plannedEnd: plannedEnd.toISOString(), price });
    }
    return planned;
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
   * Plans one lot again (after a decline, an expiry or a failed inspection) without touching the rest
   * of the plan: it starts after its predecessors' lots, ends before its successors' lots start, and
   * avoids the workshops that turned this step down. Unplaceable → waits in pending_lots.
   */
  async replanLot(lot: LotToReplan, m: EntityManager, metadata: EventMetadata, options: { quiet?: boolean } = {}): Promise<boolean> {
    const plans: { status: string; order_data: OrderSubmittedContract }[] = await m.query(`SELECT status, order_data FROM ${this.s}.order_plans WHERE order_id = $1 FOR UPDATE`, [lot.orderId]);
    if (plans.length === 0 || plans[0].status === 'cancelled') return false;
    const order = plans[0].order_data;
    const step = order.route.find((s) => s.stepId === lot.stepId);
    if (!step) return false;
    const turnedDown: { workshop_id: string }[] = await m.query(
      `SELECT DISTINCT workshop_id FROM ${this.s}.subtasks WHERE order_id = $1 AND step_id = $2 AND status IN ('declined', 'expired', 'replanned')`,
      [lot.orderId, lot.stepId],
    );
    const active: { step_id: string; workshop_id: string; quantity: number; planned_start: Date; planned_end: Date }[] = await m.query(
      `SELECT step_id, workshop_id, quantity, planned_start, planned_end FROM ${this.s}.subtasks WHERE order_id = $1 AND status = ANY($2)`,
      [lot.orderId, ACTIVE],
    );
    const now = this.settings.clock();
    const firstDay = dayNumber(now) + 1;
    const lastDay = lastWorkDay(new Date(order.dueDate));
    const preds = active.filter((a) => step.dependsOn.includes(a.step_id));
    const successorSteps = new Set(order.route.filter((s) => s.dependsOn.includes(step.stepId)).map((s) => s.stepId));
    const succs = active.filter((a) => successorSteps.has(a.step_id));
    const locations = await this.network.locationOf(preds.map((p) => p.workshop_id), m);
    const request: PlanningRequest = {
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
          latestDay: succs.length > 0 ? Math.min(...succs.map((s) => dayNumber(new Date(s.planned_start)))) - 1 : lastDay - tailLength(order.route, step.stepId),
          upstream: preds.flatMap((p) => {
            const location = locations.get(p.workshop_id);
            return location ? [{ location, quantity: p.quantity }] : [];
          }),
          final: successorSteps.size === 0,
        },
      ],
      maxWorkshopsPerStep: order.splitPolicy?.maxWorkshopsPerStep,
      minLotSize: order.splitPolicy?.minLotSize,
    };
    for (let attempt = 0; attempt < BOOKING_ATTEMPTS; attempt++) {
      const result = planRoute(request, await this.candidates([step.process], firstDay, lastDay, m), this.plannerSettings);
      if (!result.ok) {
        await m.query(`INSERT INTO ${this.s}.pending_lots (order_id, step_id, quantity, excluded, replaces, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [
          lot.orderId,
          lot.stepId,
          lot.quantity,
          request.steps[0].excludedWorkshops,
          lot.replaces,
          result.failure.reason,
        ]);
        if (!options.quiet) {
          const reason = `lot of ${lot.quantity} units of step ${lot.stepId} (after: ${lot.reason}) could not be re-planned: ${result.failure.reason}`;
          await this.db.store.append(planStream(lot.orderId), [{ type: 'OrderPlanningFailed', data: { orderId: lot.orderId, brandId: order.brandId, reason } }], {
            expectedVersion: 'any',
            metadata,
            manager: m,
          });
        }
        return false;
      }
      const ids = await this.book(result.lots, m);
      if (!ids) continue;
      const planned = await this.offer(order, result.lots, ids, lot.replaces, m, metadata);
      await this.db.store.append(
        planStream(lot.orderId),
        [{ type: 'LotReplanned', data: { orderId: lot.orderId, brandId: order.brandId, stepId: lot.stepId, replacedSubtaskId: lot.replaces, quantity: lot.quantity, reason: lot.reason, lots: planned } }],
        { expectedVersion: 'any', metadata, manager: m },
      );
      return true;
    }
    throw new Error(`order ${lot.orderId}: capacity kept being taken by concurrent plans; will retry`);
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

  /** Order cancelled: every open subtask is cancelled and its capacity released. */
  async cancelOrder(orderId: string, reason: string, m: EntityManager, metadata: EventMetadata): Promise<void> {
    await m.query(`UPDATE ${this.s}.order_plans SET status = 'cancelled', reason = $2, updated_at = $3 WHERE order_id = $1`, [orderId, reason, this.settings.clock()]);
    await m.query(`DELETE FROM ${this.s}.pending_lots WHERE order_id = $1`, [orderId]);
    const open: { subtask_id: string }[] = await m.query(`SELECT subtask_id FROM ${this.s}.subtasks WHERE order_id = $1 AND status = ANY($2) ORDER BY subtask_id`, [orderId, OPEN_STATUSES]);
    for (const o of open) {
      await this.subtasks.handle(o.subtask_id, { type: 'CancelSubtask', reason: `order cancelled: ${reason}` }, metadata, m);
      await this.reservations.release(o.subtask_id, m);
    }
  }
}
