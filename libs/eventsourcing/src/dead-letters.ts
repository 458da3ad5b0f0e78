import type { DataSource, EntityManager } from 'typeorm';
import { ident } from './sql.js';

/**
 * - `dead`: given up on after its retries; later events of its stream carried on.
 * - `parked`: given up on by a consumer whose effects must not skip: its stream waits for the operator.
 * - `held`: a later event of a parked stream, kept here (in arrival order) until the parked one is resolved.
 * - `replayed` / `discarded`: resolved by an operator (or, for a held event, handled once its stream moved on).
 */
export type DeadLetterStatus = 'dead' | 'parked' | 'held' | 'replayed' | 'discarded';

export interface DeadLetter {
  id: string;
  consumer: string;
  /** Where the message came from: a topic or a producing service's log. */
  source: string;
  eventId: string | null;
  type: string | null;
  streamId: string | null;
  payload: unknown;
  reason: string;
  attempts: number;
  failedAt: string;
  status: DeadLetterStatus;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

/** A stream a consumer stopped applying, and how many of its events wait behind the parked one. */
export interface ParkedStream {
  consumer: string;
  streamId: string;
  parkedLetterId: string;
  reason: string;
  parkedAt: string;
  heldEvents: number;
}

interface DeadLetterRow {
  id: string;
  consumer: string;
  source: string;
  event_id: string | null;
  type: string | null;
  stream_id: string | null;
  payload: unknown;
  reason: string;
  attempts: number;
  failed_at: Date;
  status: DeadLetterStatus;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
}

const toLetter = (r: DeadLetterRow): DeadLetter => ({
  id: String(r.id),
  consumer: r.consumer,
  source: r.source,
  eventId: r.event_id,
  type: r.type,
  streamId: r.stream_id,
  payload: r.payload,
  reason: r.reason,
  attempts: r.attempts,
  failedAt: r.failed_at.toISOString(),
  status: r.status,
  resolvedAt: r.resolved_at?.toISOString() ?? null,
  resolvedBy: r.resolved_by,
  resolution: r.resolution,
});

export type NewDeadLetter = Pick<DeadLetter, 'consumer' | 'source' | 'eventId' | 'type' | 'streamId' | 'payload' | 'reason' | 'attempts'> & {
  status: Extract<DeadLetterStatus, 'dead' | 'parked' | 'held'>;
};

/**
 * Messages a consumer gave up on after its retries, and the later events of the streams it parked, kept
 * for the operator to see, replay or discard. The table is also the outbox of the consumer's dead-letter
 * topic: a `dead` or `parked` letter is published from here (`unpublished` / `markPublished`) until the
 * broker took it, so the row and the publication never disagree for good.
 */
export class DeadLetters {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${ident(schema)}.dead_letters`;
  }

  async record(letter: NewDeadLetter): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.table} (consumer, source, event_id, type, stream_id, payload, reason, attempts, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [letter.consumer, letter.source, letter.eventId, letter.type, letter.streamId, JSON.stringify(letter.payload ?? null), letter.reason, letter.attempts, letter.status],
    );
  }

  async list(limit = 100): Promise<DeadLetter[]> {
    const rows: DeadLetterRow[] = await this.dataSource.query(`SELECT * FROM ${this.table} ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.map(toLetter);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const rows: DeadLetterRow[] = await this.dataSource.query(`SELECT * FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] ? toLetter(rows[0]) : undefined;
  }

  /**
   * Records `letter` as held when its consumer parked its stream (a letter of the stream is parked or
   * held); whether it did. Runs for every event of a consumer that parks, so the common case (not
   * parked) is one index lookup that ships no payload; the letter is written only behind a parked one.
   */
  async holdIfParked(letter: Omit<NewDeadLetter, 'status'>): Promise<boolean> {
    const parked: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM ${this.table} WHERE consumer = $1 AND stream_id = $2 AND status IN ('parked', 'held') LIMIT 1`,
      [letter.consumer, letter.streamId],
    );
    if (parked.length === 0) return false;
    await this.record({ ...letter, status: 'held' });
    return true;
  }

  /** The letters of a parked stream still waiting, oldest first (the parked one, then the held ones). */
  async waiting(consumer: string, streamId: string): Promise<DeadLetter[]> {
    const rows: DeadLetterRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.table} WHERE consumer = $1 AND stream_id = $2 AND status IN ('parked', 'held') ORDER BY id`,
      [consumer, streamId],
    );
    return rows.map(toLetter);
  }

  async parkedStreams(limit = 100): Promise<ParkedStream[]> {
    const rows: { consumer: string; stream_id: string; id: string; reason: string; failed_at: Date; held: number }[] = await this.dataSource.query(
      `SELECT p.consumer, p.stream_id, p.id, p.reason, p.failed_at,
              (SELECT count(*)::int FROM ${this.table} h WHERE h.consumer = p.consumer AND h.stream_id = p.stream_id AND h.status = 'held') AS held
       FROM ${this.table} p WHERE p.status = 'parked' ORDER BY p.id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ consumer: r.consumer, streamId: r.stream_id, parkedLetterId: String(r.id), reason: r.reason, parkedAt: r.failed_at.toISOString(), heldEvents: r.held }));
  }

  /** Marks a waiting letter resolved, only if it still waits (a concurrent resolution wins once). */
  async resolve(id: string, status: 'replayed' | 'discarded', by: string, resolution: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE ${this.table} SET status = $2, resolved_at = now(), resolved_by = $3, resolution = $4
       WHERE id = $1 AND status IN ('dead', 'parked', 'held') RETURNING id`,
      [id, status, by, resolution],
    );
    return rows.length > 0;
  }

  /**
   * Turns a held letter into the parked one of its stream (its own handling failed after the stream moved
   * on; published to the dead-letter topic like any new letter), or records why a parked letter's replay
   * failed again (`republish: false`: it is on the topic already).
   */
  async park(id: string, reason: string, attempts: number, republish = true): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.table} SET status = 'parked', reason = $2, attempts = $3, failed_at = now(),
         published_at = CASE WHEN $4 THEN NULL ELSE published_at END WHERE id = $1`,
      [id, reason, attempts, republish],
    );
  }

  /** Letters not yet published to the dead-letter topic, locked for this publisher (others skip them). */
  async unpublished(manager: EntityManager, limit = 100): Promise<DeadLetter[]> {
    const rows: DeadLetterRow[] = await manager.query(
      `SELECT * FROM ${this.table} WHERE published_at IS NULL AND status IN ('dead', 'parked') ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map(toLetter);
  }

  async markPublished(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await manager.query(`UPDATE ${this.table} SET published_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
  }
}
