import type { DataSource, EntityManager } from 'typeorm';
import { ident } from './sql.js';
import { START_OF_LOG, type GlobalPosition } from './stored-event.js';

/** Durable positions of subscriptions (relay, embedded consumers, projections) in one service schema. */
export class Checkpoints {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${ident(schema)}.checkpoints`;
  }

  async load(subscriptionId: string, manager?: EntityManager): Promise<GlobalPosition> {
    const rows: { transaction_id: string; position: string }[] = await (manager ?? this.dataSource).query(
      `SELECT transaction_id::text AS transaction_id, position::text AS position FROM ${this.table} WHERE subscription_id = $1`,
      [subscriptionId],
    );
    return rows.length === 0 ? START_OF_LOG : { transactionId: rows[0].transaction_id, position: rows[0].position };
  }

  async save(subscriptionId: string, position: GlobalPosition, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource).query(
      `INSERT INTO ${this.table} (subscription_id, transaction_id, position, updated_at)
       VALUES ($1, $2::text::xid8, $3, now())
       ON CONFLICT (subscription_id) DO UPDATE
         SET transaction_id = excluded.transaction_id, position = excluded.position, updated_at = now()`,
      [subscriptionId, position.transactionId, position.position],
    );
  }

  async reset(subscriptionId: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource).query(`DELETE FROM ${this.table} WHERE subscription_id = $1`, [subscriptionId]);
  }
}
