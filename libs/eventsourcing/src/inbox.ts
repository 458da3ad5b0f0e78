import type { DataSource, EntityManager } from 'typeorm';
import { ident } from './sql.js';

export type InboxOutcome<T> = { handled: true; result: T } | { handled: false };

/**
 * Consumer-side deduplication: the handled event id is recorded in the same transaction as the
 * consumer's effect, so a redelivered event changes nothing. Two deliveries racing each other
 * serialise on the primary key; the loser sees the id already recorded and does nothing.
 */
export class Inbox {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${ident(schema)}.inbox`;
  }

  async handleOnce<T>(consumer: string, eventId: string, effect: (manager: EntityManager) => Promise<T>): Promise<InboxOutcome<T>> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO ${this.table} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer, eventId],
      );
      if (inserted.length === 0) return { handled: false } as const;
      const result = await effect(manager);
      return { handled: true, result } as const;
    });
  }

  async wasHandled(consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.table} WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return rows.length > 0;
  }
}
