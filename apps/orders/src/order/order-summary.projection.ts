import type { EntityManager } from 'typeorm';
import { fold } from '#libs/domain';
import { ident, toDomainEvent, type EventStore, type FoldedStream, type Projection, type StoredEvent } from '#libs/eventsourcing';
import { orderDecider, type OrderState } from './domain/order.decider.js';
import { ORDER_EVENT_TYPES, type OrderEvent } from './domain/order.events.js';
import { toOrderView } from './order-view.js';

/**
 * One row per order with its whole view (steps, lots, status), rewritten on every event of the order;
 * inline in the append's transaction, so a read after a command sees its effect. From the state the
 * order's command handler just folded when it hands it over (every command does), from the stream
 * otherwise (a rebuild).
 */
export class OrderSummaryProjection implements Projection {
  readonly name = 'order_summary';
  readonly handles = ORDER_EVENT_TYPES;
  readonly newestOfStreamSuffices = true;
  private readonly table: string;

  constructor(
    private readonly store: EventStore,
    schema: string,
  ) {
    this.table = `${ident(schema)}.order_summary`;
  }

  async apply(event: StoredEvent, manager: EntityManager, folded?: FoldedStream): Promise<void> {
    const state = folded?.decider === orderDecider ? (folded.state as OrderState) : await this.stateAt(event, manager);
    if (!state.order) return;
    const view = toOrderView(state, event.streamVersion);
    await manager.query(
      `INSERT INTO ${this.table} (order_id, brand_id, status, sku, product_name, quantity, due_date, submitted_at, updated_at, version, view)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, view = EXCLUDED.view
       WHERE ${this.table}.version < EXCLUDED.version`,
      [view.orderId, view.brandId, view.status, view.sku, view.productName, view.quantity, view.dueDate, view.submittedAt, event.occurredAt, event.streamVersion, JSON.stringify(view)],
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
