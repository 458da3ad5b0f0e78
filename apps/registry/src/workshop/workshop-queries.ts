import { Injectable } from '@nestjs/common';
import { NotFound, ValidationFailed } from '#libs/domain';
import { ident } from '#libs/eventsourcing';
import { canSee, decodeCursor, toCursorPage, type CursorPage, type Principal } from '#libs/platform';
import { SCORE_FORMULA, scoreParts } from '../quality-record/domain/quality-score.js';
import { RegistryStreams } from '../registry.context.js';
import { addDays, daysBetween, isCalendarDate } from './domain/calendar.js';
import { sharedHoursOn, type CapacityRule } from './domain/capacity.js';
import type { Capability, Location } from './domain/workshop.events.js';
import type { SearchWorkshopsQuery } from './workshop.dto.js';

interface WorkshopRow {
  workshop_id: string;
  name: string;
  location: Location;
  region: string | null;
  city: string | null;
  certifications: string[];
  capabilities: Capability[];
  status: 'active' | 'suspended';
  suspended_reason: string | null;
  registered_at: Date;
  updated_at: Date;
}

interface QualityRow {
  workshop_id: string;
  process: string;
  lots_inspected: number;
  lots_passed: number;
  lots_with_critical_defects: number;
  units_sampled: number;
  defects: { critical: number; major: number; minor: number };
  defect_rate: string;
  score: string;
  deliveries: number;
  on_time_deliveries: number;
  on_time_rate: string;
  disputes: number;
  overturned_results: number;
}

interface RuleRow {
  process: string;
  kind: 'declared' | 'withdrawn';
  from_day: string;
  until_day: string | null;
  hours_per_day: string;
  exceptions: Record<string, number>;
}

export interface PublicQuality {
  process: string;
  lotsInspected: number;
  lotsPassed: number;
  /** First completions delivered, those by their due time, and their ratio (0 while none). */
  deliveries: number;
  onTimeDeliveries: number;
  onTimeRate: number;
  /** Results of its lots disputed (by the brand or itself) and results a re-inspection overturned. */
  disputes: number;
  overturnedResults: number;
  score: number;
}

/** What every member sees of a workshop. */
export interface PublicWorkshop {
  id: string;
  name: string;
  region: string | null;
  city: string | null;
  certifications: string[];
  status: 'active' | 'suspended';
  capabilities: { process: string; parameters: Record<string, unknown> }[];
  quality: PublicQuality[];
}

/** What the workshop itself and operators see. */
export interface PrivateWorkshop extends Omit<PublicWorkshop, 'capabilities' | 'quality'> {
  location: Location;
  capabilities: Capability[];
  suspendedReason: string | null;
  registeredAt: string;
  updatedAt: string;
  capacity: { rules: CapacityRule[]; next14Days: { process: string; days: { date: string; hours: number }[] }[] };
  quality: (PublicQuality & {
    lotsWithCriticalDefects: number;
    unitsSampled: number;
    defects: { critical: number; major: number; minor: number };
    defectRate: number;
    /** The two parts of the score (see `formula`). */
    inspectionScore: number;
    deliveryScore: number;
    formula: string;
  })[];
}

export interface WorkshopSearchResult extends CursorPage<PublicWorkshop & { freeHours?: number }> {
  total: number;
}

const MAX_SEARCH_DAYS = 92;

const publicQuality = (q: QualityRow): PublicQuality => ({
  process: q.process,
  lotsInspected: q.lots_inspected,
  lotsPassed: q.lots_passed,
  deliveries: q.deliveries,
  onTimeDeliveries: q.on_time_deliveries,
  onTimeRate: Number(q.on_time_rate),
  disputes: q.disputes,
  overturnedResults: q.overturned_results,
  score: Number(q.score),
});

const dayText = (value: string | Date): string => (typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10));

@Injectable()
export class WorkshopQueries {
  constructor(private readonly streams: RegistryStreams) {}

  private get s(): string {
    return ident(this.streams.schema);
  }

  private async row(id: string): Promise<WorkshopRow> {
    const rows: WorkshopRow[] = await this.streams.db.dataSource.query(`SELECT * FROM ${this.s}.workshops WHERE workshop_id = $1`, [id]);
    if (rows.length === 0) throw new NotFound('workshop', id);
    return rows[0];
  }

  private async quality(ids: string[]): Promise<QualityRow[]> {
    if (ids.length === 0) return [];
    return this.streams.db.dataSource.query(`SELECT * FROM ${this.s}.quality_records WHERE workshop_id = ANY($1) ORDER BY process`, [ids]);
  }

  private toPublic(row: WorkshopRow, quality: QualityRow[]): PublicWorkshop {
    return {
      id: row.workshop_id,
      name: row.name,
      region: row.region,
      city: row.city,
      certifications: row.certifications,
      status: row.status,
      capabilities: row.capabilities.map((c) => ({ process: c.process, parameters: c.parameters })),
      quality: quality.filter((q) => q.workshop_id === row.workshop_id).map(publicQuality),
    };
  }

  /** The workshop itself and operators see everything; other members the public profile. */
  async workshop(id: string, principal: Principal): Promise<PublicWorkshop | PrivateWorkshop> {
    const row = await this.row(id);
    const quality = await this.quality([id]);
    if (!canSee(principal, id)) return this.toPublic(row, quality);
    const ruleRows: RuleRow[] = await this.streams.db.dataSource.query(
      `SELECT process, kind, from_day::text AS from_day, until_day::text AS until_day, hours_per_day, exceptions
         FROM ${this.s}.capacity_rules WHERE workshop_id = $1 ORDER BY stream_version`,
      [id],
    );
    const rules = ruleRows.map((r): CapacityRule =>
      r.kind === 'withdrawn'
        ? { kind: 'withdrawn', process: r.process, from: r.from_day, until: r.until_day ?? '9999-12-31' }
        : {
            kind: 'declared',
            process: r.process,
            hoursPerDay: Number(r.hours_per_day),
            from: r.from_day,
            ...(r.until_day ? { until: r.until_day } : {}),
            exceptions: Object.entries(r.exceptions).map(([date, hours]) => ({ date, hours })),
          },
    );
    const today = dayText(this.streams.settings.clock());
    const days = daysBetween(today, addDays(today, 13));
    const processes = [...new Set(rules.map((r) => r.process))];
    return {
      ...this.toPublic(row, quality),
      location: row.location,
      capabilities: row.capabilities,
      suspendedReason: row.suspended_reason,
      registeredAt: row.registered_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      capacity: { rules, next14Days: processes.map((process) => ({ process, days: days.map((date) => ({ date, hours: sharedHoursOn(rules, process, date) })) })) },
      quality: quality.map((q) => ({
        ...publicQuality(q),
        lotsWithCriticalDefects: q.lots_with_critical_defects,
        unitsSampled: q.units_sampled,
        defects: q.defects,
        defectRate: Number(q.defect_rate),
        ...scoreParts({ lotsInspected: q.lots_inspected, lotsPassed: q.lots_passed, lotsWithCriticalDefects: q.lots_with_critical_defects, deliveries: q.deliveries, onTimeDeliveries: q.on_time_deliveries }),
        formula: SCORE_FORMULA,
      })),
    };
  }

  /**
   * Active workshops by process, region (case-insensitive), certification and shared capacity: with
   * `minFreeHours`, those sharing at least that many hours of `process` in total over
   * `freeHoursFrom..freeHoursTo` (both included; one day when only `freeHoursFrom` is given).
   */
  async search(query: SearchWorkshopsQuery): Promise<WorkshopSearchResult> {
    const limit = query.limit ?? this.streams.settings.config.MESHFAB_REGISTRY_PAGE_SIZE;
    const byCapacity = query.freeHoursFrom !== undefined || query.freeHoursTo !== undefined || query.minFreeHours !== undefined;
    let from: string | null = null;
    let to: string | null = null;
    if (byCapacity) {
      if (!query.process) throw new ValidationFailed('process', 'is required to filter by free capacity (capacity is shared per process)');
      if (query.freeHoursFrom === undefined) throw new ValidationFailed('freeHoursFrom', 'is required to filter by free capacity');
      from = query.freeHoursFrom;
      to = query.freeHoursTo ?? from;
      if (!isCalendarDate(from)) throw new ValidationFailed('freeHoursFrom', `"${from}" is not a calendar date`);
      if (!isCalendarDate(to)) throw new ValidationFailed('freeHoursTo', `"${to}" is not a calendar date`);
      if (to < from) throw new ValidationFailed('freeHoursTo', 'must not be before freeHoursFrom');
      if (daysBetween(from, to).length > MAX_SEARCH_DAYS) throw new ValidationFailed('freeHoursTo', `the range may span at most ${MAX_SEARCH_DAYS} days`);
    }
    // The cursor: the last workshop's sort key (free hours, or name) and id.
    const after = decodeCursor(query.cursor, ['id', 'id']);
    if (after && byCapacity && !/^\d{1,9}(\.\d{1,6})?$/.test(after[0])) throw new ValidationFailed('cursor', 'is not a cursor this search gave (pass nextCursor from the previous page as is)');
    const params = [query.process ?? null, query.region ?? null, query.certification ?? null, from, to, query.minFreeHours ?? 0, limit + 1, after?.[0] ?? null, after?.[1] ?? null];
    const candidates = `
      SELECT w.* FROM ${this.s}.workshops w
       WHERE w.status = 'active'
         AND ($1::text IS NULL OR w.processes @> ARRAY[$1::text])
         AND ($2::text IS NULL OR lower(w.region) = lower($2::text))
         AND ($3::text IS NULL OR w.certifications @> ARRAY[$3::text])`;
    const sql = byCapacity
      ? `WITH candidates AS (${candidates}),
         effective AS (
           SELECT DISTINCT ON (r.workshop_id, d.day) r.workshop_id, d.day, r.kind, r.hours_per_day, r.exceptions
             FROM ${this.s}.capacity_rules r
             JOIN (SELECT g::date AS day FROM generate_series($4::date, $5::date, interval '1 day') g) d
               ON d.day >= r.from_day AND (r.until_day IS NULL OR d.day <= r.until_day)
            WHERE r.process = $1::text AND r.workshop_id IN (SELECT workshop_id FROM candidates)
            ORDER BY r.workshop_id, d.day, r.stream_version DESC),
         free AS (
           SELECT workshop_id,
                  sum(CASE WHEN kind = 'withdrawn' THEN 0 ELSE coalesce((exceptions ->> to_char(day, 'YYYY-MM-DD'))::numeric, hours_per_day) END) AS free_hours
             FROM effective GROUP BY workshop_id),
         matching AS (
           SELECT c.*, f.free_hours, count(*) OVER () AS total
             FROM candidates c JOIN free f ON f.workshop_id = c.workshop_id
            WHERE f.free_hours >= $6 AND f.free_hours > 0)
         SELECT m.*, m.free_hours::text AS sort_key FROM matching m
          WHERE $8::text IS NULL OR m.free_hours < $8::numeric OR (m.free_hours = $8::numeric AND m.workshop_id > $9::text)
          ORDER BY m.free_hours DESC, m.workshop_id
          LIMIT $7`
      : `SELECT m.*, m.name AS sort_key FROM (SELECT c.*, NULL AS free_hours, count(*) OVER () AS total FROM (${candidates}) c
          WHERE $4::date IS NULL AND $5::date IS NULL AND $6::numeric >= 0) m
          WHERE $8::text IS NULL OR (m.name COLLATE "C", m.workshop_id) > ($8::text COLLATE "C", $9::text)
          ORDER BY m.name COLLATE "C", m.workshop_id LIMIT $7`;
    const rows: (WorkshopRow & { free_hours: string | null; total: string; sort_key: string })[] = await this.streams.db.dataSource.query(sql, params);
    const quality = await this.quality(rows.map((r) => r.workshop_id));
    const page = toCursorPage(rows, limit, (r) => [r.sort_key, r.workshop_id], (r) => ({ ...this.toPublic(r, quality), ...(r.free_hours !== null ? { freeHours: Number(r.free_hours) } : {}) }));
    // The total counts the whole search: the window runs before the cursor's filter.
    return { ...page, total: rows.length > 0 ? Number(rows[0].total) : 0 };
  }
}
