import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { cellsAround, type Point } from '../network/region.js';
import { isoDay, type Levelling } from './domain/planner.js';

/**
 * Load levelling's input: the days on which a process is at or above the peak threshold in a planning
 * area (the 3 × 3 regions around the delivery): booked minutes ÷ declared minutes of the area's
 * workshops for the process that day, from the capacity book (capacity_days). One statement per plan.
 */
@Injectable()
export class PeakDays {
  private readonly s: string;
  constructor(
    @Inject(ServiceDatabase) db: ServiceDatabase,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {
    this.s = ident(db.schema);
  }

  /** The levelling settings for a plan around `near` (undefined when levelling is off). */
  async levellingFor(processes: readonly string[], fromDay: number, toDay: number, near: readonly Point[], m: EntityManager): Promise<Levelling | undefined> {
    const c = this.settings.config;
    if (c.MESHFAB_MATCHING_PEAK_PENALTY === 0 || near.length === 0 || toDay < fromDay) return undefined;
    const rows: { process: string; day: number }[] = await m.query(
      `SELECT d.process, (d.day - DATE '1970-01-01')::int AS day
         FROM ${this.s}.capacity_days d
         JOIN ${this.s}.capabilities k ON k.workshop_id = d.workshop_id AND k.process = d.process
        WHERE d.process = ANY($1) AND d.day BETWEEN $2::date AND $3::date AND k.region_cell = ANY($4)
        GROUP BY d.process, d.day
       HAVING sum(d.capacity_min) > 0 AND sum(d.reserved_min)::float8 / sum(d.capacity_min) >= $5`,
      [[...new Set(processes)], isoDay(fromDay), isoDay(toDay), cellsAround(near.slice(-1)), c.MESHFAB_MATCHING_PEAK_THRESHOLD],
    );
    const peakDays = new Map<string, Set<number>>();
    for (const r of rows) {
      const days = peakDays.get(r.process) ?? new Set<number>();
      days.add(Number(r.day));
      peakDays.set(r.process, days);
    }
    return { peakDays, peakPenalty: c.MESHFAB_MATCHING_PEAK_PENALTY };
  }
}
