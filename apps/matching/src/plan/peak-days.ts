import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { regionCell } from '../network/region.js';
import { isoDay, type Candidate, type Levelling } from './domain/planner.js';

/** Days ahead a region's peak days are read for at once (and kept). */
const SPAN_DAYS = 90;

interface CachedRegion {
  expires: number;
  fromDay: number;
  toDay: number;
  days: Set<number>;
}

/**
 * Load levelling's input: the days on which a process is at or above the peak threshold in a region
 * (a candidate's 1° × 1° region cell): booked minutes ÷ declared minutes of the region's workshops for
 * the process that day, from the capacity book (capacity_days). A region's load moves one order at a
 * time, so each (process, region)'s peak days are kept for `MESHFAB_MATCHING_PEAK_CACHE_MS` (a soft
 * preference may be that much out of date; 0: read every time); the regions missing are read in one
 * grouped statement.
 */
@Injectable()
export class PeakDays {
  private readonly s: string;
  private readonly cache = new Map<string, CachedRegion>();
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
    const now = Date.now();
    const wanted = new Map<string, { process: string; cell: number }>();
    for (const [process, list] of candidates) for (const candidate of list) {
      const cell = regionCell(candidate.location);
      wanted.set(`${process}|${cell}`, { process, cell });
    }
    const missing = [...wanted].filter(([key]) => {
      const hit = this.cache.get(key);
      return !hit || hit.expires <= now || hit.fromDay > fromDay || hit.toDay < toDay;
    });
    if (missing.length > 0) {
      const until = Math.max(toDay, fromDay + SPAN_DAYS);
      const rows: { process: string; cell: number; day: number }[] = await m.query(
        `SELECT d.process, k.region_cell AS cell, (d.day - DATE '1970-01-01')::int AS day
           FROM unnest($1::text[], $2::int[]) AS r(process, cell)
           JOIN ${this.s}.capabilities k ON k.process = r.process AND k.region_cell = r.cell
           JOIN ${this.s}.capacity_days d ON d.workshop_id = k.workshop_id AND d.process = k.process AND d.day BETWEEN $3::date AND $4::date
          GROUP BY d.process, k.region_cell, d.day
         HAVING sum(d.capacity_min) > 0 AND sum(d.reserved_min)::float8 / sum(d.capacity_min) >= $5`,
        [missing.map(([, w]) => w.process), missing.map(([, w]) => w.cell), isoDay(fromDay), isoDay(until), c.MESHFAB_MATCHING_PEAK_THRESHOLD],
      );
      const expires = now + c.MESHFAB_MATCHING_PEAK_CACHE_MS;
      for (const [key] of missing) this.cache.set(key, { expires, fromDay, toDay: until, days: new Set() });
      for (const r of rows) this.cache.get(`${r.process}|${r.cell}`)!.days.add(Number(r.day));
      if (this.cache.size > 100_000) for (const [key, hit] of this.cache) if (hit.expires <= now) this.cache.delete(key);
    }
    const peakDays = new Map([...wanted.keys()].map((key) => [key, this.cache.get(key)!.days]));
    return { peakDaysOf: (process, candidate) => peakDays.get(`${process}|${regionCell(candidate.location)}`), peakPenalty: c.MESHFAB_MATCHING_PEAK_PENALTY };
  }
}
