import { Inject, Injectable } from '@nestjs/common';
import { ValidationFailed } from '#libs/domain';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import type { CapacityQuery, CapacityViewDto } from './capacity.dto.js';

const MAX_DAYS = 366;
const hours = (minutes: number): number => Math.round(minutes / 6) / 10;

/**
 * `GET /matching/capacity`: the network's free and booked hours ahead, per day or ISO week, for a region
 * and a process — summed over workshops, so no workshop or brand is named. Read from the capacity book
 * (`capacity_days`: the projection of declared and withdrawn capacity and of every reservation and
 * hold), never from the event store.
 */
@Injectable()
export class CapacityViewQuery {
  private readonly s: string;
  constructor(@Inject(ServiceDatabase) private readonly db: ServiceDatabase) {
    this.s = ident(db.schema);
  }

  async get(q: CapacityQuery): Promise<CapacityViewDto> {
    const from = Date.parse(q.from.slice(0, 10));
    const to = Date.parse(q.to.slice(0, 10));
    if (!(to >= from)) throw new ValidationFailed('to', 'must not be before from');
    if ((to - from) / 86_400_000 + 1 > MAX_DAYS) throw new ValidationFailed('to', `the range may cover at most ${MAX_DAYS} days`);
    const granularity = q.granularity ?? 'day';
    const rows: { start: string; capacity: string; booked: string; workshops: string }[] = await this.db.dataSource.query(
      `SELECT to_char(date_trunc($5, d.day::timestamp), 'YYYY-MM-DD') AS start, sum(d.capacity_min) AS capacity, sum(d.reserved_min) AS booked,
              count(DISTINCT d.workshop_id) AS workshops
         FROM ${this.s}.capacity_days d JOIN ${this.s}.workshops w ON w.workshop_id = d.workshop_id
        WHERE d.day BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR d.process = $3) AND ($4::text IS NULL OR w.region = $4)
        GROUP BY 1 ORDER BY 1`,
      [q.from.slice(0, 10), q.to.slice(0, 10), q.process ?? null, q.region ?? null, granularity],
    );
    return {
      region: q.region ?? null,
      process: q.process ?? null,
      granularity,
      from: q.from.slice(0, 10),
      to: q.to.slice(0, 10),
      periods: rows.map((r) => {
        const capacity = Number(r.capacity);
        const booked = Number(r.booked);
        return {
          start: r.start,
          capacityHours: hours(capacity),
          bookedHours: hours(booked),
          freeHours: hours(capacity - booked),
          utilisation: capacity > 0 ? Math.round((booked / capacity) * 1000) / 1000 : 0,
          workshops: Number(r.workshops),
        };
      }),
    };
  }
}
