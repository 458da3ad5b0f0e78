import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '#libs/domain';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import type { AnalyticsFiguresDto, DefectRowDto, MoneyFlowsDto, ScheduleDto, UtilisationDto, UtilisationRowDto } from './analytics.dto.js';
import type { AnalyticsScope } from './domain/analytics-scope.js';

const BOOKED = `('accepted', 'started', 'completed')`;
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

const num = (v: unknown): number => Number(v ?? 0);
const round = (v: number, places = 2): number => Math.round(v * 10 ** places) / 10 ** places;

/** The analytics figures of a scope, read from the read models of the analytics projection (never the event store). */
@Injectable()
export class AnalyticsQueries {
  private readonly s: string;

  constructor(@Inject(ServiceDatabase) private readonly database: ServiceDatabase) {
    this.s = ident(database.schema);
  }

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.database.dataSource.query(sql, params);
  }

  /** `alias`'s rows of the scope: a brand's by brand_id, a workshop's by workshop_id, the network's all. */
  private where(scope: AnalyticsScope, brandColumn: string, workshopColumn: string): { clause: string; params: unknown[] } {
    if (scope.kind === 'network') return { clause: 'true', params: [] };
    return { clause: `${scope.kind === 'brand' ? brandColumn : workshopColumn} = $1`, params: [scope.memberId] };
  }

  async figures(scope: AnalyticsScope): Promise<AnalyticsFiguresDto> {
    const s = this.s;
    // A workshop's orders are those it holds a booked lot of.
    const orders =
      scope.kind === 'workshop'
        ? { clause: `o.order_id IN (SELECT order_id FROM ${s}.analytics_lots WHERE workshop_id = $1 AND status IN ${BOOKED})`, params: [scope.memberId] }
        : this.where(scope, 'o.brand_id', 'o.brand_id');
    const [totals] = await this.query<Record<string, string | null>>(
      `SELECT count(*) FILTER (WHERE o.submitted_at IS NOT NULL) AS submitted,
              count(*) FILTER (WHERE o.status = 'completed') AS completed,
              count(*) FILTER (WHERE o.status = 'completed' AND o.closed_at <= o.due_date) AS on_time,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.closed_at - o.submitted_at) / 3600) FILTER (WHERE o.status = 'completed') AS p50,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM o.closed_at - o.submitted_at) / 3600) FILTER (WHERE o.status = 'completed') AS p90
         FROM ${s}.analytics_orders o WHERE ${orders.clause}`,
      orders.params,
    );
    const byStatus = await this.query<{ status: string; count: string }>(
      `SELECT o.status, count(*) AS count FROM ${s}.analytics_orders o WHERE ${orders.clause} GROUP BY o.status ORDER BY o.status`,
      orders.params,
    );
    const atRisk = await this.query<{ order_id: string; brand_id: string; at_risk: string }>(
      `SELECT o.order_id, o.brand_id, o.at_risk FROM ${s}.analytics_orders o
        WHERE o.at_risk IS NOT NULL AND o.status = 'submitted' AND ${orders.clause} ORDER BY o.due_date NULLS LAST, o.order_id LIMIT 100`,
      orders.params,
    );
    const completed = num(totals.completed);
    const onTime = num(totals.on_time);
    return {
      scope: { kind: scope.kind, memberId: scope.kind === 'network' ? null : scope.memberId },
      orders: {
        submitted: num(totals.submitted),
        completed,
        completedOnTime: onTime,
        onTimeRate: completed > 0 ? round(onTime / completed, 4) : null,
        byStatus: byStatus.map((r) => ({ status: r.status, count: num(r.count) })),
        atRisk: atRisk.map((r) => ({ orderId: r.order_id, brandId: r.brand_id, reason: r.at_risk })),
      },
      leadTime: { orders: completed, p50Hours: totals.p50 === null ? null : round(num(totals.p50)), p90Hours: totals.p90 === null ? null : round(num(totals.p90)) },
      defectsByProcess: await this.defects(scope, 'process'),
      defectsByWorkshop: await this.defects(scope, 'workshop_id'),
      money: await this.money(scope),
    };
  }

  private async defects(scope: AnalyticsScope, key: 'process' | 'workshop_id'): Promise<DefectRowDto[]> {
    const w = this.where(scope, 'i.brand_id', 'i.workshop_id');
    const rows = await this.query<Record<string, string>>(
      `SELECT i.${key} AS key, count(*) AS inspections, count(*) FILTER (WHERE i.outcome = 'failed') AS failed,
              sum(i.sampled) AS sampled, sum(i.defects) AS defects
         FROM ${this.s}.analytics_inspections i WHERE ${w.clause} GROUP BY i.${key} ORDER BY i.${key}`,
      w.params,
    );
    return rows.map((r) => ({
      key: r.key,
      inspections: num(r.inspections),
      failed: num(r.failed),
      failRate: round(num(r.failed) / num(r.inspections), 4),
      sampled: num(r.sampled),
      defects: num(r.defects),
      defectRate: num(r.sampled) > 0 ? round(num(r.defects) / num(r.sampled), 4) : null,
    }));
  }

  private async money(scope: AnalyticsScope): Promise<MoneyFlowsDto[]> {
    // A payment's release names the workshop, an escrow's the brand: the lot names the other.
    const w = this.where(scope, 'COALESCE(m.brand_id, l.brand_id)', 'COALESCE(m.workshop_id, l.workshop_id)');
    const rows = await this.query<{ currency: string; flow: string; amount: string }>(
      `SELECT m.currency, m.flow, sum(m.amount_minor) AS amount
         FROM ${this.s}.analytics_money m LEFT JOIN ${this.s}.analytics_lots l ON l.subtask_id = m.subtask_id
        WHERE ${w.clause} GROUP BY m.currency, m.flow ORDER BY m.currency`,
      w.params,
    );
    const byCurrency = new Map<string, MoneyFlowsDto>();
    const fields: Record<string, keyof Omit<MoneyFlowsDto, 'currency'>> = {
      deposited: 'depositedMinor',
      escrowed: 'escrowedMinor',
      refunded: 'refundedMinor',
      released: 'releasedMinor',
      platform_fee: 'platformFeesMinor',
      penalty: 'penaltiesMinor',
      paid_to_workshop: 'paidToWorkshopsMinor',
    };
    for (const row of rows) {
      const flows = byCurrency.get(row.currency) ?? {
        currency: row.currency,
        depositedMinor: 0,
        escrowedMinor: 0,
        refundedMinor: 0,
        releasedMinor: 0,
        platformFeesMinor: 0,
        penaltiesMinor: 0,
        paidToWorkshopsMinor: 0,
      };
      const field = fields[row.flow];
      if (field) flows[field] = num(row.amount);
      byCurrency.set(row.currency, flows);
    }
    return [...byCurrency.values()];
  }

  async schedule(scope: AnalyticsScope): Promise<ScheduleDto> {
    const w = this.where(scope, 'l.brand_id', 'l.workshop_id');
    const rows = await this.query<Record<string, string | number | Date | null>>(
      `SELECT l.subtask_id, l.order_id, l.brand_id, l.workshop_id, l.step_id, l.process, l.quantity, l.status, l.planned_start, l.planned_end
         FROM ${this.s}.analytics_lots l WHERE l.status IN ${BOOKED} AND ${w.clause} ORDER BY l.planned_start NULLS LAST, l.subtask_id LIMIT 500`,
      w.params,
    );
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
    return {
      scope: { kind: scope.kind, memberId: scope.kind === 'network' ? null : scope.memberId },
      items: rows.map((r) => ({
        subtaskId: String(r.subtask_id),
        orderId: String(r.order_id),
        brandId: String(r.brand_id),
        workshopId: String(r.workshop_id),
        stepId: String(r.step_id),
        process: String(r.process),
        quantity: num(r.quantity),
        status: String(r.status),
        plannedStart: iso(r.planned_start),
        plannedEnd: iso(r.planned_end),
      })),
    };
  }

  async utilisation(scope: AnalyticsScope, asked: { from?: string; to?: string }): Promise<UtilisationDto> {
    const s = this.s;
    const lots = this.where(scope, 'l.brand_id', 'l.workshop_id');
    const [span] = await this.query<{ first: string | null; last: string | null }>(
      `SELECT to_char(min(l.planned_start), 'YYYY-MM-DD') AS first, to_char(max(l.planned_end), 'YYYY-MM-DD') AS last
         FROM ${s}.analytics_lots l WHERE l.status IN ${BOOKED} AND ${lots.clause}`,
      lots.params,
    );
    const today = new Date().toISOString().slice(0, 10);
    const from = asked.from ?? span.first ?? today;
    const to = asked.to ?? span.last ?? new Date(Date.parse(from) + 27 * DAY_MS).toISOString().slice(0, 10);
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
    // A day that does not exist (2026-02-30) is refused here, not by PostgreSQL.
    const real = (d: string) => !Number.isNaN(Date.parse(d)) && new Date(Date.parse(d)).toISOString().slice(0, 10) === d;
    if (!real(from) || !real(to) || days < 0 || days >= MAX_DAYS) {
      throw new DomainError('invalid_period', `from and to must be days (YYYY-MM-DD), from on or before to, at most ${MAX_DAYS} days apart`, 'invalid', { from, to });
    }
    const n = lots.params.length;
    const capacity = scope.kind === 'brand' ? { clause: 'false', params: [] } : this.where(scope, 'cd.workshop_id', 'cd.workshop_id');
    const rows = await this.query<Record<string, string | null>>(
      `WITH booked AS (
         SELECT COALESCE(w.region, 'unknown') AS region, l.process, date_trunc('week', d)::date AS week,
                sum(l.quantity * st.work_content_hours_per_unit * COALESCE(c.efficiency, 1) / (l.planned_end::date - l.planned_start::date + 1)) AS hours
           FROM ${s}.analytics_lots l
           JOIN ${s}.analytics_order_steps st ON st.order_id = l.order_id AND st.step_id = l.step_id
           LEFT JOIN ${s}.analytics_capabilities c ON c.workshop_id = l.workshop_id AND c.process = l.process
           LEFT JOIN ${s}.analytics_workshops w ON w.workshop_id = l.workshop_id
           CROSS JOIN generate_series(l.planned_start::date, l.planned_end::date, interval '1 day') AS d
          WHERE l.status IN ${BOOKED} AND ${lots.clause} AND d::date BETWEEN $${n + 1}::date AND $${n + 2}::date
          GROUP BY 1, 2, 3),
       shared AS (
         SELECT COALESCE(w.region, 'unknown') AS region, cd.process, date_trunc('week', cd.day)::date AS week,
                sum(cd.hours) AS hours, count(DISTINCT cd.workshop_id) FILTER (WHERE cd.hours > 0) AS workshops
           FROM ${s}.analytics_capacity_days cd LEFT JOIN ${s}.analytics_workshops w ON w.workshop_id = cd.workshop_id
          WHERE ${capacity.clause} AND cd.day BETWEEN $${n + 1}::date AND $${n + 2}::date
          GROUP BY 1, 2, 3)
       SELECT COALESCE(c.region, b.region) AS region, COALESCE(c.process, b.process) AS process,
              to_char(COALESCE(c.week, b.week), 'YYYY-MM-DD') AS week, c.workshops, c.hours AS capacity, COALESCE(b.hours, 0) AS booked
         FROM shared c FULL JOIN booked b ON b.region = c.region AND b.process = c.process AND b.week = c.week
        ORDER BY 1, 2, 3`,
      [...lots.params, from, to],
    );
    return {
      scope: { kind: scope.kind, memberId: scope.kind === 'network' ? null : scope.memberId },
      from,
      to,
      rows: rows.map((r): UtilisationRowDto => {
        const capacityHours = r.capacity === null ? null : round(num(r.capacity));
        const bookedHours = round(num(r.booked));
        return {
          region: r.region ?? 'unknown',
          process: r.process ?? '',
          week: r.week ?? '',
          workshops: scope.kind === 'brand' ? null : num(r.workshops),
          capacityHours: scope.kind === 'brand' ? null : (capacityHours ?? 0),
          bookedHours,
          utilisation: capacityHours ? round(num(r.booked) / num(r.capacity), 4) : null,
        };
      }),
    };
  }
}
