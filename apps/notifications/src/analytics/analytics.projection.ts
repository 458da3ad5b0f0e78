import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type {
  CapacityDeclaredContract,
  CapacityWithdrawnContract,
  EscrowFundedContract,
  EscrowRefundedContract,
  EventEnvelope,
  FundsDepositedContract,
  InspectionFailedContract,
  InspectionPassedContract,
  LotAtRiskContract,
  OrderSubmittedContract,
  PaymentReleasedContract,
  SubtaskFacts,
  SubtaskOfferedContract,
  WorkshopCapabilitiesChangedContract,
  WorkshopRegisteredContract,
} from '#libs/contracts';
import { ident, ServiceDatabase, WriteBehind } from '#libs/eventsourcing';
import { capacityDays } from './domain/capacity-days.js';

/** The integration events the analytics read models are written from (beside what notifications tells members). */
export const ANALYTICS_EVENTS = [
  'WorkshopRegistered',
  'WorkshopCapabilitiesChanged',
  'CapacityDeclared',
  'CapacityWithdrawn',
  'OrderSubmitted',
  'OrderCompleted',
  'OrderCancelled',
  'OrderFailed',
  'SubtaskOffered',
  'SubtaskAccepted',
  'SubtaskStarted',
  'SubtaskCompleted',
  'SubtaskCancelled',
  'LotAtRisk',
  'InspectionPassed',
  'InspectionFailed',
  'FundsDeposited',
  'EscrowFunded',
  'EscrowRefunded',
  'PaymentReleased',
] as const;

type Data<T> = EventEnvelope<T & Record<string, unknown>>;

/** A lot's row of `analytics_lots` as one event writes it (`status` the event's). */
export interface LotRow {
  subtaskId: string;
  orderId: string;
  brandId: string;
  workshopId: string;
  stepId: string;
  process: string;
  quantity: number;
  plannedStart: string | null;
  plannedEnd: string | null;
  status: string;
}

/**
 * What a lot's stored row becomes when `newer` is written over `older`, as the upsert in
 * AnalyticsProjection.writeLots does it: the first row's facts stay, planned days are kept unless the newer
 * row has them, a later status wins except that a cancelled lot stays cancelled and an offer changes no
 * status. Folding two rows first and writing the fold gives what writing them one after the other does.
 */
export function laterLotRow(older: LotRow, newer: LotRow): LotRow {
  return {
    ...older,
    plannedStart: newer.plannedStart ?? older.plannedStart,
    plannedEnd: newer.plannedEnd ?? older.plannedEnd,
    status: older.status === 'cancelled' || newer.status === 'offered' ? older.status : newer.status,
  };
}

/**
 * Writes the analytics read models in the consumer's inbox transaction (`manager`): each event is applied
 * once, and a redelivered one changes nothing. Never read on request from the event store. The lots' rows
 * of one transaction (an order's five offers come in one) are written together just before it commits, in
 * one statement (WriteBehind); nothing reads them inside it.
 */
@Injectable()
export class AnalyticsProjection {
  private readonly s: string;
  private readonly lots: WriteBehind<LotRow>;

  constructor(@Inject(ServiceDatabase) database: ServiceDatabase) {
    this.s = ident(database.schema);
    this.lots = new WriteBehind(database.dataSource, (rows, manager) => this.writeLots(rows, manager), { combine: laterLotRow });
  }

  async apply(event: EventEnvelope, manager: EntityManager): Promise<void> {
    const q = (sql: string, params: unknown[]) => manager.query(sql, params);
    const s = this.s;
    switch (event.type) {
      case 'WorkshopRegistered': {
        const d = (event as Data<WorkshopRegisteredContract>).data;
        await q(`INSERT INTO ${s}.analytics_workshops (workshop_id, name, region) VALUES ($1, $2, $3) ON CONFLICT (workshop_id) DO UPDATE SET name = $2, region = $3`, [
          d.workshopId,
          d.name,
          d.location.region ?? null,
        ]);
        return;
      }
      case 'WorkshopCapabilitiesChanged': {
        const d = (event as Data<WorkshopCapabilitiesChangedContract>).data;
        await q(`DELETE FROM ${s}.analytics_capabilities WHERE workshop_id = $1`, [d.workshopId]);
        for (const c of d.capabilities) {
          await q(`INSERT INTO ${s}.analytics_capabilities (workshop_id, process, efficiency) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [d.workshopId, c.process, c.efficiency]);
        }
        return;
      }
      case 'CapacityDeclared': {
        const d = (event as Data<CapacityDeclaredContract>).data;
        const days = capacityDays(d);
        await q(
          `INSERT INTO ${s}.analytics_capacity_days (workshop_id, process, day, hours)
             SELECT $1, $2, day, hours FROM unnest($3::date[], $4::numeric[]) AS t(day, hours)
           ON CONFLICT (workshop_id, process, day) DO UPDATE SET hours = EXCLUDED.hours`,
          [d.workshopId, d.process, days.map((x) => x.day), days.map((x) => x.hours)],
        );
        return;
      }
      case 'CapacityWithdrawn': {
        const d = (event as Data<CapacityWithdrawnContract>).data;
        await q(`UPDATE ${s}.analytics_capacity_days SET hours = 0 WHERE workshop_id = $1 AND process = $2 AND day BETWEEN $3 AND $4`, [d.workshopId, d.process, d.from, d.until]);
        return;
      }
      case 'OrderSubmitted': {
        const d = (event as Data<OrderSubmittedContract>).data;
        await q(
          `INSERT INTO ${s}.analytics_orders (order_id, brand_id, submitted_at, due_date) VALUES ($1, $2, $3, $4)
           ON CONFLICT (order_id) DO UPDATE SET submitted_at = $3, due_date = $4`,
          [d.orderId, d.brandId, d.submittedAt, /^\d{4}-\d{2}-\d{2}$/.test(d.dueDate) ? `${d.dueDate}T23:59:59.999Z` : d.dueDate],
        );
        // Every step in one statement (a 50-step route is one round trip, not fifty).
        await q(
          `INSERT INTO ${s}.analytics_order_steps (order_id, step_id, process, work_content_hours_per_unit)
           SELECT $1, step_id, process, hours FROM unnest($2::text[], $3::text[], $4::numeric[]) AS r(step_id, process, hours)
           ON CONFLICT DO NOTHING`,
          [d.orderId, d.route.map((step) => step.stepId), d.route.map((step) => step.process), d.route.map((step) => step.workContentHoursPerUnit)],
        );
        return;
      }
      case 'OrderCompleted':
      case 'OrderCancelled':
      case 'OrderFailed': {
        const d = event.data as { orderId: string; brandId: string; completedAt?: string; cancelledAt?: string; failedAt?: string };
        const status = event.type === 'OrderCompleted' ? 'completed' : event.type === 'OrderCancelled' ? 'cancelled' : 'failed';
        const at = d.completedAt ?? d.cancelledAt ?? d.failedAt ?? event.occurredAt;
        await q(
          `INSERT INTO ${s}.analytics_orders (order_id, brand_id, status, closed_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (order_id) DO UPDATE SET status = $3, closed_at = $4`,
          [d.orderId, d.brandId, status, at],
        );
        return;
      }
      case 'SubtaskOffered':
      case 'SubtaskAccepted':
      case 'SubtaskStarted':
      case 'SubtaskCompleted':
      case 'SubtaskCancelled':
        return this.lot(event as Data<SubtaskFacts & Partial<SubtaskOfferedContract>>, manager);
      case 'LotAtRisk': {
        const d = (event as Data<LotAtRiskContract>).data;
        await q(
          `INSERT INTO ${s}.analytics_orders (order_id, brand_id, at_risk) VALUES ($1, $2, $3)
           ON CONFLICT (order_id) DO UPDATE SET at_risk = $3`,
          [d.orderId, d.brandId, d.reason],
        );
        return;
      }
      case 'InspectionPassed':
      case 'InspectionFailed': {
        const d = (event as Data<InspectionPassedContract & Partial<InspectionFailedContract>>).data;
        const defects = (d.criticalDefects ?? 0) + (d.majorDefects ?? 0) + (d.minorDefects ?? 0);
        await q(
          `INSERT INTO ${s}.analytics_inspections (inspection_lot_id, subtask_id, brand_id, workshop_id, process, outcome, sampled, defects, inspected_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (inspection_lot_id) DO UPDATE SET outcome = $6, sampled = $7, defects = $8, inspected_at = $9`,
          [d.inspectionLotId, d.subtaskId, d.brandId, d.workshopId, d.process, event.type === 'InspectionPassed' ? 'passed' : 'failed', d.sampled ?? d.sampleSize, defects, d.inspectedAt],
        );
        return;
      }
      case 'FundsDeposited': {
        const d = (event as Data<FundsDepositedContract>).data;
        return this.money(manager, event.eventId, [['deposited', d.amount.amountMinor, d.amount.currency]], { brandId: d.brandId });
      }
      case 'EscrowFunded':
      case 'EscrowRefunded': {
        const d = (event as Data<EscrowFundedContract | EscrowRefundedContract>).data;
        const flow = event.type === 'EscrowFunded' ? 'escrowed' : 'refunded';
        return this.money(manager, event.eventId, [[flow, d.amount.amountMinor, d.amount.currency]], { brandId: d.brandId, subtaskId: d.subtaskId });
      }
      case 'PaymentReleased': {
        const d = (event as Data<PaymentReleasedContract>).data;
        const flows: [string, number, string][] = [
          ['released', d.gross.amountMinor, d.gross.currency],
          ['platform_fee', d.platformFee.amountMinor, d.platformFee.currency],
          ['penalty', d.penalty.amountMinor, d.penalty.currency],
          ['paid_to_workshop', d.net.amountMinor, d.net.currency],
        ];
        return this.money(manager, event.eventId, flows, { workshopId: d.workshopId, subtaskId: d.subtaskId });
      }
      default:
        return;
    }
  }

  private async lot(event: Data<SubtaskFacts & Partial<SubtaskOfferedContract>>, manager: EntityManager): Promise<void> {
    const d = event.data;
    const status = { SubtaskOffered: 'offered', SubtaskAccepted: 'accepted', SubtaskStarted: 'started', SubtaskCompleted: 'completed', SubtaskCancelled: 'cancelled' }[event.type]!;
    const row = { subtaskId: d.subtaskId, orderId: d.orderId, brandId: d.brandId, workshopId: d.workshopId, stepId: d.stepId, process: d.process, quantity: d.quantity };
    await this.lots.write(manager, d.subtaskId, { ...row, plannedStart: d.plannedStart ?? null, plannedEnd: d.plannedEnd ?? null, status });
  }

  /** Lots' rows, one per lot, in one statement: merged into a stored row as `laterLotRow` says. */
  private async writeLots(rows: readonly LotRow[], manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.s}.analytics_lots (subtask_id, order_id, brand_id, workshop_id, step_id, process, quantity, planned_start, planned_end, status)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::timestamptz[], $9::timestamptz[], $10::text[])
       ON CONFLICT (subtask_id) DO UPDATE SET
         planned_start = COALESCE(EXCLUDED.planned_start, analytics_lots.planned_start),
         planned_end = COALESCE(EXCLUDED.planned_end, analytics_lots.planned_end),
         status = CASE WHEN analytics_lots.status = 'cancelled' OR EXCLUDED.status = 'offered' THEN analytics_lots.status ELSE EXCLUDED.status END`,
      [
        rows.map((r) => r.subtaskId),
        rows.map((r) => r.orderId),
        rows.map((r) => r.brandId),
        rows.map((r) => r.workshopId),
        rows.map((r) => r.stepId),
        rows.map((r) => r.process),
        rows.map((r) => r.quantity),
        rows.map((r) => r.plannedStart),
        rows.map((r) => r.plannedEnd),
        rows.map((r) => r.status),
      ],
    );
  }

  private async money(
    manager: EntityManager,
    eventId: string,
    flows: [string, number, string][],
    who: { brandId?: string; workshopId?: string; subtaskId?: string },
  ): Promise<void> {
    for (const [flow, amount, currency] of flows) {
      await manager.query(
        `INSERT INTO ${this.s}.analytics_money (event_id, flow, brand_id, workshop_id, subtask_id, amount_minor, currency) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [eventId, flow, who.brandId ?? null, who.workshopId ?? null, who.subtaskId ?? null, amount, currency],
      );
    }
  }
}
