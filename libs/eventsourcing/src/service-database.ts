import { DataSource, type MigrationInterface } from 'typeorm';
import { eventStoreMigrations } from './event-store.migrations.js';
import { ident } from './sql.js';

export interface ServiceDatabaseOptions {
  /** postgres://… connection string. */
  url: string;
  /** The PostgreSQL schema this service owns. */
  schema: string;
  /** The service's own migrations, run after the event store's. */
  migrations?: (new () => MigrationInterface)[];
  poolSize?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * Opens the service's DataSource and brings its schema up to date with migrations (never
 * `synchronize`). An advisory lock keyed by the schema keeps concurrent replicas from migrating at once.
 */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<DataSource> {
  const schema = ident(options.schema);
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
    extra: { max: options.poolSize ?? 10 },
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
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
    }
  } catch (error) {
    await lock.release();
    await dataSource.destroy();
    throw error;
  }
  await lock.release();
  return dataSource;
}
