// Instant quotes at scale: `POST /quotes` as the matching service answers it (the candidate query, the
// planner three times for cheapest / fastest / balanced, confidence, the quote's event and read model)
// against a network of 10,000 workshops, interleaved with the planner's own figure — the same order
// planned and booked the way an order is (planOrder) — in the same run. Then a held quote (its
// capacity booked softly). Target: quote p99 < 100 ms at 10,000 workshops.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import pg from 'pg';
import type { OrderSubmittedContract } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { MatchingModule } from '../apps/matching/src/matching.module.js';
import { PlanningService } from '../apps/matching/src/plan/planning.service.js';
import { Reservations } from '../apps/matching/src/plan/reservations.js';
import { holdId } from '../apps/matching/src/quote/quote-commands.js';
import { QuoteService } from '../apps/matching/src/quote/quote.service.js';
import { log, machineInfo, median, percentile, printReport, round } from './bench-kit.js';
import { NOW, order, seed } from './planner.bench.js';

const requestOf = (o: OrderSubmittedContract) => {
  const { orderId: _o, brandId: _b, submittedAt: _s, quoteId: _q, ...request } = o;
  return request;
};

export async function quoteBench(args: { quick: boolean; databaseUrl: string }): Promise<void> {
  const size = Number(process.env.QUOTE_BENCH_WORKSHOPS ?? 10_000);
  const samples = Number(process.env.QUOTE_BENCH_SAMPLES ?? (args.quick ? 60 : 300));
  const warmup = args.quick ? 10 : 30;
  const horizonDays = args.quick ? 14 : 28;
  const schemaName = `bench_quote_${randomUUID().slice(0, 8)}`;
  const s = `"${schemaName}"`;
  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 2 });
  let app: INestApplicationContext | undefined;
  const results: Record<string, unknown>[] = [];
  try {
    app = await NestFactory.createApplicationContext(
      MatchingModule.forRoot({
        databaseUrl: args.databaseUrl,
        env: { MESHFAB_MATCHING_SCHEMA: schemaName, MATCHING_EXPIRY_SWEEP_MS: String(24 * 3600_000), MESHFAB_MATCHING_QUOTE_SWEEP_MS: String(24 * 3600_000) },
        clock: () => NOW,
        pool: { poolSize: 6 },
      }),
      { logger: false, abortOnError: false },
    );
    const db = app.get(ServiceDatabase);
    const planning = app.get(PlanningService);
    const quotes = app.get(QuoteService);
    const reservations = app.get(Reservations);
    const seedMs = await seed(pool, s, 1, size, horizonDays);
    log(`quote: ${size} workshops seeded in ${Math.round(seedMs)} ms`);
    const meta = (id: string) => ({ correlationId: id, causationId: 'bench' });
    const planMs: number[] = [];
    const quoteMs: number[] = [];
    const heldMs: number[] = [];
    const options: Record<string, number> = {};
    for (let i = -warmup; i < samples; i++) {
      const o = order(3000 + i, i + warmup, 300, 1);
      const q0 = performance.now();
      const quote = await quotes.quote('b-bench', requestOf(o), undefined, o.orderId);
      const q = performance.now() - q0;
      const h0 = performance.now();
      const held = await quotes.quote('b-bench', requestOf(o), 'cheapest', o.orderId);
      const h = performance.now() - h0;
      // Untimed: the hold goes again, so every sample quotes against the same network fill.
      await db.dataSource.transaction((m) => reservations.release(holdId(held.quoteId), m));
      const p0 = performance.now();
      await db.dataSource.transaction((m) => planning.planOrder(o, m, meta(o.orderId)));
      const p = performance.now() - p0;
      await db.dataSource.transaction((m) => planning.cancelOrder(o.orderId, 'benchmark sample', m, meta(o.orderId)));
      if (i < 0) continue;
      quoteMs.push(q);
      heldMs.push(h);
      planMs.push(p);
      const kinds = quote.options.map((x) => x.kind).join('+');
      options[kinds] = (options[kinds] ?? 0) + 1;
    }
    const row = (label: string, times: number[], extra: Record<string, unknown> = {}) => {
      const r = {
        case: label,
        workshops: size,
        samples,
        p50Ms: round(median(times)),
        p99Ms: round(percentile(times, 99)),
        maxMs: round(Math.max(...times)),
        ...extra,
        reference: round(percentile(planMs, 99)),
        referenceIs: 'p99 ms of planning and booking the same 5-step order (planOrder), interleaved in the same run',
        ratio: round(percentile(times, 99) / percentile(planMs, 99), 2),
        targetP99Ms: 100,
        met: percentile(times, 99) < 100,
      };
      log(JSON.stringify(r));
      results.push(r);
    };
    row(`quote a 5-step order (cheapest, fastest, balanced), ${size} workshops`, quoteMs, { options });
    row(`quote a 5-step order holding the cheapest option's capacity, ${size} workshops`, heldMs);
    results.push({ case: `plan a 5-step order (the planner's own figure), ${size} workshops`, workshops: size, samples, p50Ms: round(median(planMs)), p99Ms: round(percentile(planMs, 99)) });
    printReport({ bench: 'quote', results, machine: machineInfo({ peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1) }) });
  } finally {
    await app?.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
