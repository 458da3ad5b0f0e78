import type { DataSource, EntityManager } from 'typeorm';
import { ident } from './sql.js';

/** `handled: false`: the event was handled before (a redelivery), or, asked to, its stream is parked (nothing ran). */
export type InboxOutcome<T> = { handled: true; result: T } | { handled: false; parked?: true };

export interface InboxOptions {
  /** Run nothing if the consumer has this stream parked (an earlier event waits for the operator, dead-letters.ts). */
  unlessParked?: string;
}

/** One event of a batch handled in one inbox transaction (`Inbox.handleBatch`). */
export interface InboxBatchEvent {
  eventId: string;
  /** As `InboxOptions.unlessParked`: this stream parked for the consumer, the whole batch is given up. */
  unlessParked?: string;
}

/**
 * `committed`: the batch's transaction committed; `fresh[i]`: the i-th event was new and its effect ran
 * (otherwise it was handled before, a redelivery). Not committed: nothing of it stayed, because an event's
 * stream is parked or a concurrent delivery recorded one of the events first; the caller handles the
 * events one by one instead.
 */
export type InboxBatchOutcome = { committed: true; fresh: boolean[] } | { committed: false; why: 'parked' | 'handled concurrently' };

/** Thrown inside the inbox transaction when a concurrent delivery of the same event committed first. */
class HandledConcurrently extends Error {}

/** Thrown inside a batch's transaction to roll it back when one of its streams is parked. */
class StreamParked extends Error {}

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
 *
 * `handleBatch` does the same for several events in one transaction (one commit instead of one per
 * event), with the same guarantees per event; see there for why the order of the log stays intact.
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

  /**
   * Several events in ONE transaction: each claimed as `handleOnce` claims one (its advisory lock, the
   * parked-stream check, the duplicate check: `inbox_claim` called once per event in one statement, in
   * the order of the event ids, so that two deliveries of overlapping batches take their locks in one
   * order and never deadlock on them; a VOLATILE function reads a fresh snapshot for each query, so each check sees what was
   * committed before its lock was granted), then `effect` runs the effects of the new ones in order on the
   * one EntityManager, then every new id is recorded by one multi-row INSERT, then one COMMIT. A parked
   * stream, an event recorded concurrently (fewer rows inserted than claimed), an effect that throws, or a
   * failed commit leaves nothing of the batch: not committed, or the error is thrown. An event id twice in
   * `events` is refused (the caller keeps one copy).
   *
   * Why the event log's order still holds with one transaction id for several effects. PostgreSQL hands
   * the transaction its id at its first write: the first new event's effect (after that effect's locks), so
   * the later effects' appends carry an id from before they waited for their own locks — exactly the late
   * writer that the inbox row is written last to avoid (see above). Two cases, neither loses an event:
   * - A later effect appends to a stream that another transaction appended to and committed after this
   *   batch's first write. Its id is younger than this batch's, so the event store refuses the append
   *   (ConcurrencyError, `late`): the batch rolls back, and the caller handles each event in a transaction
   *   of its own, whose first write is its effect's (the per-event path, which retries conflicts). Never
   *   does the log show that stream's version n+1 before version n.
   * - A reader of the log never skips what the batch appends: while the batch runs, its id is one of the
   *   running transaction ids, so the log's horizon (event-log.ts) stays at or below it and no reader moves
   *   past any event with an id at or above it until the batch has committed or rolled back. Events of the
   *   same transaction sort by their position, i.e. in the order the effects appended them. The batch only
   *   holds that horizon longer than one event's transaction would, which is why batches are kept small.
   */
  async handleBatch(consumer: string, events: readonly InboxBatchEvent[], effect: (manager: EntityManager, fresh: boolean[]) => Promise<void>): Promise<InboxBatchOutcome> {
    if (new Set(events.map((e) => e.eventId)).size !== events.length) throw new Error('Inbox.handleBatch: an event id appears twice in one batch');
    try {
      return await this.dataSource.transaction(async (manager) => {
        const claims: { ord: string; claim: 'new' | 'handled' | 'parked' }[] = await manager.query(
          `SELECT c.ord, ${this.claimFunction}(c.lock_key, $1, c.event_id, c.parked) AS claim
           FROM (SELECT * FROM unnest($2::text[], $3::uuid[], $4::text[]) WITH ORDINALITY AS u(lock_key, event_id, parked, ord) ORDER BY u.event_id) c`,
          [
            consumer,
            events.map((e) => `meshfab-inbox:${this.schema}:${consumer}:${e.eventId}`),
            events.map((e) => e.eventId),
            events.map((e) => e.unlessParked ?? null),
          ],
        );
        const claimOf = new Map(claims.map((c) => [Number(c.ord) - 1, c.claim]));
        if (claims.some((c) => c.claim === 'parked')) throw new StreamParked();
        const fresh = events.map((_, i) => claimOf.get(i) === 'new');
        await effect(manager, fresh);
        const freshIds = events.filter((_, i) => fresh[i]).map((e) => e.eventId);
        if (freshIds.length > 0) {
          const inserted: unknown[] = await manager.query(
            `INSERT INTO ${this.table} (consumer, event_id) SELECT $1, id FROM unnest($2::uuid[]) AS id ON CONFLICT DO NOTHING RETURNING event_id`,
            [consumer, freshIds],
          );
          if (inserted.length !== freshIds.length) throw new HandledConcurrently();
        }
        return { committed: true, fresh } as const;
      });
    } catch (error) {
      if (error instanceof HandledConcurrently) return { committed: false, why: 'handled concurrently' };
      if (error instanceof StreamParked) return { committed: false, why: 'parked' };
      throw error;
    }
  }

  async wasHandled(consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.table} WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return rows.length > 0;
  }
}
