import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ServiceDatabase, ident } from '#libs/eventsourcing';
import { SHARED_RATE_LIMIT_STORE, type RateLimit, type SharedGrant, type SharedRateLimitStore } from '#libs/platform';

/** Something that runs a query: a TypeORM DataSource, an EntityManager. */
interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** How often a store deletes the buckets that are full again (a full bucket is the same as none). */
const PRUNE_EVERY_MS = 60_000;

/**
 * The rate limit budgets of a service in its own PostgreSQL (`<schema>.rate_limit_buckets`), so every instance
 * of the service draws from the same one: GCRA, one row per key holding its theoretical arrival time (`tat_ms`).
 * A call for `wanted` tokens is ONE upsert statement: it grants as many as the bucket holds (at most `wanted`)
 * and moves the arrival time by that many intervals, under the row's lock, on the database's clock (instances'
 * clocks may differ; the database's is one). Rows whose bucket is full again are deleted now and then.
 */
export class PostgresRateLimitStore implements SharedRateLimitStore {
  private readonly table: string;
  private lastPrune = 0;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.table = `${ident(schema)}.rate_limit_buckets`;
  }

  async take(key: string, limit: RateLimit, wanted: number): Promise<SharedGrant> {
    const intervalMs = 1000 / limit.perSecond;
    // $2 wanted, $3 the interval between tokens (ms), $4 the burst. The bucket holds
    // floor((now + burst·interval − max(tat, now)) / interval) tokens (the 1e-9 absorbs float rounding).
    const available = `GREATEST(0, FLOOR((EXCLUDED.at_ms + $4::int * $3::float8 - GREATEST(b.tat_ms, EXCLUDED.at_ms)) / $3::float8 + 1e-9))`;
    const rows = (await this.db.query(
      `INSERT INTO ${this.table} AS b (key, tat_ms, at_ms, granted)
       SELECT $1, now.ms + LEAST($2::int, $4::int) * $3::float8, now.ms, LEAST($2::int, $4::int)
         FROM (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms) now
       ON CONFLICT (key) DO UPDATE SET
         granted = LEAST($2::int, ${available}),
         tat_ms = GREATEST(b.tat_ms, EXCLUDED.at_ms) + LEAST($2::int, ${available}) * $3::float8,
         at_ms = EXCLUDED.at_ms
       RETURNING granted, tat_ms, at_ms`,
      [key, wanted, intervalMs, limit.burst],
    )) as Array<{ granted: number; tat_ms: number; at_ms: number }>;
    const row = rows[0];
    if (!row) throw new Error('the rate limit upsert returned no row');
    this.pruneNowAndThen();
    // No token: one is back when now + burst·interval − tat ≥ interval.
    const retryAfterMs = row.granted >= 1 ? 0 : Math.max(1, row.tat_ms - (limit.burst - 1) * intervalMs - row.at_ms);
    return { granted: row.granted, retryAfterMs };
  }

  /** Deletes the buckets that are full again (their arrival time is past), at most once a minute, in the background. */
  private pruneNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.db.query(`DELETE FROM ${this.table} WHERE tat_ms < extract(epoch FROM clock_timestamp()) * 1000`).catch(() => undefined);
  }
}

/**
 * Provides {@link SHARED_RATE_LIMIT_STORE} on the database of the hosted service with schema `schema`: the
 * RateLimitMiddleware of the host then shares its budgets with every other instance of that service.
 */
export function sharedRateLimitModule(schema: string): DynamicModule {
  @Injectable()
  class ServiceRateLimitStore implements SharedRateLimitStore {
    private store?: PostgresRateLimitStore;
    constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

    take(key: string, limit: RateLimit, wanted: number): Promise<SharedGrant> {
      if (!this.store) {
        const database = this.moduleRef.get(ServiceDatabase, { strict: false, each: true }).find((db) => db.schema === schema);
        if (!database) throw new Error(`no database with schema ${schema} for the shared rate limit`);
        this.store = new PostgresRateLimitStore(database.dataSource, schema);
      }
      return this.store.take(key, limit, wanted);
    }
  }

  @Module({})
  class SharedRateLimitModule {}

  return {
    module: SharedRateLimitModule,
    providers: [ServiceRateLimitStore, { provide: SHARED_RATE_LIMIT_STORE, useExisting: ServiceRateLimitStore }],
    exports: [SHARED_RATE_LIMIT_STORE],
  };
}
