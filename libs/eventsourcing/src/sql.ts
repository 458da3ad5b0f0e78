import type pg from 'pg';
import type { DataSource } from 'typeorm';

/** Quotes a PostgreSQL identifier (schema names come from configuration, never from requests). */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid schema name: ${name}`);
  return `"${name}"`;
}

const PG_UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.driverError?.code ?? e?.code;
  const name = e?.driverError?.constraint ?? e?.constraint;
  return code === PG_UNIQUE_VIOLATION && (constraint === undefined || name === constraint);
}

/**
 * The pg pool behind a DataSource (TypeORM's PostgreSQL driver keeps it as `master`): the hot paths
 * (an append, a read of the log) go to it with named, server-side prepared statements.
 */
export function poolOf(dataSource: DataSource): pg.Pool {
  return (dataSource.driver as unknown as { master: pg.Pool }).master;
}
