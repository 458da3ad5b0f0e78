import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { InspectionFailedContract, OrderSubmittedContract } from '#libs/contracts';
import { NotFound } from '#libs/domain';
import { ident, ServiceDatabase, type EventMetadata } from '#libs/eventsourcing';
import { isTransientConflict, toCursorPage, type Principal } from '#libs/platform';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { PlanningService } from '../plan/planning.service.js';
import { Reservations } from '../plan/reservations.js';
import type { SubtaskState } from './domain/subtask.decider.js';
import { SubtaskCommands } from './subtask-commands.js';

export interface SubtaskRow {
  subtask_id: string;
  order_id: string;
  brand_id: string;
  step_id: string;
  process: string;
  workshop_id: string;
  quantity: number;
  price_minor: string;
  currency: string;
  status: string;
  expires_at: Date;
  planned_start: Date;
  planned_end: Date;
  completions: number;
  good_quantity: number | null;
  scrap_quantity: number | null;
  done_quantity?: number | null;
  progress_at?: Date | null;
  at_risk?: string | null;
  status_reason: string | null;
  explanation: Record<string, unknown> | null;
  replaces: string | null;
  /** Settlement has its price in escrow (`EscrowFunded`); read beside the row, see subtaskRows. */
  funded: boolean;
}

/** Subtask rows (alias `t`) with whether each is funded: `${subtaskRows(s)} WHERE t.… ORDER BY …`. */
export function subtaskRows(schema: string): string {
  return `SELECT t.*, EXISTS (SELECT 1 FROM ${schema}.funded_lots f WHERE f.subtask_id = t.subtask_id) AS funded FROM ${schema}.subtasks t`;
}

/** What a workshop (or the operator) sees of a subtask; a workshop sees only its own line of the explanation. */
export function subtaskView(row: SubtaskRow, principal: Principal | null) {
  const e = row.explanation as { candidates?: { workshopId: string }[] } | null;
  const explanation =
    e && principal?.role === 'workshop' ? { ...e, candidates: (e.candidates ?? []).filter((c) => c.workshopId === principal.sub) } : e;
  return {
    subtaskId: row.subtask_id,
    orderId: row.order_id,
    stepId: row.step_id,
    process: row.process,
    workshopId: row.workshop_id,
    quantity: row.quantity,
    price: { amountMinor: Number(row.price_minor), currency: row.currency },
    status: row.status,
    statusReason: row.status_reason,
    expiresAt: new Date(row.expires_at).toISOString(),
    plannedStart: new Date(row.planned_start).toISOString(),
    plannedEnd: new Date(row.planned_end).toISOString(),
    completions: row.completions,
    goodQuantity: row.good_quantity,
    scrapQuantity: row.scrap_quantity,
    progress: row.progress_at ? { doneQuantity: row.done_quantity ?? 0, reportedAt: new Date(row.progress_at).toISOString(), atRisk: row.at_risk ?? null } : null,
    replaces: row.replaces,
    funded: row.funded,
    explanation,
  };
}

/** The workshop's side of a subtask: accept, decline, start, complete; expiry; inspection outcomes. */
@Injectable()
export class SubtaskService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly s: string;
  private readonly log = new Logger(SubtaskService.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retrying: Promise<void> | undefined;

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(SubtaskCommands) private readonly subtasks: SubtaskCommands,
    @Inject(Reservations) private readonly reservations: Reservations,
    @Inject(PlanningService) private readonly planning: PlanningService,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {
    this.s = ident(db.schema);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.expireDue()
        .catch((error: unknown) => {
          this.log.error(`expiry sweep failed: ${String(error)}`);
          return 0;
        })
        .finally(() => (this.sweeping = undefined));
    }, this.settings.config.MATCHING_EXPIRY_SWEEP_MS);
    this.timer.unref();
    this.retryTimer = setInterval(() => {
      if (this.retrying) return;
      this.retrying = this.retryWaiting()
        // A deadlock with another planner rolled the sweep back whole: the next sweep plans it again.
        .catch((error: unknown) => (isTransientConflict(error) ? this.log.warn(`retry sweep lost a deadlock; next sweep in ${this.settings.config.MATCHING_RETRY_SWEEP_MS} ms`) : this.log.error(`retry sweep failed: ${String(error)}`)))
        .finally(() => (this.retrying = undefined));
    }, this.settings.config.MATCHING_RETRY_SWEEP_MS);
    this.retryTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.retryTimer);
    await this.sweeping;
    await this.retrying;
  }

  /** Plans again what waits for capacity, when anything does (see MATCHING_RETRY_SWEEP_MS). */
  async retryWaiting(): Promise<void> {
    const [{ waiting }]: { waiting: boolean }[] = await this.db.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM ${this.s}.order_plans WHERE status = 'failed') OR EXISTS (SELECT 1 FROM ${this.s}.pending_lots) AS waiting`,
    );
    if (!waiting) return;
    const at = this.settings.clock().toISOString();
    await this.db.dataSource.transaction((m) => this.planning.retryWaiting(m, { correlationId: `retry-sweep:${at}`, causationId: `retry-sweep:${at}` }));
  }

  private metadata(correlationId: string): EventMetadata {
    return { correlationId, causationId: `http:${randomUUID()}` };
  }

  private async row(subtaskId: string, m?: EntityManager): Promise<SubtaskRow | undefined> {
    const rows: SubtaskRow[] = await (m ?? this.db.dataSource).query(`${subtaskRows(this.s)} WHERE t.subtask_id = $1`, [subtaskId]);
    return rows[0];
  }

  /** The subtask as its own workshop may see it; anyone else gets the same 404 as for a missing one. */
  private async owned(subtaskId: string, principal: Principal, what: 'offer' | 'subtask', m: EntityManager): Promise<SubtaskRow> {
    const row = await this.row(subtaskId, m);
    if (!row || (principal.role !== 'operator' && row.workshop_id !== principal.sub)) throw new NotFound(what, subtaskId);
    return row;
  }

  /** Offers waiting for an answer, soonest expiry first (then by id): a page after `cursor`'s key. */
  async listOffers(principal: Principal, page: { limit: number; after?: string[] }) {
    const params: unknown[] = [];
    const where = [`t.status = 'offered'`];
    if (principal.role === 'workshop') {
      params.push(principal.sub);
      where.push(`t.workshop_id = $${params.length}`);
    }
    if (page.after) {
      params.push(page.after[0], page.after[1]);
      where.push(`(t.expires_at, t.subtask_id) > ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(page.limit + 1);
    const rows: (SubtaskRow & { sort_at: string })[] = await this.db.dataSource.query(
      `SELECT s.*, s.expires_at::text AS sort_at FROM (${subtaskRows(this.s)} WHERE ${where.join(' AND ')}) s ORDER BY s.expires_at, s.subtask_id LIMIT $${params.length}`,
      params,
    );
    return toCursorPage(rows, page.limit, (r) => [r.sort_at, r.subtask_id], (r) => subtaskView(r, principal));
  }

  async get(subtaskId: string, principal: Principal) {
    return subtaskView(await this.owned(subtaskId, principal, 'subtask', this.db.dataSource.manager), principal);
  }

  async accept(subtaskId: string, principal: Principal) {
    return this.db.dataSource.transaction(async (m) => {
      const row = await this.owned(subtaskId, principal, 'offer', m);
      const result = await this.subtasks.handle(subtaskId, { type: 'AcceptOffer', workshopId: principal.sub, at: this.settings.clock() }, this.metadata(row.order_id), m);
      if (result.newEvents.length > 0) await this.reservations.confirm(subtaskId, m);
      return subtaskView((await this.row(subtaskId, m))!, principal);
    });
  }

  async decline(subtaskId: string, principal: Principal, reason: string) {
    return this.db.dataSource.transaction(async (m) => {
      const row = await this.owned(subtaskId, principal, 'offer', m);
      const metadata = this.metadata(row.order_id);
      const result = await this.subtasks.handle(subtaskId, { type: 'DeclineOffer', workshopId: principal.sub, reason }, metadata, m);
      if (result.newEvents.length > 0) {
        await this.reservations.release(subtaskId, m);
        await this.planning.replanLot(
          { orderId: row.order_id, stepId: row.step_id, quantity: row.quantity, excluded: [row.workshop_id], replaces: subtaskId, reason: `declined by ${row.workshop_id}: ${reason}` },
          m,
          metadata,
        );
      }
      return subtaskView((await this.row(subtaskId, m))!, principal);
    });
  }

  /**
   * A counter-offer: a smaller quantity and/or a later end. The planner takes it (the workshop then
   * holds a new, accepted subtask on its terms) or refuses it (the offer stands as it was).
   */
  async counter(subtaskId: string, principal: Principal, counter: { quantity?: number; plannedEnd?: Date }) {
    return this.db.dataSource.transaction(async (m) => {
      const row = await this.owned(subtaskId, principal, 'offer', m);
      const metadata = this.metadata(row.order_id);
      const at = this.settings.clock();
      const recorded = await this.subtasks.handle(subtaskId, { type: 'CounterOffer', workshopId: principal.sub, at, ...counter }, metadata, m);
      const proposal = recorded.decided[0];
      if (proposal?.type !== 'SubtaskCountered') throw new Error('internal error: counter-offer not recorded');
      const outcome = await this.planning.takeCounter(
        { subtaskId, orderId: row.order_id, stepId: row.step_id, workshopId: row.workshop_id, quantity: row.quantity },
        { quantity: proposal.data.quantity, plannedEnd: new Date(proposal.data.plannedEnd) },
        m,
        metadata,
      );
      if (!outcome.taken) {
        await this.subtasks.handle(subtaskId, { type: 'RefuseCounter', reason: outcome.reason }, metadata, m);
        return { outcome: 'refused' as const, reason: outcome.reason, offer: subtaskView((await this.row(subtaskId, m))!, principal) };
      }
      return { outcome: 'taken' as const, subtask: subtaskView((await this.row(outcome.subtaskId, m))!, principal) };
    });
  }

  async start(subtaskId: string, principal: Principal) {
    return this.db.dataSource.transaction(async (m) => {
      const row = await this.owned(subtaskId, principal, 'subtask', m);
      // Released with its whole step (StepReleased), or on its own (LotReleased, per-lot hand-off).
      const released: unknown[] = await m.query(
        `SELECT 1 FROM ${this.s}.released_steps WHERE order_id = $1 AND step_id = $2 UNION ALL SELECT 1 FROM ${this.s}.released_lots WHERE subtask_id = $3`,
        [row.order_id, row.step_id, subtaskId],
      );
      await this.subtasks.handle(
        subtaskId,
        { type: 'StartSubtask', workshopId: principal.sub, at: this.settings.clock(), stepReleased: released.length > 0, funded: row.funded },
        this.metadata(row.order_id),
        m,
      );
      return subtaskView((await this.row(subtaskId, m))!, principal);
    });
  }

  /** How many units are done; raises LotAtRisk (once) when the rate so far misses the planned end. */
  async progress(subtaskId: string, principal: Principal, doneQuantity: number) {
    return this.db.dataSource.transaction(async (m) => {
      const row = await this.owned(subtaskId, principal, 'subtask', m);
      await this.subtasks.handle(subtaskId, { type: 'ReportProgress', workshopId: principal.sub, at: this.settings.clock(), doneQuantity }, this.metadata(row.order_id), m);
      return subtaskView((await this.row(subtaskId, m))!, principal);
    });
  }

  async complete(subtaskId: string, principal: Principal, goodQuantity: number, scrapQuantity: number) {
    return this.db.dataSource.transaction(async (m) => {
      const row = await this.owned(subtaskId, principal, 'subtask', m);
      const plans: { order_data: OrderSubmittedContract }[] = await m.query(`SELECT order_data FROM ${this.s}.order_plans WHERE order_id = $1`, [row.order_id]);
      const order = plans[0].order_data;
      const step = order.route.find((s) => s.stepId === row.step_id)!;
      const metadata = this.metadata(row.order_id);
      const at = this.settings.clock();
      const result = await this.subtasks.handle(
        subtaskId,
        { type: 'CompleteSubtask', workshopId: principal.sub, at, goodQuantity, scrapQuantity, dueAt: new Date(order.dueDate), inspection: step.inspection },
        metadata,
        m,
      );
      // Delivered ahead of its plan: the days after today go back to the capacity book (the retry sweep
      // offers them to lots waiting for capacity).
      if (result.newEvents.length > 0) await this.reservations.release(subtaskId, m, at.toISOString().slice(0, 10));
      // A first delivery short of the lot's quantity (scrap): the missing units are made up by a new lot,
      // planned like any other, so the order can still reach its full quantity.
      const short = row.quantity - goodQuantity;
      if (result.newEvents.length > 0 && row.completions === 0 && short > 0) {
        await this.planning.replanLot(
          { orderId: row.order_id, stepId: row.step_id, quantity: short, excluded: [], replaces: subtaskId, reason: `make-up for ${short} units short at ${row.workshop_id}` },
          m,
          metadata,
        );
      }
      return subtaskView((await this.row(subtaskId, m))!, principal);
    });
  }

  /** Expires every offer past its expiry (each in its own transaction) and re-plans its lot. */
  async expireDue(): Promise<number> {
    const now = this.settings.clock();
    const due: { subtask_id: string }[] = await this.db.dataSource.query(
      `SELECT subtask_id FROM ${this.s}.subtasks WHERE status = 'offered' AND expires_at <= $1 ORDER BY expires_at LIMIT 100`,
      [now],
    );
    let expired = 0;
    for (const { subtask_id: subtaskId } of due) {
      await this.db.dataSource.transaction(async (m) => {
        const row = (await this.row(subtaskId, m))!;
        const metadata = { correlationId: row.order_id, causationId: `expiry-sweep:${now.toISOString()}` };
        const result = await this.subtasks.handle(subtaskId, { type: 'ExpireOffer', at: now }, metadata, m);
        if (result.newEvents.length === 0) return;
        expired += 1;
        await this.reservations.release(subtaskId, m);
        await this.planning.replanLot(
          { orderId: row.order_id, stepId: row.step_id, quantity: row.quantity, excluded: [row.workshop_id], replaces: subtaskId, reason: `offer to ${row.workshop_id} expired` },
          m,
          metadata,
        );
      });
    }
    return expired;
  }

  /** Inspection failed the lot: rework by the same shop, or plan the failed quantity elsewhere. */
  async inspectionFailed(data: InspectionFailedContract, m: EntityManager, metadata: EventMetadata): Promise<void> {
    const result = await this.subtasks.handle(data.subtaskId, { type: 'FailInspection', disposition: data.disposition, at: new Date(data.inspectedAt) }, metadata, m);
    if (result.newEvents.length === 0 || data.disposition !== 'replan') return;
    const state = result.state as Extract<SubtaskState, { facts: unknown }>;
    const quantity = Math.max(1, Math.min(state.facts.quantity, data.lotSize || state.facts.quantity));
    await this.planning.replanLot(
      { orderId: data.orderId, stepId: data.stepId, quantity, excluded: [data.workshopId], replaces: data.subtaskId, reason: `failed inspection ${data.inspectionLotId} at ${data.workshopId}` },
      m,
      metadata,
    );
  }
}
