import type { DataSource } from 'typeorm';
import { ident } from './sql.js';

export interface DeadLetter {
  id: string;
  consumer: string;
  /** Where the message came from: a topic or a producing service's log. */
  source: string;
  eventId: string | null;
  type: string | null;
  payload: unknown;
  reason: string;
  attempts: number;
  failedAt: string;
}

/** Messages a consumer gave up on after its retries, kept for the operator to see and replay. */
export class DeadLetters {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${ident(schema)}.dead_letters`;
  }

  async record(letter: Omit<DeadLetter, 'id' | 'failedAt'>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.table} (consumer, source, event_id, type, payload, reason, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [letter.consumer, letter.source, letter.eventId, letter.type, JSON.stringify(letter.payload ?? null), letter.reason, letter.attempts],
    );
  }

  async list(limit = 100): Promise<DeadLetter[]> {
    const rows: { id: string; consumer: string; source: string; event_id: string | null; type: string | null; payload: unknown; reason: string; attempts: number; failed_at: Date }[] =
      await this.dataSource.query(`SELECT * FROM ${this.table} ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.map((r) => ({
      id: String(r.id),
      consumer: r.consumer,
      source: r.source,
      eventId: r.event_id,
      type: r.type,
      payload: r.payload,
      reason: r.reason,
      attempts: r.attempts,
      failedAt: r.failed_at.toISOString(),
    }));
  }
}
