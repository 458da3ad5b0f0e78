// Correctness at network scale: 10,000 workshops registered through the registry's real command path
// (decider, event store, projections; batched in transactions) with randomized regions, processes,
// suspension and capacity rules, then "sewing, Zhejiang, ≥ 8 free hours on a given day" over HTTP, all
// pages, compared with a brute-force filter over the generated data. Speed belongs to the benchmark.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ServiceDatabase } from '#libs/eventsourcing';
import { PlatformModule } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testSigning, testTokens, uniqueSchema } from '#libs/testing';
import { RegistryStreams, workshopStream } from './registry.context.js';
import { RegistryModule } from './registry.module.js';
import { addDays } from './workshop/domain/calendar.js';
import type { WorkshopCommand } from './workshop/domain/workshop.commands.js';
import type { Capability } from './workshop/domain/workshop.events.js';

const secret = 'registry-scale-secret-that-is-long-enough-0123456789';
const NOW = new Date('2030-03-01T08:00:00.000Z');
const TODAY = '2030-03-01';
const DAY = '2030-03-10';
const WORKSHOPS = 10_000;
const schema = uniqueSchema('registry_scale');

type Json = Record<string, any>;

/** What the test generated for one workshop: the input of the brute-force filter. */
interface Generated {
  id: string;
  region: string;
  processes: string[];
  suspended: boolean;
  /** Capacity rules in the order they were sent (the last one covering a day decides it). */
  rules: { process: string; kind: 'declared' | 'withdrawn'; from: string; until?: string; hoursPerDay: number; exceptions: { date: string; hours: number }[] }[];
}

/** Hours shared on `day` for `process`, straight from the generated rules (independent of the registry's code). */
function bruteForceHours(shop: Generated, process: string, day: string): number {
  let hours = 0;
  for (const rule of shop.rules) {
    if (rule.process !== process || day < rule.from || (rule.until !== undefined && day > rule.until)) continue;
    hours = rule.kind === 'withdrawn' ? 0 : (rule.exceptions.find((e) => e.date === day)?.hours ?? rule.hoursPerDay);
  }
  return hours;
}

describe('registry with 10,000 workshops', () => {
  let app: INestApplication;
  let base: string;
  const shops: Generated[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'registry', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } }),
        RegistryModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env: { MESHFAB_REGISTRY_SCHEMA: schema, MESHFAB_REGISTRY_PAGE_SIZE: '100' }, clock: () => NOW, pool: { poolSize: 12 } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');

    let seed = 20_300_310;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const regions = ['Zhejiang', 'Jiangsu', 'Guangdong', 'Fujian'];
    const capability = (process: string): Capability => ({ process, parameters: {}, efficiency: 1, pricing: 'per_hour', price: { amountMinor: 3000, currency: 'CNY' } });
    const at = NOW.toISOString();
    const commands: { id: string; list: WorkshopCommand[] }[] = [];
    for (let i = 0; i < WORKSHOPS; i++) {
      const id = `scale-${String(i).padStart(5, '0')}`;
      const shop: Generated = { id, region: pick(regions), processes: ['sewing', 'cutting', 'packing'].filter((p) => random() < (p === 'sewing' ? 0.6 : 0.4)), suspended: random() < 0.05, rules: [] };
      const list: WorkshopCommand[] = [
        {
          type: 'RegisterWorkshop', workshopId: id, name: `Scale ${i}`, location: { lat: 30, lng: 120, region: shop.region }, certifications: [],
          capabilities: shop.processes.map(capability), token: { tokenId: `${id}-t`, issuedAt: at, expiresAt: '2030-06-01T00:00:00.000Z' }, at,
        },
      ];
      for (const process of shop.processes) {
        const rounds = random() < 0.15 ? 2 : 1;
        for (let r = 0; r < rounds; r++) {
          if (random() < 0.1) continue; // offered, but no capacity shared
          const from = addDays(TODAY, Math.floor(random() * 12)); // 03-01 .. 03-12: some start after the day
          const until = random() < 0.25 ? addDays(from, Math.floor(random() * 10)) : undefined;
          const exceptions = random() < 0.3 && DAY >= from && (until === undefined || DAY <= until) ? [{ date: DAY, hours: pick([0, 4, 8, 12]) }] : [];
          const hoursPerDay = pick([2, 4, 6, 7.5, 8, 10, 12]);
          shop.rules.push({ process, kind: 'declared', from, ...(until ? { until } : {}), hoursPerDay, exceptions });
          list.push({ type: 'DeclareCapacity', workshopId: id, process, hoursPerDay, from, ...(until ? { until } : {}), exceptions, at });
          const wFrom = pick(['2030-03-08', '2030-03-09', DAY, '2030-03-11']);
          // The registry refuses to withdraw what no declaration shares from that day on.
          const withdrawable = shop.rules.some((rule) => rule.process === process && rule.kind === 'declared' && (rule.until === undefined || rule.until >= wFrom));
          if (random() < 0.15 && withdrawable) {
            const wUntil = wFrom > DAY ? '2030-03-12' : pick([DAY, '2030-03-12']);
            shop.rules.push({ process, kind: 'withdrawn', from: wFrom, until: wUntil, hoursPerDay: 0, exceptions: [] });
            list.push({ type: 'WithdrawCapacity', workshopId: id, process, from: wFrom, until: wUntil, at });
          }
        }
      }
      if (shop.suspended) list.push({ type: 'SuspendWorkshop', workshopId: id, reason: 'audit', by: 'op-1', at });
      shops.push(shop);
      commands.push({ id, list });
    }

    // The real command path (load → decide → append → projections), 250 workshops per transaction, 8 at a time.
    const streams = app.get(RegistryStreams);
    const db = app.get(ServiceDatabase);
    const batches: (typeof commands)[] = [];
    for (let i = 0; i < commands.length; i += 250) batches.push(commands.slice(i, i + 250));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        await db.dataSource.transaction(async (manager) => {
          for (const { id, list } of batch) {
            for (const command of list) await streams.workshops.handle(workshopStream(id), command, { metadata: { correlationId: id, causationId: 'scale-test' }, manager });
          }
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('stored every workshop through the projection', async () => {
    const db = app.get(ServiceDatabase);
    const [{ count }] = await db.dataSource.query<{ count: number }[]>(`SELECT count(*)::int AS count FROM "${schema}".workshops WHERE workshop_id LIKE 'scale-%'`);
    expect(count).toBe(WORKSHOPS);
  });

  it('answers "sewing, Zhejiang, ≥ 8 free hours on a given day" exactly as a brute-force filter over the generated data, over all pages', async () => {
    const reader = await testTokens(secret).issue({ sub: 'operator-1', role: 'operator' });
    const expected = new Map(
      shops
        .filter((s) => !s.suspended && s.region === 'Zhejiang' && s.processes.includes('sewing'))
        .map((s) => [s.id, bruteForceHours(s, 'sewing', DAY)] as const)
        .filter(([, hours]) => hours >= 8),
    );
    const found = new Map<string, number>();
    let total = -1;
    let cursor: string | null = null;
    for (let page = 1; page <= 200; page++) {
      const search = `${base}/registry/workshops?process=sewing&region=Zhejiang&freeHoursFrom=${DAY}&freeHoursTo=${DAY}&minFreeHours=8&limit=37`;
      const response = await fetch(cursor ? `${search}&cursor=${cursor}` : search, { headers: { authorization: `Bearer ${reader}` } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Json;
      total = body.total;
      cursor = body.hasMore ? body.nextCursor : null;
      for (const item of body.items as Json[]) {
        expect(found.has(item.id)).toBe(false); // no workshop on two pages
        expect(item).toMatchObject({ region: 'Zhejiang', status: 'active' });
        found.set(item.id, item.freeHours);
      }
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(expected.size).toBeGreaterThan(200); // the filter is selective but not trivially so
    expect(expected.size).toBeLessThan(WORKSHOPS / 4);
    expect(total).toBe(expected.size);
    expect([...found.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, hours] of expected) expect([id, found.get(id)]).toEqual([id, hours]);
  });
});
