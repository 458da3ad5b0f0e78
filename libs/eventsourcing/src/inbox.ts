import type { DataSource, EntityManager } from 'typeorm';
import { ident } from './sql.js';

/** `handled: false`: the event was handled before (a redelivery), or, asked to, its stream is parked (nothing ran). */
export type InboxOutcome<T> = { handled: true; result: T } | { handled: false; parked?: true };

export interface InboxOptions {
  /** Run nothing if the consumer has this stream parked (an earlier event waits for the operator, dead-letters.ts). */
  unlessParked?: string;
}

/** Thrown inside the inbox transaction when a concurrent delivery of the same event committed first. */
class HandledConcurrently extends Error {}

/**
 * Consumer-side deduplication: the handled event id is recorded in the same transaction as the
 * consumer's effect, so a redelivered event changes nothing. Two deliveries racing each other
 * serialise on an advisory lock of the event id; the second finds the id recorded and does nothing.
 *
 * The id is recorded after the effect, not before: PostgreSQL gives a transaction its id at its first
 * write, and the event log orders events by that id (event-log.ts). Written first, the inbox row would
 * give every consumer transaction an id from before it waited for its locks (settlement's brand lock,
 * say), and the event store refuses such a late writer when the stream it appends to was changed
 * meanwhile (event-store.ts): a busy stream would refuse it again on every retry. Recorded last, the
 * transaction's first write is its effect's own, made after its locks.
 *
 * The lock and the checks are one round trip (the schema's `inbox_claim`, event-store.migrations.ts).
 */
export class Inbox {
  private readonly table: string;
  private readonly claimFunction: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${ident(schema)}.inbox`;
    this.claimFunction = `${ident(schema)}.inbox_claim`;
  }

  async handleOnce<T>(consumer: string, eventId: string, effect: (manager: EntityManager) => Promise<T>, options: InboxOptions = {}): Promise<InboxOutcome<T>> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        // Deliveries of the same event wait for each other on its advisory lock (which takes no
        // transaction id), so the effect runs once: the one that waited then finds the id recorded.
        const [{ claim }]: { claim: 'new' | 'handled' | 'parked' }[] = await manager.query(`SELECT ${this.claimFunction}($1, $2, $3, $4) AS claim`, [
          `meshfab-inbox:${this.schema}:${consumer}:${eventId}`,
          consumer,
          eventId,
          options.unlessParked ?? null,
        ]);
        if (claim === 'parked') return { handled: false, parked: true } as const;
        if (claim === 'handled') return { handled: false } as const;
        const result = await effect(manager);
        // The primary key stays the last word: should a delivery get past the lock (another writer of
        // the inbox), the one that commits second rolls its effect back.
        const inserted: unknown[] = await manager.query(
          `INSERT INTO ${this.table} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
          [consumer, eventId],
        );
        if (inserted.length === 0) throw new HandledConcurrently();
        return { handled: true, result } as const;
      });
    } catch (error) {
      if (error instanceof HandledConcurrently) return { handled: false };
      throw error;
    }
  }

  async wasHandled(consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.table} WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return rows.length > 0;
  }
}
