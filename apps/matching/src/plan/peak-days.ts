import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { regionCell } from '../network/region.js';
import { isoDay, type Candidate, type Levelling } from './domain/planner.js';

/**
 * Load levelling's input: the days on which a process is at or above the peak threshold in a region
 * (a candidate's 1° × 1° region cell): booked minutes ÷ declared minutes of the region's workshops for
 * the process that day, from the capacity book (capacity_days). One statement per planner run, over
 * the regions of its candidates only.
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

  /** The levelling settings for a plan over these candidates (undefined when levelling is off). */
  async levellingFor(candidates: ReadonlyMap<string, readonly Candidate[]>, fromDay: number, toDay: number, m: EntityManager): Promise<Levelling | undefined> {
    const c = this.settings.config;
    if (c.MESHFAB_MATCHING_PEAK_PENALTY === 0 || toDay < fromDay) return undefined;
    const cells = new Set<number>();
    for (const list of candidates.values()) for (const candidate of list) cells.add(regionCell(candidate.location));
    if (cells.size === 0) return undefined;
    const rows: { process: string; cell: number; day: number }[] = await m.query(
      `SELECT d.process, k.region_cell AS cell, (d.day - DATE '1970-01-01')::int AS day
         FROM ${this.s}.capabilities k
         JOIN ${this.s}.capacity_days d ON d.workshop_id = k.workshop_id AND d.process = k.process AND d.day BETWEEN $2::date AND $3::date
        WHERE k.process = ANY($1) AND k.region_cell = ANY($4)
        GROUP BY d.process, k.region_cell, d.day
       HAVING sum(d.capacity_min) > 0 AND sum(d.reserved_min)::float8 / sum(d.capacity_min) >= $5`,
      [[...candidates.keys()], isoDay(fromDay), isoDay(toDay), [...cells], c.MESHFAB_MATCHING_PEAK_THRESHOLD],
    );
    const peakDays = new Map<string, Set<number>>();
    for (const r of rows) {
      const key = `${r.process}|${r.cell}`;
      const days = peakDays.get(key) ?? new Set<number>();
      days.add(Number(r.day));
      peakDays.set(key, days);
    }
    return { peakDaysOf: (process, candidate) => peakDays.get(`${process}|${regionCell(candidate.location)}`), peakPenalty: c.MESHFAB_MATCHING_PEAK_PENALTY };
  }
}
