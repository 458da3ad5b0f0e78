import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type {
  CapacityDeclaredContract,
  CapacityWithdrawnContract,
  WorkshopCapabilitiesChangedContract,
  WorkshopQualityRecordUpdatedContract,
  WorkshopRegisteredContract,
} from '#libs/contracts';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import type { Candidate } from '../plan/domain/planner.js';

const DAY_MS = 86_400_000;
const dayOf = (iso: string): number => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
const isoOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

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

/**
 * The network as matching sees it, kept from the registry's events: workshops, capabilities and
 * prices, quality records and capacity per workshop, process and day. Candidates are looked up by
 * process through indexes (never a scan of every workshop).
 */
@Injectable()
export class NetworkView {
  private readonly s: string;
  constructor(
    @Inject(ServiceDatabase) db: ServiceDatabase,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {
    this.s = ident(db.schema);
  }

  async registerWorkshop(data: WorkshopRegisteredContract, m: EntityManager): Promise<void> {
    await m.query(
      `INSERT INTO ${this.s}.workshops (workshop_id, name, lat, lng, region) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workshop_id) DO UPDATE SET name = EXCLUDED.name, lat = EXCLUDED.lat, lng = EXCLUDED.lng, region = EXCLUDED.region`,
      [data.workshopId, data.name, data.location.lat, data.location.lng, data.location.region ?? null],
    );
  }

  async replaceCapabilities(data: WorkshopCapabilitiesChangedContract, m: EntityManager): Promise<void> {
    await m.query(`DELETE FROM ${this.s}.capabilities WHERE workshop_id = $1`, [data.workshopId]);
    for (const c of data.capabilities) {
      await m.query(
        `INSERT INTO ${this.s}.capabilities (workshop_id, process, efficiency, pricing, price_minor, currency, parameters) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [data.workshopId, c.process, c.efficiency, c.pricing, c.price.amountMinor, c.price.currency, JSON.stringify(c.parameters)],
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

  async setSuspended(workshopId: string, suspended: boolean, m: EntityManager): Promise<void> {
    await m.query(`UPDATE ${this.s}.workshops SET suspended = $2 WHERE workshop_id = $1`, [workshopId, suspended]);
  }

  async recordQuality(data: WorkshopQualityRecordUpdatedContract, m: EntityManager): Promise<void> {
    await m.query(
      `INSERT INTO ${this.s}.quality (workshop_id, process, score, lots_inspected, lots_passed) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workshop_id, process) DO UPDATE SET score = EXCLUDED.score, lots_inspected = EXCLUDED.lots_inspected, lots_passed = EXCLUDED.lots_passed`,
      [data.workshopId, data.process, Math.min(1, data.score), data.lotsInspected, data.lotsPassed],
    );
  }

  /** Active workshops able to do `process`, with their free minutes per day in [fromDay, toDay]. */
  async candidates(process: string, fromDay: number, toDay: number, m: EntityManager): Promise<Candidate[]> {
    const rows: CandidateRow[] = await m.query(
      `SELECT c.workshop_id, w.lat, w.lng, c.efficiency, c.pricing, c.price_minor, c.currency, coalesce(q.score, $4) AS quality,
              f.days, f.free
       FROM ${this.s}.capabilities c
       JOIN ${this.s}.workshops w ON w.workshop_id = c.workshop_id AND NOT w.suspended
       LEFT JOIN ${this.s}.quality q ON q.workshop_id = c.workshop_id AND q.process = c.process
       LEFT JOIN LATERAL (
         SELECT array_agg(d.day - DATE '1970-01-01' ORDER BY d.day) AS days, array_agg(d.capacity_min - d.reserved_min ORDER BY d.day) AS free
         FROM ${this.s}.capacity_days d
         WHERE d.workshop_id = c.workshop_id AND d.process = c.process AND d.day BETWEEN $2::date AND $3::date AND d.capacity_min > d.reserved_min
       ) f ON true
       WHERE c.process = $1`,
      [process, isoOf(fromDay), isoOf(toDay), this.settings.config.MATCHING_DEFAULT_QUALITY],
    );
    return rows.map((r) => ({
      workshopId: r.workshop_id,
      location: { lat: r.lat, lng: r.lng },
      efficiency: r.efficiency,
      pricing: r.pricing,
      priceMinor: Number(r.price_minor),
      currency: r.currency,
      quality: Number(r.quality),
      free: new Map((r.days ?? []).map((d, i) => [d, r.free![i]])),
    }));
  }

  async locationOf(workshopIds: readonly string[], m: EntityManager): Promise<Map<string, { lat: number; lng: number }>> {
    if (workshopIds.length === 0) return new Map();
    const rows: { workshop_id: string; lat: number; lng: number }[] = await m.query(`SELECT workshop_id, lat, lng FROM ${this.s}.workshops WHERE workshop_id = ANY($1)`, [
      [...workshopIds],
    ]);
    return new Map(rows.map((r) => [r.workshop_id, { lat: r.lat, lng: r.lng }]));
  }
}
