import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type {
  CapacityDeclaredContract,
  CapacityWithdrawnContract,
  WorkshopCapabilitiesChangedContract,
  WorkshopProfileUpdatedContract,
  WorkshopQualityRecordUpdatedContract,
  WorkshopRegisteredContract,
} from '#libs/contracts';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import type { Candidate } from '../plan/domain/planner.js';
import { cellsAround, regionCell, type Point } from './region.js';

const DAY_MS = 86_400_000;
/** Near cells read as one merged cost order (up to three near points' 3 × 3 blocks); a cell no workshop is in. */
const MERGED_CELLS_MAX = 27;
const NO_CELL = -1;
/**
 * How long the network's size (which near walk `auto` takes) is kept before it is read again: a catalog
 * lookup, cheap enough to follow a network that grows by bulk loads.
 */
const SIZE_KEPT_MS = 1_000;
const dayOf = (iso: string): number => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
const isoOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Cost per unit of reference work the index orders by: the unit price, or the hourly price × efficiency. */
const unitCost = (pricing: string, priceMinor: number, efficiency: number): number => (pricing === 'per_hour' ? priceMinor * efficiency : priceMinor);

export interface CandidateQuery {
  processes: readonly string[];
  fromDay: number;
  toDay: number;
  /** Where the goods come from or go to: candidates in the regions around these points come first. */
  near: readonly Point[];
  /** Per process and pricing model: the cheapest this many in the regions around `near`… */
  nearLimit: number;
  /** …and the cheapest this many anywhere. */
  anywhereLimit: number;
  /**
   * Minutes each process's step needs at reference efficiency; candidates need free time for at least
   * `minFreeShare` of it in the window (none given: any free time).
   */
  minutesNeeded?: Readonly<Record<string, number>>;
  /** Share of `minutesNeeded` a candidate must have free in the window (default 0.25; 0: any free time). */
  minFreeShare?: number;
}

interface CandidateRow {
  workshop_id: string;
  lat: number;
  lng: number;
  efficiency: number;
  pricing: 'per_unit' | 'per_hour';
  price_minor: string;
  currency: string;
  quality: number;
  days: number[] | null;
  free: number[] | null;
}

/** A capability row with its free minutes per day, as the planner takes it. */
const candidateOf = (r: CandidateRow): Candidate => ({
  workshopId: r.workshop_id,
  location: { lat: r.lat, lng: r.lng },
  efficiency: r.efficiency,
  pricing: r.pricing,
  priceMinor: Number(r.price_minor),
  currency: r.currency,
  quality: Number(r.quality),
  free: new Map((r.days ?? []).map((d, i) => [d, r.free![i]])),
});

/**
 * The network as matching sees it, kept from the registry's events: workshops, capabilities and
 * prices, quality records and capacity per workshop, process and day. Candidates are looked up by
 * process through indexes (never a scan of every workshop).
 */
@Injectable()
export class NetworkView {
  private readonly s: string;
  /** The candidate index's estimated rows, and when they were read (MESHFAB_MATCHING_CANDIDATE_QUERY=auto). */
  private size?: { rows: number; readAt: number };
  constructor(
    @Inject(ServiceDatabase) db: ServiceDatabase,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {
    this.s = ident(db.schema);
  }

  /** A workshop joined, or its profile changed (a move changes the region its capabilities are indexed under). */
  async registerWorkshop(data: WorkshopRegisteredContract | WorkshopProfileUpdatedContract, m: EntityManager): Promise<void> {
    await m.query(
      `INSERT INTO ${this.s}.workshops (workshop_id, name, lat, lng, region) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workshop_id) DO UPDATE SET name = EXCLUDED.name, lat = EXCLUDED.lat, lng = EXCLUDED.lng, region = EXCLUDED.region`,
      [data.workshopId, data.name, data.location.lat, data.location.lng, data.location.region ?? null],
    );
    await m.query(`UPDATE ${this.s}.capabilities SET region_cell = $2, lat = $3, lng = $4 WHERE workshop_id = $1 AND (lat, lng) IS DISTINCT FROM ($3, $4)`, [
      data.workshopId,
      regionCell(data.location),
      data.location.lat,
      data.location.lng,
    ]);
  }

  async replaceCapabilities(data: WorkshopCapabilitiesChangedContract, m: EntityManager): Promise<void> {
    await m.query(`DELETE FROM ${this.s}.capabilities WHERE workshop_id = $1`, [data.workshopId]);
    const located: { lat: number; lng: number; suspended: boolean }[] = await m.query(`SELECT lat, lng, suspended FROM ${this.s}.workshops WHERE workshop_id = $1`, [data.workshopId]);
    const cell = located.length > 0 ? regionCell(located[0]) : 0;
    for (const c of data.capabilities) {
      await m.query(
        `INSERT INTO ${this.s}.capabilities (workshop_id, process, efficiency, pricing, price_minor, currency, parameters, region_cell, unit_cost, suspended, lat, lng, quality)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, (SELECT score FROM ${this.s}.quality WHERE workshop_id = $1 AND process = $2))`,
        [
          data.workshopId,
          c.process,
          c.efficiency,
          c.pricing,
          c.price.amountMinor,
          c.price.currency,
          JSON.stringify(c.parameters),
          cell,
          unitCost(c.pricing, c.price.amountMinor, c.efficiency),
          located[0]?.suspended ?? false,
          located[0]?.lat ?? 0,
          located[0]?.lng ?? 0,
        ],
      );
    }
  }

  /** Sets the declared minutes per day; never below what is already reserved (booked work stays booked). */
  async declareCapacity(data: CapacityDeclaredContract, m: EntityManager): Promise<void> {
    const from = dayOf(data.from);
    const until = data.until ? dayOf(data.until) : from + this.settings.config.MATCHING_CAPACITY_HORIZON_DAYS - 1;
    const exceptions = new Map(data.exceptions.map((e) => [e.date, e.hours]));
    const days: string[] = [];
    const minutes: number[] = [];
    for (let d = from; d <= until; d++) {
      const iso = isoOf(d);
      days.push(iso);
      minutes.push(Math.round((exceptions.get(iso) ?? data.hoursPerDay) * 60));
    }
    await m.query(
      `INSERT INTO ${this.s}.capacity_days (workshop_id, process, day, capacity_min)
       SELECT $1, $2, d::date, c FROM unnest($3::text[], $4::int[]) AS t(d, c)
       ON CONFLICT (workshop_id, process, day) DO UPDATE SET capacity_min = GREATEST(EXCLUDED.capacity_min, ${this.s}.capacity_days.reserved_min)`,
      [data.workshopId, data.process, days, minutes],
    );
  }

  /** No more free time in the period; reservations already made are kept (capacity = reserved). */
  async withdrawCapacity(data: CapacityWithdrawnContract, m: EntityManager): Promise<void> {
    await m.query(`UPDATE ${this.s}.capacity_days SET capacity_min = reserved_min WHERE workshop_id = $1 AND process = $2 AND day BETWEEN $3::date AND $4::date`, [
      data.workshopId,
      data.process,
      data.from,
      data.until,
    ]);
  }

  /**
   * A suspension first locks the workshop's workshop-days (in the bookings' global order): a booking
   * still in flight on them commits first (its lots are then among those the suspension withdraws), and
   * a later one waits for it and sees the workshop suspended (Reservations.reserveAll).
   */
  async setSuspended(workshopId: string, suspended: boolean, m: EntityManager): Promise<void> {
    if (suspended) {
      await m.query(`SELECT 1 FROM ${this.s}.capacity_days WHERE workshop_id = $1 ORDER BY workshop_id, process, day FOR UPDATE`, [workshopId]);
    }
    await m.query(`UPDATE ${this.s}.workshops SET suspended = $2 WHERE workshop_id = $1`, [workshopId, suspended]);
    await m.query(`UPDATE ${this.s}.capabilities SET suspended = $2 WHERE workshop_id = $1`, [workshopId, suspended]);
  }

  async recordQuality(data: WorkshopQualityRecordUpdatedContract, m: EntityManager): Promise<void> {
    await m.query(
      `INSERT INTO ${this.s}.quality (workshop_id, process, score, lots_inspected, lots_passed) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workshop_id, process) DO UPDATE SET score = EXCLUDED.score, lots_inspected = EXCLUDED.lots_inspected, lots_passed = EXCLUDED.lots_passed`,
      [data.workshopId, data.process, Math.min(1, data.score), data.lotsInspected, data.lotsPassed],
    );
    await m.query(`UPDATE ${this.s}.capabilities SET quality = $3 WHERE workshop_id = $1 AND process = $2`, [data.workshopId, data.process, Math.min(1, data.score)]);
  }

  /**
   * The shortlist of candidates for each process: active workshops able to do it with free time in
   * [fromDay, toDay] for at least `minFreeShare` (default a quarter) of the step (`minutesNeeded` at
   * reference efficiency) — per pricing model, the `nearLimit` cheapest such in the regions around
   * `near` and the `anywhereLimit` cheapest such anywhere, plus the cheapest capable one whatever
   * its free time (so a failure says "capacity short", not "no workshop"). Each comes with its free
   * minutes per day in the window. One statement for all the processes of a request.
   *
   * The cheapest are walked in cost order on the candidate index and the free time is read per
   * workshop as it goes, until enough with free time are found: booked-up cheap workshops are skipped,
   * never counted against the limit (a shortlist of only booked-up shops is how a network with most of
   * its hours free would answer "capacity short").
   */
  async candidates(query: CandidateQuery, m: EntityManager): Promise<Map<string, Candidate[]>> {
    const processes = [...new Set(query.processes)];
    const share = query.minFreeShare ?? 0.25;
    const needed = processes.map((p) => Math.ceil((query.minutesNeeded?.[p] ?? 0) * share));
    const from = isoOf(query.fromDay);
    const to = isoOf(Math.max(query.fromDay, query.toDay));
    const carried = 'c.workshop_id, c.unit_cost, c.pricing, c.efficiency, c.price_minor, c.currency, c.lat, c.lng, c.quality';
    // The walks need only each workshop's total free minutes in the window (a sum over its days); the
    // free minutes per day are read once at the end, for the workshops that made the shortlist. Reading
    // them on every row walked cost most of the statement: the near walk passes the limit in each of
    // up to nine cells before keeping the cheapest, and a booked-up shop is read and skipped.
    const freeTotal = (alias: string) => `CROSS JOIN LATERAL (
         SELECT coalesce(sum(d.capacity_min - d.reserved_min), 0) AS total
         FROM ${this.s}.capacity_days d
         WHERE d.workshop_id = ${alias}.workshop_id AND d.process = p.process AND d.day BETWEEN $3::date AND $4::date AND d.capacity_min > d.reserved_min
       ) f`;
    const hasTime = 'f.total > 0 AND f.total >= p.needed';
    // Near, `merged` (MESHFAB_MATCHING_CANDIDATE_QUERY): one cost-ordered index range per region cell, merged (Merge Append), so the free time is read
    // only for the workshops the merge walks past — about the limit plus one per cell — instead of the
    // limit in every cell (72 free-time reads per process and pricing model for 9 cells). The cells are
    // padded to a multiple of 9 (with a cell no workshop is in) so a few statement texts serve every
    // plan; many near points (a re-plan after many lots) read per cell instead.
    const cells = cellsAround(query.near);
    const merged = (await this.nearWalk(m)) === 'merged' && cells.length <= MERGED_CELLS_MAX;
    if (merged) while (cells.length === 0 || cells.length % 9 !== 0) cells.push(NO_CELL);
    const nearCheapest = merged
      ? `(SELECT n.* FROM (${cells
          .map(
            (_, i) => `(SELECT ${carried} FROM ${this.s}.capabilities c
              ${freeTotal('c')}
              WHERE c.process = p.process AND c.region_cell = ($2::int[])[${i + 1}] AND c.pricing = k.pricing AND NOT c.suspended AND ${hasTime}
              ORDER BY c.unit_cost, c.workshop_id)`,
          )
          .join(' UNION ALL ')}) n
            ORDER BY n.unit_cost, n.workshop_id LIMIT $5)`
      : `(SELECT n.* FROM unnest($2::int[]) AS g(cell)
            CROSS JOIN LATERAL (
              SELECT ${carried} FROM ${this.s}.capabilities c
              ${freeTotal('c')}
              WHERE c.process = p.process AND c.region_cell = g.cell AND c.pricing = k.pricing AND NOT c.suspended AND ${hasTime}
              ORDER BY c.unit_cost, c.workshop_id LIMIT $5) n
            ORDER BY n.unit_cost, n.workshop_id LIMIT $5)`;
    // Prepared on the connection by the service's pool, as every statement it repeats (auto-prepare.ts).
    // The free days come as two JSON arrays filled from the same rows in the same order (one aggregate
    // step feeds both), so day i goes with free minutes i; the driver parses json natively, an int[]
    // character by character in JavaScript.
    const rows: (CandidateRow & { process: string })[] = await m.query(
      `WITH shortlist AS (
         SELECT DISTINCT ON (p.process, x.workshop_id) p.process, x.*
         FROM unnest($1::text[], $8::int[]) AS p(process, needed)
         CROSS JOIN (VALUES ('per_unit'), ('per_hour')) AS k(pricing)
         CROSS JOIN LATERAL (
           ${nearCheapest}
           UNION ALL
           (SELECT ${carried} FROM ${this.s}.capabilities c
            ${freeTotal('c')}
            WHERE c.process = p.process AND c.pricing = k.pricing AND NOT c.suspended AND ${hasTime}
            ORDER BY c.unit_cost, c.workshop_id LIMIT $6)
           UNION ALL
           (SELECT ${carried} FROM ${this.s}.capabilities c
            WHERE c.process = p.process AND c.pricing = k.pricing AND NOT c.suspended
            ORDER BY c.unit_cost, c.workshop_id LIMIT 1)
         ) x
         ORDER BY p.process, x.workshop_id
       )
       SELECT s.process, s.workshop_id, s.lat, s.lng, s.efficiency, s.pricing, s.price_minor, s.currency, coalesce(s.quality, $7) AS quality, f.days, f.free
       FROM shortlist s
       LEFT JOIN LATERAL (
         SELECT json_agg(d.day - DATE '1970-01-01') AS days, json_agg(d.capacity_min - d.reserved_min) AS free
         FROM ${this.s}.capacity_days d
         WHERE d.workshop_id = s.workshop_id AND d.process = s.process AND d.day BETWEEN $3::date AND $4::date AND d.capacity_min > d.reserved_min
       ) f ON true
       ORDER BY s.process, s.workshop_id`,
      [processes, cells, from, to, query.nearLimit, query.anywhereLimit, this.settings.config.MATCHING_DEFAULT_QUALITY, needed],
    );
    const map = new Map<string, Candidate[]>(processes.map((p) => [p, []]));
    for (const r of rows) {
      map.get(r.process)!.push(candidateOf(r));
    }
    return map;
  }

  /**
   * How `candidates` walks the near cells: as configured, or with `auto`, `merged` once the capabilities
   * table holds more than MESHFAB_MATCHING_MERGED_FROM_CAPABILITIES rows by PostgreSQL's estimate
   * (`reltuples`, kept by ANALYZE and autovacuum; read at most once a second). A table never analysed
   * counts as small.
   */
  async nearWalk(m: EntityManager): Promise<'per_cell' | 'merged'> {
    const { MESHFAB_MATCHING_CANDIDATE_QUERY: setting, MESHFAB_MATCHING_MERGED_FROM_CAPABILITIES: from } = this.settings.config;
    if (setting !== 'auto') return setting;
    const now = Date.now();
    if (!this.size || now - this.size.readAt >= SIZE_KEPT_MS) {
      const rows: { estimate: number }[] = await m.query('SELECT reltuples::float8 AS estimate FROM pg_class WHERE oid = to_regclass($1)', [`${this.s}.capabilities`]);
      this.size = { rows: Number(rows[0]?.estimate ?? -1), readAt: now };
    }
    return this.size.rows > from ? 'merged' : 'per_cell';
  }

  /** One workshop as a candidate for a process, with its free minutes per day in [fromDay, toDay]; null if it cannot do it. */
  async candidateFor(workshopId: string, process: string, fromDay: number, toDay: number, m: EntityManager): Promise<Candidate | null> {
    const rows: CandidateRow[] = await m.query(
      `SELECT c.workshop_id, c.lat, c.lng, c.efficiency, c.pricing, c.price_minor, c.currency, coalesce(c.quality, $5) AS quality, f.days, f.free
       FROM ${this.s}.capabilities c
       LEFT JOIN LATERAL (
         SELECT json_agg(d.day - DATE '1970-01-01' ORDER BY d.day) AS days, json_agg(d.capacity_min - d.reserved_min ORDER BY d.day) AS free
         FROM ${this.s}.capacity_days d
         WHERE d.workshop_id = c.workshop_id AND d.process = c.process AND d.day BETWEEN $3::date AND $4::date AND d.capacity_min > d.reserved_min
       ) f ON true
       WHERE c.workshop_id = $1 AND c.process = $2 AND NOT c.suspended`,
      [workshopId, process, isoOf(fromDay), isoOf(Math.max(fromDay, toDay)), this.settings.config.MATCHING_DEFAULT_QUALITY],
    );
    const r = rows[0];
    if (!r) return null;
    return candidateOf(r);
  }

  async locationOf(workshopIds: readonly string[], m: EntityManager): Promise<Map<string, { lat: number; lng: number }>> {
    if (workshopIds.length === 0) return new Map();
    const rows: { workshop_id: string; lat: number; lng: number }[] = await m.query(`SELECT workshop_id, lat, lng FROM ${this.s}.workshops WHERE workshop_id = ANY($1)`, [
      [...workshopIds],
    ]);
    return new Map(rows.map((r) => [r.workshop_id, { lat: r.lat, lng: r.lng }]));
  }
}
