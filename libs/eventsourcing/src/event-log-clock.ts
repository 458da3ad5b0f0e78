import type { QueryRunner } from 'typeorm';
import { ident } from './sql.js';

/**
 * SQL for the log transaction id of `xid` (an xid8 of this cluster) under the clock's `shift` (its
 * `xid_shift`): what `events.transaction_id` holds (column default, append, the event log's horizon).
 */
export const logXidSql = (xid: string, shift: string): string => `(${xid}::text::bigint + ${shift})::text::xid8`;

/**
 * Positions in the global order (events, checkpoints) hold transaction ids, and transaction ids belong to
 * one cluster. pg_dump/restore into a fresh cluster keeps the saved ids while the new cluster counts
 * from near zero again: new events would sort before old ones, below every saved checkpoint, and be
 * skipped silently; appends to an old stream would be refused for ever as "late writers".
 *
 * A transaction id below one already in the log can't happen in the cluster that wrote the log, so it
 * is the sign of a new cluster (no privilege needed, unlike the system identifier). At start-up, under
 * the migration lock, this moves the schema's log clock (`event_log_clock.xid_shift`, added to every
 * new `events.transaction_id`) just past the highest saved id. Saved checkpoints then stay valid: every
 * new event sorts after every saved one, and nothing is re-read or skipped. Returns the shift applied
 * now, or null when the clock was already ahead.
 *
 * What it can't see: a process that started before the restore and reconnects to the new cluster without
 * restarting. Restart the services after a restore (see README, "How it scales out").
 */
export async function alignEventLogClock(runner: QueryRunner, schema: string): Promise<bigint | null> {
  const s = ident(schema);
  const rows = (await runner.query(
    `WITH saved AS (SELECT max(transaction_id)::text::numeric AS top FROM ${s}.events),
          now_xid AS (SELECT pg_current_xact_id()::text::numeric AS xid),
          moved AS (
            UPDATE ${s}.event_log_clock c SET xid_shift = (saved.top - now_xid.xid + 1)::bigint, shifted_at = now()
            FROM saved, now_xid
            WHERE saved.top IS NOT NULL AND now_xid.xid + c.xid_shift <= saved.top
            RETURNING c.xid_shift::text AS xid_shift
          )
     SELECT xid_shift FROM moved`,
  )) as { xid_shift: string }[];
  return rows.length === 0 ? null : BigInt(rows[0].xid_shift);
}
