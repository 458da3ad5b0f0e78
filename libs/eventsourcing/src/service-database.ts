import { Logger } from '@nestjs/common';
import { DataSource, type MigrationInterface } from 'typeorm';
import { alignEventLogClock } from './event-log-clock.js';
import { eventStoreMigrations } from './event-store.migrations.js';
import { autoPreparePool } from './auto-prepare.js';
import { ident, poolOf } from './sql.js';

export interface ServiceDatabaseOptions {
  /** postgres://… connection string. */
  url: string;
  /** The PostgreSQL schema this service owns. */
  schema: string;
  /** The service's own migrations, run after the event store's. */
  migrations?: (new () => MigrationInterface)[];
  /** Connections of the pool (default 10, at least 2). */
  poolSize?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * How long getting a connection may take (a new one, or a free one of a busy pool) before the query
   * fails; default 3000 ms. This is what turns a PostgreSQL that refuses or blackholes into a quick
   * 503 instead of a request that hangs.
   */
  connectTimeoutMs?: number;
  /**
   * How long one statement may run: the server cancels it (statement_timeout) and the client gives up
   * on a server that stopped answering a little later; default 30000 ms.
   */
  statementTimeoutMs?: number;
  /**
   * How long a session of the service may sit idle inside a transaction before the server ends it
   * (idle_in_transaction_session_timeout); default 30000 ms. Every subscriber of this database waits
   * for its oldest running transaction (see event-log.ts), so this bounds what a stuck one costs them.
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * Prepare the statements the service repeats on the server (auto-prepare.ts); default true. Off behind a
   * connection pooler in transaction mode, where a prepared statement would not follow the session.
   */
  autoPrepare?: boolean;
}

/** How a service's connection pool behaves: its size and how long a connection or a statement may take. */
export type DatabasePoolOptions = Pick<ServiceDatabaseOptions, 'poolSize' | 'connectTimeoutMs' | 'statementTimeoutMs' | 'idleInTransactionTimeoutMs' | 'autoPrepare'>;

export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30000;
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 30000;

/** The node-postgres pool settings of a service's DataSource (TypeORM passes `extra` to pg.Pool). */
export function poolSettings(options: DatabasePoolOptions): Record<string, unknown> {
  const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  return {
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: statementTimeout,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    // Client side, for a server that went silent (statement_timeout needs a server that still answers).
    query_timeout: statementTimeout + 5000,
  };
}

/**
 * Opens the service's DataSource and brings its schema up to date with migrations (never
 * `synchronize`). An advisory lock keyed by the schema keeps concurrent replicas from migrating at once.
 */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<DataSource> {
  const schema = ident(options.schema);
  if (options.poolSize !== undefined && options.poolSize < 2) {
    // One connection holds the migration lock below while the migrations run on another.
    throw new Error(`${options.schema}: a service's pool needs at least 2 connections (poolSize ${options.poolSize})`);
  }
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    applicationName: options.applicationName ?? `meshfab-${options.schema}`,
    migrations: [...eventStoreMigrations(options.schema), ...(options.migrations ?? [])],
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    entities: [],
    extra: poolSettings(options),
  });
  await dataSource.initialize();
  const lockKey = `meshfab-migrate:${options.schema}`;
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    try {
      await lock.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await dataSource.runMigrations({ transaction: 'each' });
      const shift = await alignEventLogClock(lock, options.schema);
      if (shift !== null) {
        new Logger('ServiceDatabase').warn(
          `${options.schema}: the event log holds transaction ids above this cluster's (restored from another cluster?); new events are numbered from ${shift} higher so none sorts before a saved one`,
        );
      }
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
    }
  } catch (error) {
    await lock.release();
    await dataSource.destroy();
    throw error;
  }
  await lock.release();
  // After the migrations: what is counted and prepared from here on is the service's own work.
  if (options.autoPrepare !== false) autoPreparePool(poolOf(dataSource));
  return dataSource;
}
