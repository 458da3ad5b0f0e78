import { Inject, Injectable } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { assertOwnership, toCursorPage, type CursorPage, type Principal } from '#libs/platform';
import { BrandDisplayNames } from './brand-display-names.js';
import { orderStreamId } from './order-commands.service.js';
import type { OrderView } from './order-view.js';
import { stepWork, type StepWork } from './step-work.js';

export interface OrderListItem {
  orderId: string;
  brandId: string;
  status: string;
  sku: string;
  productName: string;
  quantity: number;
  dueDate: string;
  submittedAt: string;
  updatedAt: string;
}

export interface TimelineEntry {
  type: string;
  occurredAt: string;
  streamVersion: number;
  eventId: string;
  correlationId: string;
  causationId: string;
  data: Record<string, unknown>;
}

/** Reads of the order_summary read model and of an order's stream (its timeline). */
@Injectable()
export class OrderQueries {
  private readonly table: string;

  constructor(
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
    @Inject(BrandDisplayNames) private readonly brandNames: BrandDisplayNames,
  ) {
    this.table = `${ident(db.schema)}.order_summary`;
  }

  private async view(orderId: string): Promise<OrderView> {
    const rows: { view: OrderView }[] = await this.db.dataSource.query(`SELECT view FROM ${this.table} WHERE order_id = $1`, [orderId]);
    if (rows.length === 0) throw new NotFound('order', orderId);
    return rows[0].view;
  }

  /** The order as the principal may see it: its owner brand or an operator; anyone else gets the same 404 as for a missing order. */
  async get(principal: Principal, orderId: string): Promise<OrderView> {
    const view = await this.view(orderId);
    assertOwnership(principal, view.brandId, 'order', orderId);
    return view;
  }

  /**
   * One step's work: for a workshop holding (offered or accepted) a lot of the step, only what that
   * step needs; for the owner brand and operators the same, with every held lot of the step. A workshop
   * holding no lot of the step gets the 404 of a missing order, whether the order or step exists or not.
   */
  async stepWork(principal: Principal, orderId: string, stepId: string): Promise<StepWork> {
    const view = await this.view(orderId);
    if (principal.role === 'workshop') {
      const work = stepWork(view, stepId, { kind: 'workshop', workshopId: principal.sub }, await this.brandNames.of(view.brandId));
      if (!work) throw new NotFound('order', orderId);
      return work;
    }
    assertOwnership(principal, view.brandId, 'order', orderId);
    const work = stepWork(view, stepId, { kind: 'owner' }, await this.brandNames.of(view.brandId));
    if (!work) throw new NotFound('step', stepId);
    return work;
  }

  /** Newest first, a page at a time (`after`: the key of the previous page's last order), with the filter's total. */
  async list(principal: Principal, query: { status?: string; brandId?: string; limit: number; after?: string[] }): Promise<CursorPage<OrderListItem> & { total: number }> {
    const brandId = principal.role === 'operator' ? query.brandId : principal.sub;
    const where: string[] = [];
    const params: unknown[] = [];
    if (brandId !== undefined) where.push(`brand_id = $${params.push(brandId)}`);
    if (query.status !== undefined) where.push(`status = $${params.push(query.status)}`);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }]: { total: number }[] = await this.db.dataSource.query(`SELECT count(*)::int AS total FROM ${this.table} ${filter}`, params);
    if (query.after) where.push(`(submitted_at < $${params.push(query.after[0])}::timestamptz OR (submitted_at = $${params.length}::timestamptz AND order_id > $${params.push(query.after[1])}))`);
    const rows: (OrderSummaryRow & { sort_at: string })[] = await this.db.dataSource.query(
      `SELECT order_id, brand_id, status, sku, product_name, quantity, due_date, submitted_at, updated_at, submitted_at::text AS sort_at FROM ${this.table}
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY submitted_at DESC, order_id LIMIT $${params.push(query.limit + 1)}`,
      params,
    );
    return { ...toCursorPage(rows, query.limit, (r) => [r.sort_at, r.order_id], listItem), total };
  }

  /** Everything that happened to the order, across services, in order, with correlation and causation ids. */
  async timeline(principal: Principal, orderId: string): Promise<TimelineEntry[]> {
    await this.get(principal, orderId);
    const events = await this.db.store.readStream(orderStreamId(orderId));
    return events.map((e) => ({
      type: e.type,
      occurredAt: e.occurredAt,
      streamVersion: e.streamVersion,
      eventId: e.eventId,
      correlationId: e.correlationId,
      causationId: e.causationId,
      data: e.data,
    }));
  }
}

interface OrderSummaryRow {
  order_id: string;
  brand_id: string;
  status: string;
  sku: string;
  product_name: string;
  quantity: number;
  due_date: Date;
  submitted_at: Date;
  updated_at: Date;
}

const listItem = (r: OrderSummaryRow): OrderListItem => ({
  orderId: r.order_id,
  brandId: r.brand_id,
  status: r.status,
  sku: r.sku,
  productName: r.product_name,
  quantity: r.quantity,
  dueDate: r.due_date.toISOString(),
  submittedAt: r.submitted_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
