import type { DataSource } from 'typeorm';
import { ident } from './sql.js';

/**
 * How long a service keeps the rows that only guard against repeats (days and hours; 0 = for ever):
 *
 * - `idempotency_keys`: the kept answers of `Idempotency-Key` requests. After this, the same key is a new
 *   request: clients retry within minutes, and a week covers an outage. Default 7 days.
 * - `inbox`: the ids of events a consumer has applied, so a redelivery changes nothing. A Kafka
 *   redelivery comes within seconds (offsets are committed after the effect); a rebuild from a producer's
 *   feed starts from the consumer's own checkpoint. Default 30 days.
 * - `dead_letters`: letters resolved (replayed or discarded) or dead, once published to the dead-letter
 *   topic; a parked or held letter is never pruned (it stops its stream until an operator resolves it).
 *   Default 90 days.
 */
export interface RetentionPolicy {
  idempotencyKeyHours: number;
  inboxDays: number;
  deadLetterDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { idempotencyKeyHours: 7 * 24, inboxDays: 30, deadLetterDays: 90 };

export type PrunedRows = Record<'idempotency_keys' | 'inbox' | 'dead_letters', number>;

/** Rows deleted per statement: a long prune never holds a big lock or a long transaction. */
const BATCH = 5_000;

/**
 * Deletes what the policy no longer keeps from one service's schema, in batches. Safe to run from every
 * instance at once (an advisory lock lets one prune a schema at a time; the others skip the round).
 */
export async function pruneExpired(dataSource: DataSource, schema: string, policy: RetentionPolicy, now: Date = new Date()): Promise<PrunedRows | undefined> {
  const s = ident(schema);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const lockRows = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`${schema}:retention`])) as { locked: boolean }[];
    const locked = lockRows[0]?.locked === true;
    if (!locked) return undefined;
    try {
      const pruned: PrunedRows = { idempotency_keys: 0, inbox: 0, dead_letters: 0 };
      const before = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
      const rounds: [keyof PrunedRows, number, string][] = [
        ['idempotency_keys', policy.idempotencyKeyHours, `DELETE FROM ${s}.idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${s}.idempotency_keys WHERE created_at < $1 LIMIT ${BATCH}))`],
        ['inbox', policy.inboxDays * 24, `DELETE FROM ${s}.inbox WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${s}.inbox WHERE handled_at < $1 LIMIT ${BATCH}))`],
        [
          'dead_letters',
          policy.deadLetterDays * 24,
          `DELETE FROM ${s}.dead_letters WHERE id = ANY (ARRAY(SELECT id FROM ${s}.dead_letters
             WHERE COALESCE(resolved_at, failed_at) < $1 AND status IN ('dead', 'replayed', 'discarded') AND published_at IS NOT NULL LIMIT ${BATCH}))`,
        ],
      ];
      for (const [table, hours, sql] of rounds) {
        if (!(hours > 0)) continue;
        for (;;) {
          const result = (await runner.query(sql, [before(hours)])) as [unknown[], number];
          const deleted = result[1];
          pruned[table] += deleted;
          if (deleted < BATCH) break;
        }
      }
      return pruned;
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}:retention`]);
    }
  } finally {
    await runner.release();
  }
}
