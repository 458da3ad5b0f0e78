import type { DataSource, EntityManager } from 'typeorm';
import { fold } from '#libs/domain';
import { ident, toDomainEvent, WriteBehind, type EventStore, type FoldedStream, type Projection, type StoredEvent } from '#libs/eventsourcing';
import { orderDecider, type OrderState } from './domain/order.decider.js';
import { ORDER_EVENT_TYPES, type OrderEvent } from './domain/order.events.js';
import { toOrderView, type OrderView } from './order-view.js';

/**
 * One row per order with its whole view (steps, lots, status), rewritten on every event of the order;
 * inline in the append's transaction, so a read after a command sees its effect. From the state the
 * order's command handler just folded when it hands it over (every command does), from the stream
 * otherwise (a rebuild). A transaction that runs several commands of an order (a consumer's batch) writes
 * the order's row once, its newest, just before it commits, with every other order it changed, in one
 * statement (WriteBehind); nothing in the orders service reads the summary inside such a transaction.
 */
export class OrderSummaryProjection implements Projection {
  readonly name = 'order_summary';
  readonly handles = ORDER_EVENT_TYPES;
  readonly newestOfStreamSuffices = true;
  private readonly table: string;
  private readonly rows: WriteBehind<{ view: OrderView; updatedAt: string; version: number }>;

  constructor(
    private readonly store: EventStore,
    dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${ident(schema)}.order_summary`;
    this.rows = new WriteBehind(dataSource, (rows, manager) => this.write(rows, manager));
  }

  async apply(event: StoredEvent, manager: EntityManager, folded?: FoldedStream): Promise<void> {
    const state = folded?.decider === orderDecider ? (folded.state as OrderState) : await this.stateAt(event, manager);
    if (!state.order) return;
    await this.rows.write(manager, event.streamId, { view: toOrderView(state, event.streamVersion), updatedAt: event.occurredAt, version: event.streamVersion });
  }

  /** The orders' newest rows, one per order, in one statement; a row never goes back to an older version. */
  private async write(rows: readonly { view: OrderView; updatedAt: string; version: number }[], manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (order_id, brand_id, status, sku, product_name, quantity, due_date, submitted_at, updated_at, version, view)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::int[], $11::jsonb[])
       ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, view = EXCLUDED.view
       WHERE ${this.table}.version < EXCLUDED.version`,
      [
        rows.map((r) => r.view.orderId),
        rows.map((r) => r.view.brandId),
        rows.map((r) => r.view.status),
        rows.map((r) => r.view.sku),
        rows.map((r) => r.view.productName),
        rows.map((r) => r.view.quantity),
        rows.map((r) => r.view.dueDate),
        rows.map((r) => r.view.submittedAt),
        rows.map((r) => r.updatedAt),
        rows.map((r) => r.version),
        rows.map((r) => JSON.stringify(r.view)),
      ],
    );
  }

  private async stateAt(event: StoredEvent, manager: EntityManager): Promise<OrderState> {
    const events = await this.store.readStream(event.streamId, { manager });
    const upTo = events.filter((e) => e.streamVersion <= event.streamVersion);
    return fold(orderDecider, upTo.map((e) => toDomainEvent<OrderEvent>(e)));
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query(`TRUNCATE ${this.table}`);
  }
}
