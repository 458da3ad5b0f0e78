import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CommandHandler, ServiceDatabase, STREAM_STATE_CACHE_STREAMS, TransactionLocks, type EventMetadata } from '#libs/eventsourcing';
import { ORDERS_CLOCK, ORDERS_CONFIG, OrdersConfig, type Clock } from '../config.js';
import type { OrderCommand, SagaPolicy, SubmissionPolicy } from './domain/order.commands.js';
import { orderDecider, orderStatus, type OrderState, type OrderStatus } from './domain/order.decider.js';
import type { OrderEvent, OrderSubmittedData } from './domain/order.events.js';
import { OrderSummaryProjection } from './order-summary.projection.js';

export const orderStreamId = (orderId: string): string => `order-${orderId}`;

/** Loads an order's stream, decides, appends with the loaded version and updates the read model in one transaction. */
@Injectable()
export class OrderCommands {
  readonly handler: CommandHandler<OrderState, OrderCommand, OrderEvent>;
  readonly submissionPolicy: SubmissionPolicy;
  readonly sagaPolicy: SagaPolicy;
  private readonly schema: string;
  private readonly locks: TransactionLocks;

  constructor(
    @Inject(ServiceDatabase) db: ServiceDatabase,
    @Inject(ORDERS_CONFIG) config: OrdersConfig,
    @Inject(ORDERS_CLOCK) private readonly clock: Clock,
  ) {
    this.schema = db.schema;
    this.locks = new TransactionLocks(db.dataSource);
    this.handler = new CommandHandler(db.dataSource, db.store, orderDecider, { projections: [new OrderSummaryProjection(db.store, db.dataSource, db.schema)], cache: { name: 'order', streams: STREAM_STATE_CACHE_STREAMS } });
    this.submissionPolicy = {
      maxSteps: config.ORDERS_MAX_ROUTE_STEPS,
      maxDependenciesPerStep: config.ORDERS_MAX_DEPENDENCIES_PER_STEP,
      maxParameterChars: config.ORDERS_MAX_STEP_PARAMETER_CHARS,
      maxQuantity: config.ORDERS_MAX_QUANTITY,
      maxWorkHoursPerProcess: config.ORDERS_MAX_WORK_HOURS_PER_PROCESS,
      maxParallelWorkshops: config.ORDERS_MAX_PARALLEL_WORKSHOPS,
      shopHoursPerDay: config.ORDERS_SHOP_HOURS_PER_DAY,
    };
    this.sagaPolicy = { maxInspectionFailuresPerStep: config.ORDERS_MAX_INSPECTION_FAILURES_PER_STEP };
  }

  async submit(order: Omit<OrderSubmittedData, 'submittedAt' | 'orderId'>, causationId: string, manager?: EntityManager): Promise<{ orderId: string; status: OrderStatus }> {
    const orderId = randomUUID();
    const result = await this.handler.handle(
      orderStreamId(orderId),
      { type: 'SubmitOrder', order: { ...order, orderId }, now: this.clock().toISOString(), policy: this.submissionPolicy },
      { metadata: { correlationId: orderId, causationId }, manager, retryOnConflict: false, expectedVersion: 0 },
    );
    return { orderId, status: orderStatus(result.state) };
  }

  /**
   * Places the order of an accepted quote under the id matching gave it (inside the consumer's inbox
   * transaction). A redelivery finds the order placed and changes nothing.
   */
  async submitQuoted(order: Omit<OrderSubmittedData, 'submittedAt'>, metadata: EventMetadata, manager: EntityManager): Promise<void> {
    const { state } = await this.handler.load(orderStreamId(order.orderId), manager);
    if (state.phase !== 'none') return;
    await this.handler.handle(orderStreamId(order.orderId), { type: 'SubmitOrder', order, now: this.clock().toISOString(), policy: this.submissionPolicy, quoted: true }, { metadata, manager });
  }

  async cancel(orderId: string, by: string, reason: string, causationId: string): Promise<OrderStatus> {
    const result = await this.handler.handle(
      orderStreamId(orderId),
      { type: 'CancelOrder', reason, cancelledBy: by, now: this.clock().toISOString() },
      { metadata: { correlationId: orderId, causationId } },
    );
    return orderStatus(result.state);
  }

  /**
   * Records another service's event in the order's stream, inside the consumer's inbox transaction.
   * Events of one order arrive concurrently from several topics (and partitions); the transaction takes
   * the order's advisory lock first, so they queue instead of failing each other's optimistic append
   * (which would spend the transport's retries and, under load, dead-letter a saga input). A batch with
   * several events of the order takes the lock once.
   */
  async record(orderId: string, command: OrderCommand, metadata: EventMetadata, manager: EntityManager): Promise<void> {
    await this.locks.lock(manager, `${this.schema}:${orderStreamId(orderId)}`);
    await this.handler.handle(orderStreamId(orderId), command, { metadata, manager });
  }
}
