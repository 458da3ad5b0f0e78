import type { DataSource, EntityManager } from 'typeorm';
import { logXidSql } from './event-log-clock.js';
import { EVENT_COLUMNS, rowToEvent, type EventRow } from './event-store.js';
import { ident, queryRows } from './sql.js';
import { compareGlobalPositions, type GlobalPosition, type StoredEvent } from './stored-event.js';
import { Upcasters } from './upcasting.js';

/**
 * A service's events in global, gap-free commit order, for subscribers (outbox relay, embedded
 * transport, projections). Ordered by (log transaction id, position): the writer's xid8 (plus the log
 * clock's shift, see event-log-clock.ts), then the identity. Each stream's versions sort in that order as
 * they do in the stream, because the event store refuses a late writer (see event-store.ts).
 *
 * A read stops at a horizon below which no transaction can still commit an event: the oldest transaction
 * id still running *in this database*. Taking the cluster's oldest (`pg_snapshot_xmin`) would be as safe
 * but lets any transaction of any database stop every service's delivery for as long as it stays open.
 * One statement does it all, with one snapshot S:
 * - if an event after the position that S sees, below S's xmax, is at or above S's xmin (something
 *   older still runs; an index probe), the horizon is the smallest id S saw running that is not known
 *   to be another database's (pg_locks: every transaction holds a lock on its own id; pg_stat_activity /
 *   pg_prepared_xacts: its database), else S's xmax. An id whose owner can't be found (it ended after S,
 *   or has not yet taken its lock) counts as ours: it holds the horizon for one poll, never lets an
 *   event through early. Every event below S's xmin is below the horizon, so the probe looking past the
 *   next `limit` events changes no read;
 * - the next `limit` events after the position below the horizon, in global order (an index scan), and
 *   whether S saw events at or above the horizon (held back: read again soon).
 * Why that can't skip: an event with id x below the horizon that S doesn't see was written by a
 * transaction running at S (ids not yet handed out at S are ≥ xmax), hence in S's running list, hence in
 * another database — and a transaction can't write another database's tables.
 */
export class EventLog {
  private readonly readSql: string;
  private readonly readAllSql: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
    private readonly upcasters: Upcasters = new Upcasters(),
  ) {
    const s = ident(schema);
    const table = `${s}.events`;
    // The select list turns transaction_id into text; ORDER BY and WHERE use the table's xid8 column,
    // so the order is numeric, never textual. `logXid` turns one of this cluster's ids into the log's.
    // `clock` is one row without a FROM so that the planner estimates one row (a table scan there is
    // estimated at ~2000 rows, which inflates the plan's cost enough to switch JIT on: +25 ms a read).
    const after = `(e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)`;
    const logXid = (xid: string) => logXidSql(xid, 'clock.shift');
    const xid32 = (xid: string) => `(${xid}::text::bigint % 4294967296)::text`;
    // `from(lower)`: events after the position from the log id `lower` on, as an index probe. Its
    // scalar lower bound starts the index scan; the position is a filter, written so that PostgreSQL
    // does not take it as the scan's start (a row comparison there made the probe walk the whole index).
    const from = (lower: string) =>
      `${table} e WHERE e.transaction_id >= greatest(${lower}, $1::text::xid8)
         AND (e.transaction_id > $1::text::xid8 OR (e.transaction_id = $1::text::xid8 AND e.global_position > $2::bigint))`;
    this.readSql = `
      WITH clock AS MATERIALIZED (
        SELECT c.snap, c.shift, ${logXidSql('pg_snapshot_xmin(c.snap)', 'c.shift')} AS xmin, ${logXidSql('pg_snapshot_xmax(c.snap)', 'c.shift')} AS xmax
        FROM (SELECT pg_current_snapshot() AS snap, (SELECT xid_shift FROM ${s}.event_log_clock) AS shift) c
      ),
      elsewhere AS MATERIALIZED (
        SELECT l.transactionid::text AS xid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
          AND a.datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database())
        UNION ALL
        SELECT p.transaction::text FROM pg_prepared_xacts p WHERE p.database <> current_database()
      ),
      horizon AS MATERIALIZED (
        SELECT clock.xmax, CASE
          WHEN NOT EXISTS (SELECT 1 FROM ${from('(SELECT xmin FROM clock)')} AND e.transaction_id < (SELECT xmax FROM clock)) THEN NULL
          ELSE (SELECT ${logXid('coalesce(min(x), pg_snapshot_xmax(clock.snap))')} FROM pg_snapshot_xip(clock.snap) AS x
                WHERE NOT EXISTS (SELECT 1 FROM elsewhere WHERE elsewhere.xid = ${xid32('x')}))
        END AS bound
        FROM clock
      ),
      h AS MATERIALIZED (
        SELECT coalesce(bound, xmax) AS below,
          bound IS NOT NULL AND EXISTS (SELECT 1 FROM ${from('(SELECT bound FROM horizon)')} AND e.transaction_id < (SELECT xmax FROM horizon)) AS held_back
        FROM horizon
      )
      SELECT ${EVENT_COLUMNS}, h.held_back
      FROM h LEFT JOIN LATERAL (
        SELECT * FROM ${table} e WHERE ${after} AND e.transaction_id < h.below
        ORDER BY e.transaction_id, e.global_position LIMIT $3
      ) e ON true`;
    this.readAllSql = `SELECT ${EVENT_COLUMNS} FROM ${table} e WHERE ${after}
      ORDER BY e.transaction_id, e.global_position LIMIT $3`;
  }

  /** Up to `limit` committed events after `position`, in global order, none skipped. */
  async readAfter(position: GlobalPosition, limit: number, manager?: EntityManager): Promise<StoredEvent[]> {
    return (await this.readUpToHorizon(position, limit, manager)).events;
  }

  /**
   * As readAfter, and whether the horizon held committed events back (an older transaction still runs):
   * a reader then knows to read again soon, while after a read that held nothing back only a new commit
   * brings new events. The statement always returns a row: a single row without an event when none passed.
   */
  async readUpToHorizon(position: GlobalPosition, limit: number, manager?: EntityManager): Promise<{ events: StoredEvent[]; heldBack: boolean }> {
    const params = [position.transactionId, position.position, limit];
    const rows = await queryRows<EventRow & { held_back: boolean }>(this.dataSource, manager, this.readSql, params);
    const events = rows.filter((row) => row.event_id !== null).map((row) => rowToEvent(row, this.upcasters));
    if (!inGlobalOrder(events)) events.sort(compareGlobalOrder);
    return { events, heldBack: rows[0]?.held_back === true };
  }

  /**
   * Everything visible to `manager`'s snapshot after `position` (no xmin bound): for rebuilding a read
   * model inside a transaction that holds the events table locked against writers.
   */
  async readVisibleAfter(position: GlobalPosition, limit: number, manager: EntityManager): Promise<StoredEvent[]> {
    const rows: EventRow[] = await manager.query(this.readAllSql, [position.transactionId, position.position, limit]);
    return rows.map((row) => rowToEvent(row, this.upcasters));
  }
}

function compareGlobalOrder(a: StoredEvent, b: StoredEvent): number {
  return compareGlobalPositions(a.globalPosition, b.globalPosition);
}

function inGlobalOrder(events: readonly StoredEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (compareGlobalOrder(events[i - 1], events[i]) > 0) return false;
  return true;
}
