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

export interface DayKey {
  workshopId: string;
  process: string;
  /** ISO date (YYYY-MM-DD). */
  day: string;
}

/**
 * Workshop-days a booking could not have: being booked by another planner now (`busy`), or no longer
 * free enough, or of a workshop no longer able to take the work (suspended, the process dropped) (`full`).
 */
export interface ReservationClash {
  busy: DayKey[];
  full: DayKey[];
}

interface Row {
  workshop_id: string;
  process: string;
  day: string;
}

function isLockTimeout(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e?.driverError?.code ?? e?.code) === '55P03';
}

export const dayKey = (d: DayKey): string => `${d.workshopId}|${d.process}|${d.day}`;
const rowKey = (r: Row): string => `${r.workshop_id}|${r.process}|${r.day}`;

/**
 * The capacity book: tentative while offered, firm once accepted, released on decline, expiry or
 * cancellation, and from the day after its delivery when a lot is delivered early. A booking is a
 * conditional UPDATE of the locked workshop-day row
 * (`reserved + m <= capacity` and the workshop still active for the process, a CHECK behind it):
 * concurrent planners never book the same row at the same time, and the second one sees the first
 * one's minutes, so a day is never booked beyond its capacity whatever the plan was made from. A
 * suspension locks the workshop's rows first (NetworkView.setSuspended), so a booking either commits
 * before it (and its lots are withdrawn with the others) or sees the workshop suspended.
 */
@Injectable()
export class Reservations {
  private readonly s: string;
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase) {
    this.s = ident(db.schema);
  }

  /**
   * Books every request, or books nothing and says which workshop-days it could not have. Two
   * statements whatever the number of lots and days: the workshop-day rows are locked in one global
   * order (workshop, process, day), so planners never deadlock; a planner booking the same days right
   * now is waited for (at most the caller's `lock_timeout`; its days are then reported as `busy`).
   * Then one conditional UPDATE books them all and inserts the reservations behind them (a day whose
   * free time no longer fits, or whose workshop was suspended or dropped the process, is reported as
   * `full`). The caller runs this inside a savepoint and rolls back to it on a clash.
   */
  async reserveAll(requests: readonly ReservationRequest[], m: EntityManager): Promise<ReservationClash | null> {
    if (requests.length === 0) return null;
    const perDay = new Map<string, DayKey & { minutes: number }>();
    for (const r of requests) {
      const key = dayKey(r);
      const at = perDay.get(key);
      if (at) at.minutes += r.minutes;
      else perDay.set(key, { workshopId: r.workshopId, process: r.process, day: r.day, minutes: r.minutes });
    }
    const days = [...perDay.values()];
    const columns = [days.map((d) => d.workshopId), days.map((d) => d.process), days.map((d) => d.day), days.map((d) => d.minutes)];
    try {
      await m.query(
        `SELECT 1 FROM ${this.s}.capacity_days c
         JOIN unnest($1::text[], $2::text[], $3::date[]) AS r(workshop_id, process, day) ON c.workshop_id = r.workshop_id AND c.process = r.process AND c.day = r.day
         ORDER BY c.workshop_id, c.process, c.day FOR UPDATE OF c`,
        columns.slice(0, 3),
      );
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      return { busy: days, full: [] };
    }
    const booked: Row[] = await m.query(
      `WITH booked AS (
         UPDATE ${this.s}.capacity_days c SET reserved_min = c.reserved_min + r.minutes
         FROM unnest($1::text[], $2::text[], $3::date[], $4::int[]) AS r(workshop_id, process, day, minutes)
         WHERE c.workshop_id = r.workshop_id AND c.process = r.process AND c.day = r.day AND c.reserved_min + r.minutes <= c.capacity_min
           AND EXISTS (SELECT 1 FROM ${this.s}.capabilities k WHERE k.workshop_id = c.workshop_id AND k.process = c.process AND NOT k.suspended)
         RETURNING c.workshop_id, c.process, c.day::text AS day),
       reserved AS (
         INSERT INTO ${this.s}.reservations (subtask_id, workshop_id, process, day, minutes, status)
         SELECT *, 'tentative' FROM unnest($5::text[], $6::text[], $7::text[], $8::date[], $9::int[]))
       SELECT workshop_id, process, day FROM booked`,
      [
        ...columns,
        requests.map((r) => r.subtaskId),
        requests.map((r) => r.workshopId),
        requests.map((r) => r.process),
        requests.map((r) => r.day),
        requests.map((r) => r.minutes),
      ],
    );
    if (booked.length === days.length) return null;
    const fitted = new Set(booked.map(rowKey));
    return { busy: [], full: days.filter((d) => !fitted.has(dayKey(d))) };
  }

  async confirm(subtaskId: string, m: EntityManager): Promise<void> {
    await m.query(`UPDATE ${this.s}.reservations SET status = 'firm' WHERE subtask_id = $1 AND status = 'tentative'`, [subtaskId]);
  }

  /**
   * Gives back the days the lot still holds: all of them when it will not be made (declined, expired,
   * cancelled); those after `afterDay` (YYYY-MM-DD) when it was delivered that day — the days up to it were
   * worked. A rework after a failed inspection is owed by the workshop and is not booked again.
   */
  async release(subtaskId: string, m: EntityManager, afterDay: string | null = null): Promise<void> {
    await m.query(
      `WITH r AS (
         UPDATE ${this.s}.reservations SET status = 'released'
         WHERE subtask_id = $1 AND status <> 'released' AND ($2::date IS NULL OR day > $2::date)
         RETURNING workshop_id, process, day, minutes)
       UPDATE ${this.s}.capacity_days c SET reserved_min = c.reserved_min - r.minutes
       FROM r WHERE c.workshop_id = r.workshop_id AND c.process = r.process AND c.day = r.day`,
      [subtaskId, afterDay],
    );
  }
}
