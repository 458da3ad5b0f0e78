// The candidate shortlist against a real PostgreSQL, checked against its definition written out in
// TypeScript over the same tables: a random network (seeded) with cheap workshops booked up, ties in
// cost, suspended workshops and both pricing models, asked with many windows, limits and near points,
// in both statement shapes (`per_cell` and `merged`). Whatever the statement does to read less, the
// shortlist and each candidate's free minutes per day must be exactly what the definition says.
import { ServiceDatabase } from '#libs/eventsourcing';
import { Prng } from '#libs/scheduling';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { MatchingConfig, type MatchingSettings } from '../config.js';
import { matchingMigrations } from '../matching.migrations.js';
import type { Candidate } from '../plan/domain/planner.js';
import { NetworkView, type CandidateQuery } from './network-view.js';
import { cellsAround, type Point } from './region.js';

const DAY_MS = 86_400_000;
const dayOf = (iso: string): number => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
const isoOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Uniform in [0, 1) from a seeded PRNG, so a failure can be replayed. */
function random(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

interface CapabilityRow {
  workshop_id: string;
  process: string;
  pricing: 'per_unit' | 'per_hour';
  unit_cost: number;
  efficiency: number;
  price_minor: string;
  currency: string;
  lat: number;
  lng: number;
  region_cell: number;
  suspended: boolean;
  quality: number | null;
}

const PROCESSES = ['cutting', 'sewing', 'pressing'];
const FIRST_DAY = dayOf('2030-01-01');
const LAST_DAY = dayOf('2030-01-20');
const DEFAULT_QUALITY = 0.9;

describe('NetworkView.candidates: the shortlist is exactly its definition', () => {
  const schema = uniqueSchema('matching_candidates');
  let db: ServiceDatabase;
  const views: Record<'per_cell' | 'merged', NetworkView> = {} as Record<'per_cell' | 'merged', NetworkView>;
  let capabilities: CapabilityRow[];
  /** Free minutes per workshop, process and day (only days with some free). */
  const freeByKey = new Map<string, Map<number, number>>();

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, migrations: matchingMigrations(schema), poolSize: 4 });
    for (const mode of ['per_cell', 'merged'] as const) {
      const config = Object.assign(new MatchingConfig(), { MESHFAB_MATCHING_CANDIDATE_QUERY: mode, MATCHING_DEFAULT_QUALITY: DEFAULT_QUALITY });
      const settings: MatchingSettings = { config, clock: () => new Date('2030-01-01T00:00:00Z') };
      views[mode] = new NetworkView(db, settings);
    }
    const view = views.per_cell;
    const rnd = random(20_301);
    const m = db.dataSource.manager;
    for (let i = 0; i < 160; i++) {
      const workshopId = `w${String(i).padStart(3, '0')}`;
      // Most around (30.5, 120.5), some a few cells away, so "near" leaves some out.
      const far = rnd() < 0.3;
      const location = { lat: 30.5 + (rnd() - 0.5) * (far ? 8 : 2.6), lng: 120.5 + (rnd() - 0.5) * (far ? 8 : 2.6) };
      await view.registerWorkshop({ workshopId, name: workshopId, location, certifications: [] }, m);
      const offered = PROCESSES.filter(() => rnd() < 0.6);
      if (offered.length === 0) offered.push(PROCESSES[i % PROCESSES.length]);
      await view.replaceCapabilities(
        {
          workshopId,
          capabilities: offered.map((process) => {
            const pricing: 'per_unit' | 'per_hour' = rnd() < 0.5 ? 'per_unit' : 'per_hour';
            // Few distinct prices, so equal costs are common and the workshop id breaks the tie.
            return { process, parameters: {}, efficiency: pricing === 'per_hour' ? [0.8, 1, 1.25][Math.floor(rnd() * 3)] : 1, pricing, price: { amountMinor: 50 * (1 + Math.floor(rnd() * 8)), currency: 'CNY' } };
          }),
        },
        m,
      );
      for (const process of offered) {
        const exceptions: { date: string; hours: number }[] = [];
        for (let d = FIRST_DAY; d <= LAST_DAY; d++) if (rnd() < 0.15) exceptions.push({ date: isoOf(d), hours: rnd() < 0.5 ? 0 : 2 });
        await view.declareCapacity({ workshopId, process, hoursPerDay: 1 + Math.floor(rnd() * 8), from: '2030-01-01', until: '2030-01-20', exceptions }, m);
        // Booked work: the cheap shops are often full, some partly booked, the rest free.
        const booking = rnd();
        if (booking < 0.35) {
          await m.query(`UPDATE "${schema}".capacity_days SET reserved_min = capacity_min WHERE workshop_id = $1 AND process = $2`, [workshopId, process]);
        } else if (booking < 0.7) {
          await m.query(`UPDATE "${schema}".capacity_days SET reserved_min = capacity_min / 2 WHERE workshop_id = $1 AND process = $2 AND extract(day FROM day)::int % 3 <> 0`, [
            workshopId,
            process,
          ]);
        }
        if (rnd() < 0.3) await view.recordQuality({ workshopId, process, score: 0.5 + rnd() / 2, lotsInspected: 10, lotsPassed: 8 }, m);
      }
      if (rnd() < 0.1) await view.setSuspended(workshopId, true, m);
    }
    capabilities = await db.dataSource.query(
      `SELECT workshop_id, process, pricing, unit_cost, efficiency, price_minor::text AS price_minor, currency, lat, lng, region_cell, suspended, quality FROM "${schema}".capabilities`,
    );
    const days: { workshop_id: string; process: string; day: string; free: number }[] = await db.dataSource.query(
      `SELECT workshop_id, process, day::text AS day, capacity_min - reserved_min AS free FROM "${schema}".capacity_days WHERE capacity_min > reserved_min`,
    );
    for (const d of days) {
      const key = `${d.workshop_id}/${d.process}`;
      if (!freeByKey.has(key)) freeByKey.set(key, new Map());
      freeByKey.get(key)!.set(dayOf(d.day), d.free);
    }
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  /** The shortlist as CandidateQuery's documentation defines it, computed from the rows themselves. */
  function expected(query: CandidateQuery): Map<string, Candidate[]> {
    const share = query.minFreeShare ?? 0.25;
    const cells = new Set(cellsAround(query.near));
    const toDay = Math.max(query.fromDay, query.toDay);
    const freeOf = (c: CapabilityRow) =>
      new Map([...(freeByKey.get(`${c.workshop_id}/${c.process}`) ?? new Map<number, number>())].filter(([d]) => d >= query.fromDay && d <= toDay));
    const total = (c: CapabilityRow) => [...freeOf(c).values()].reduce((a, b) => a + b, 0);
    const byCost = (a: CapabilityRow, b: CapabilityRow) => a.unit_cost - b.unit_cost || (a.workshop_id < b.workshop_id ? -1 : a.workshop_id > b.workshop_id ? 1 : 0);
    const result = new Map<string, Candidate[]>();
    for (const process of new Set(query.processes)) {
      const needed = Math.ceil((query.minutesNeeded?.[process] ?? 0) * share);
      const chosen = new Map<string, CapabilityRow>();
      for (const pricing of ['per_unit', 'per_hour']) {
        const capable = capabilities.filter((c) => c.process === process && c.pricing === pricing && !c.suspended).sort(byCost);
        const withTime = capable.filter((c) => total(c) > 0 && total(c) >= needed);
        for (const c of withTime.filter((c) => cells.has(c.region_cell)).slice(0, query.nearLimit)) chosen.set(c.workshop_id, c);
        for (const c of withTime.slice(0, query.anywhereLimit)) chosen.set(c.workshop_id, c);
        for (const c of capable.slice(0, 1)) chosen.set(c.workshop_id, c);
      }
      result.set(
        process,
        [...chosen.values()]
          .map((c) => ({
            workshopId: c.workshop_id,
            location: { lat: c.lat, lng: c.lng },
            efficiency: c.efficiency,
            pricing: c.pricing,
            priceMinor: Number(c.price_minor),
            currency: c.currency,
            quality: c.quality ?? DEFAULT_QUALITY,
            free: freeOf(c),
          }))
          .sort((a, b) => (a.workshopId < b.workshopId ? -1 : 1)),
      );
    }
    return result;
  }

  /** Comparable form: candidates by workshop id, free days as sorted pairs. */
  const plain = (shortlist: Map<string, Candidate[]>) =>
    Object.fromEntries(
      [...shortlist].map(([process, list]) => [
        process,
        [...list].sort((a, b) => (a.workshopId < b.workshopId ? -1 : 1)).map((c) => ({ ...c, free: [...c.free].sort((a, b) => a[0] - b[0]) })),
      ]),
    );

  it('matches the definition for many windows, limits, shares and near points, in both statement shapes', async () => {
    const rnd = random(77);
    const places: Point[][] = [[{ lat: 30.5, lng: 120.5 }], [{ lat: 30.1, lng: 119.9 }, { lat: 31.7, lng: 121.2 }], [{ lat: 45, lng: 10 }], []];
    let compared = 0;
    let candidatesSeen = 0;
    let bookedUpSkipped = 0;
    for (let round = 0; round < 40; round++) {
      const fromDay = FIRST_DAY - 2 + Math.floor(rnd() * 18);
      const query: CandidateQuery = {
        processes: PROCESSES.filter(() => rnd() < 0.7).concat(round % 5 === 0 ? ['embroidery'] : []),
        fromDay,
        toDay: fromDay + Math.floor(rnd() * 12) - 1,
        near: places[round % places.length],
        nearLimit: 1 + Math.floor(rnd() * 4),
        anywhereLimit: 1 + Math.floor(rnd() * 4),
        minutesNeeded: Object.fromEntries(PROCESSES.map((p) => [p, Math.floor(rnd() * 6_000)])),
        minFreeShare: [0, 0.25, 1, undefined][round % 4],
      };
      const want = expected(query);
      for (const mode of ['per_cell', 'merged'] as const) {
        const got = await views[mode].candidates(query, db.dataSource.manager);
        expect({ mode, query, shortlist: plain(got) }).toEqual({ mode, query, shortlist: plain(want) });
        compared++;
      }
      for (const list of want.values()) candidatesSeen += list.length;
      // The walk must skip booked-up cheap shops: count the rounds where the cheapest capable one had no time.
      for (const list of want.values()) bookedUpSkipped += list.filter((c) => c.free.size === 0).length;
    }
    // The network really exercised the rules (not an empty comparison).
    expect(compared).toBe(80);
    expect(candidatesSeen).toBeGreaterThan(200);
    expect(bookedUpSkipped).toBeGreaterThan(5);
  }, 120_000);

  it('auto: walks the near cells merged once the candidate index is large by PostgreSQL\'s estimate, per cell below', async () => {
    await db.dataSource.query(`ANALYZE "${schema}".capabilities`);
    const [{ rows }]: { rows: number }[] = await db.dataSource.query(`SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = '"${schema}".capabilities'::regclass`);
    expect(rows).toBe(capabilities.length);
    const auto = (from: number) =>
      new NetworkView(db, {
        config: Object.assign(new MatchingConfig(), { MESHFAB_MATCHING_CANDIDATE_QUERY: 'auto', MESHFAB_MATCHING_MERGED_FROM_CAPABILITIES: from, MATCHING_DEFAULT_QUALITY: DEFAULT_QUALITY }),
        clock: () => new Date('2030-01-01T00:00:00Z'),
      });
    const m = db.dataSource.manager;
    expect(await auto(capabilities.length - 1).nearWalk(m)).toBe('merged');
    expect(await auto(capabilities.length).nearWalk(m)).toBe('per_cell');
    expect(new MatchingConfig().MESHFAB_MATCHING_CANDIDATE_QUERY).toBe('auto');
    // Either way the same shortlist.
    const query: CandidateQuery = { processes: PROCESSES, fromDay: FIRST_DAY, toDay: FIRST_DAY + 9, near: [{ lat: 30.5, lng: 120.5 }], nearLimit: 2, anywhereLimit: 2 };
    expect(plain(await auto(0).candidates(query, m))).toEqual(plain(expected(query)));
  });
});
