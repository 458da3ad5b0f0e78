import type { DataSource, EntityManager } from 'typeorm';
import { EVENT_COLUMNS, rowToEvent, type EventRow } from './event-store.js';
import { ident } from './sql.js';
import type { GlobalPosition, StoredEvent } from './stored-event.js';
import { Upcasters } from './upcasting.js';

/**
 * A service's events in global, gap-free commit order, for subscribers (outbox relay, embedded
 * transport, projections). Ordered by (transaction id, position); only transactions older than the
 * oldest one still running are read, so an event that commits late is read later, never skipped.
 */
export class EventLog {
  private readonly readSql: string;
  private readonly readAllSql: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
    private readonly upcasters: Upcasters = new Upcasters(),
  ) {
    const table = `${ident(schema)}.events`;
    // The select list turns transaction_id into text; ORDER BY and WHERE use the table's xid8 column
    // (qualified with the alias `e`), so the order is numeric, never textual.
    const after = `(e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)`;
    this.readSql = `SELECT ${EVENT_COLUMNS} FROM ${table} e
      WHERE ${after} AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY e.transaction_id, e.global_position LIMIT $3`;
    this.readAllSql = `SELECT ${EVENT_COLUMNS} FROM ${table} e WHERE ${after}
      ORDER BY e.transaction_id, e.global_position LIMIT $3`;
  }

  /** Up to `limit` committed events after `position`, in global order, none skipped. */
  async readAfter(position: GlobalPosition, limit: number, manager?: EntityManager): Promise<StoredEvent[]> {
    const rows: EventRow[] = await (manager ?? this.dataSource).query(this.readSql, [position.transactionId, position.position, limit]);
    return rows.map((row) => rowToEvent(row, this.upcasters));
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
