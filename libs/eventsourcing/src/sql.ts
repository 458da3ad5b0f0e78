import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/** Quotes a PostgreSQL identifier (schema names come from configuration, never from requests). */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid schema name: ${name}`);
  return `"${name}"`;
}

const PG_UNIQUE_VIOLATION = '23505';

/** PostgreSQL's error fields, from pg's error or from TypeORM's QueryFailedError around it. */
export function pgErrorOf(error: unknown): { code?: string; constraint?: string; detail?: string } {
  const e = error as { code?: string; constraint?: string; detail?: string; driverError?: { code?: string; constraint?: string; detail?: string } } | undefined;
  return { code: e?.driverError?.code ?? e?.code, constraint: e?.driverError?.constraint ?? e?.constraint, detail: e?.driverError?.detail ?? e?.detail };
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const { code, constraint: name } = pgErrorOf(error);
  return code === PG_UNIQUE_VIOLATION && (constraint === undefined || name === constraint);
}

/**
 * The pg pool behind a DataSource (TypeORM's PostgreSQL driver keeps it as `master`): the hot paths
 * (an append, a read of the log) go to it with named, server-side prepared statements.
 */
export function poolOf(dataSource: DataSource): pg.Pool {
  return (dataSource.driver as unknown as { master: pg.Pool }).master;
}

/**
 * The rows of one statement: on the connection of `manager`'s query runner (the caller's transaction), or,
 * for a manager without one or none, straight on the pool as a statement of its own (one round trip,
 * without TypeORM's runner). Either way prepared on the connection when repeated (auto-prepare.ts).
 */
export async function queryRows<T extends pg.QueryResultRow>(dataSource: DataSource, manager: EntityManager | undefined, sql: string, params: unknown[]): Promise<T[]> {
  if (manager?.queryRunner) return manager.query(sql, params);
  return (await poolOf(dataSource).query<T>(sql, params)).rows;
}
