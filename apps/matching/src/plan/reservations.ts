import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ident, ServiceDatabase } from '#libs/eventsourcing';

export interface ReservationRequest {
  subtaskId: string;
  workshopId: string;
  process: string;
  /** ISO date (YYYY-MM-DD). */
  day: string;
  minutes: number;
}

/**
 * The capacity book: tentative while offered, firm once accepted, released on decline, expiry or
 * cancellation. A booking is a conditional UPDATE of the workshop-day row
 * (`reserved + m <= capacity`), which takes that row's lock: concurrent planners serialise on the
 * row and the second one sees the first one's minutes, so a day is never booked beyond its capacity.
 */
@Injectable()
export class Reservations {
  private readonly s: string;
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase) {
    this.s = ident(db.schema);
  }

  /**
   * Books every request or returns the first one that no longer fits (the caller rolls back to its
   * savepoint and plans again). Rows are locked in one global order so planners never deadlock.
   */
  async reserveAll(requests: readonly ReservationRequest[], m: EntityManager): Promise<ReservationRequest | null> {
    const sorted = [...requests].sort((a, b) => a.workshopId.localeCompare(b.workshopId) || a.process.localeCompare(b.process) || a.day.localeCompare(b.day));
    for (const r of sorted) {
      const [rows, count]: [unknown[], number] = await m.query(
        `UPDATE ${this.s}.capacity_days SET reserved_min = reserved_min + $4
         WHERE workshop_id = $1 AND process = $2 AND day = $3::date AND reserved_min + $4 <= capacity_min`,
        [r.workshopId, r.process, r.day, r.minutes],
      );
      void rows;
      if (count !== 1) return r;
      await m.query(
        `INSERT INTO ${this.s}.reservations (subtask_id, workshop_id, process, day, minutes, status) VALUES ($1, $2, $3, $4::date, $5, 'tentative')`,
        [r.subtaskId, r.workshopId, r.process, r.day, r.minutes],
      );
    }
    return null;
  }

  async confirm(subtaskId: string, m: EntityManager): Promise<void> {
    await m.query(`UPDATE ${this.s}.reservations SET status = 'firm' WHERE subtask_id = $1 AND status = 'tentative'`, [subtaskId]);
  }

  async release(subtaskId: string, m: EntityManager): Promise<void> {
    await m.query(
      `WITH r AS (
         UPDATE ${this.s}.reservations SET status = 'released' WHERE subtask_id = $1 AND status <> 'released'
         RETURNING workshop_id, process, day, minutes)
       UPDATE ${this.s}.capacity_days c SET reserved_min = c.reserved_min - r.minutes
       FROM r WHERE c.workshop_id = r.workshop_id AND c.process = r.process AND c.day = r.day`,
      [subtaskId],
    );
  }
}
