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
 * the process that day (active workshops), from the capacity book (capacity_days). A region's load moves one order at a
 * time, so each (process, region)'s peak days are kept for `MESHFAB_MATCHING_PEAK_CACHE_MS` (a soft
 * preference may be that much out of date; 0: read every time); the regions missing are read in one
 * grouped statement, and a region another plan is reading at that moment is waited for, not read twice.
 */
@Injectable()
export class PeakDays {
  private readonly s: string;
  private readonly cache = new Map<string, CachedRegion>();
  /** Reads under way, by (process, region) key. */
  private readonly reading = new Map<string, Promise<void>>();
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
    const stale = (key: string) => {
      const hit = this.cache.get(key);
      return !hit || hit.expires <= now || hit.fromDay > fromDay || hit.toDay < toDay;
    };
    let missing = [...wanted].filter(([key]) => stale(key));
    // Plans that start together around one place miss the same regions: a region being read for another
    // plan right now is waited for, not read again (and read here if that read failed or was too short).
    const inFlight = new Set(missing.flatMap(([key]) => this.reading.get(key) ?? []));
    if (inFlight.size > 0) {
      await Promise.allSettled(inFlight);
      missing = missing.filter(([key]) => stale(key));
    }
    if (missing.length > 0) {
      const read = this.read(missing.map(([, w]) => w), fromDay, toDay, now, m);
      for (const [key] of missing) this.reading.set(key, read);
      try {
        await read;
      } finally {
        for (const [key] of missing) if (this.reading.get(key) === read) this.reading.delete(key);
      }
    }
    const peakDays = new Map([...wanted.keys()].map((key) => [key, this.cache.get(key)!.days]));
    return { peakDaysOf: (process, candidate) => peakDays.get(`${process}|${regionCell(candidate.location)}`), peakPenalty: c.MESHFAB_MATCHING_PEAK_PENALTY };
  }

  /**
   * Reads the peak days of these (process, region) pairs from `fromDay` on (`SPAN_DAYS` ahead at least)
   * into the cache. Only active workshops count: the region's capabilities index leaves suspended ones
   * out, and their capacity is not on offer anyway.
   */
  private async read(regions: readonly { process: string; cell: number }[], fromDay: number, toDay: number, now: number, m: EntityManager): Promise<void> {
    const c = this.settings.config;
    const until = Math.max(toDay, fromDay + SPAN_DAYS);
    const rows: { process: string; cell: number; day: number }[] = await m.query(
      `SELECT d.process, k.region_cell AS cell, (d.day - DATE '1970-01-01')::int AS day
         FROM unnest($1::text[], $2::int[]) AS r(process, cell)
         JOIN ${this.s}.capabilities k ON k.process = r.process AND k.region_cell = r.cell AND NOT k.suspended
         JOIN ${this.s}.capacity_days d ON d.workshop_id = k.workshop_id AND d.process = k.process AND d.day BETWEEN $3::date AND $4::date
        GROUP BY d.process, k.region_cell, d.day
       HAVING sum(d.capacity_min) > 0 AND sum(d.reserved_min)::float8 / sum(d.capacity_min) >= $5`,
      [regions.map((w) => w.process), regions.map((w) => w.cell), isoDay(fromDay), isoDay(until), c.MESHFAB_MATCHING_PEAK_THRESHOLD],
    );
    const expires = now + c.MESHFAB_MATCHING_PEAK_CACHE_MS;
    for (const w of regions) this.cache.set(`${w.process}|${w.cell}`, { expires, fromDay, toDay: until, days: new Set() });
    for (const r of rows) this.cache.get(`${r.process}|${r.cell}`)!.days.add(Number(r.day));
    if (this.cache.size > 100_000) for (const [key, hit] of this.cache) if (hit.expires <= now) this.cache.delete(key);
  }
}
