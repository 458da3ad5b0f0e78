import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type {
  EscrowFundedContract,
  EventEnvelope,
  FundsShortContract,
  InspectionFailedContract,
  InspectionPassedContract,
  OrderPlannedContract,
  OrderPlanningAbandonedContract,
  OrderPlanningFailedContract,
  SubtaskAcceptedContract,
  SubtaskCancelledContract,
  SubtaskCompletedContract,
  SubtaskDeclinedContract,
  SubtaskExpiredContract,
  SubtaskFacts,
  InspectionOutcomeFacts,
  SubtaskOfferedContract,
  SubtaskStartedContract,
} from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import type { OrderCommand } from './domain/order.commands.js';
import type { LotFacts } from './domain/order.events.js';
import { OrderCommands } from './order-commands.service.js';

const lot = (f: SubtaskFacts): LotFacts => ({ subtaskId: f.subtaskId, stepId: f.stepId, workshopId: f.workshopId, quantity: f.quantity });
const iso = (value: string): string => new Date(value).toISOString();
/** What both inspection outcomes tell about the inspected lot. */
const inspected = (d: InspectionOutcomeFacts & { inspectedAt: string }) => ({
  inspectionLotId: d.inspectionLotId,
  subtaskId: d.subtaskId,
  stepId: d.stepId,
  workshopId: d.workshopId,
  lotSize: d.lotSize,
  inspectedAt: iso(d.inspectedAt),
});

/**
 * The order saga's inputs: matching's plan and subtask events, inspection results and settlement's
 * funding events, each recorded in the order's stream in the consumer's inbox transaction. The
 * decider decides what follows (step releases, completion, failure, risk).
 */
@Controller()
export class OrderSagaConsumer {
  constructor(@Inject(OrderCommands) private readonly commands: OrderCommands) {}

  private async record(orderId: string, command: OrderCommand, ctx: EventContext): Promise<void> {
    await this.commands.record(orderId, command, ctx.metadata, ctx.manager);
  }

  @OnEvent('orders', 'OrderPlanned')
  async onOrderPlanned(@Payload() e: EventEnvelope<OrderPlannedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const lots = e.data.lots.map((l) => ({
      subtaskId: l.subtaskId,
      stepId: l.stepId,
      workshopId: l.workshopId,
      quantity: l.quantity,
      plannedStart: iso(l.plannedStart),
      plannedEnd: iso(l.plannedEnd),
      price: { amountMinor: l.price.amountMinor, currency: l.price.currency },
    }));
    await this.record(e.data.orderId, { type: 'RecordPlan', sourceEventId: e.eventId, lots, plannedCompletion: iso(e.data.plannedCompletion), at: e.occurredAt }, ctx);
  }

  @OnEvent('orders', 'OrderPlanningFailed')
  async onOrderPlanningFailed(@Payload() e: EventEnvelope<OrderPlanningFailedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(e.data.orderId, { type: 'RecordPlanningFailure', sourceEventId: e.eventId, reason: e.data.reason, at: e.occurredAt }, ctx);
  }

  @OnEvent('orders', 'OrderPlanningAbandoned')
  async onOrderPlanningAbandoned(@Payload() e: EventEnvelope<OrderPlanningAbandonedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(e.data.orderId, { type: 'RecordPlanningAbandoned', sourceEventId: e.eventId, reason: e.data.reason, at: e.occurredAt }, ctx);
  }

  /** Who holds which lot: a re-planned lot is offered to its new workshop before anyone accepts it. */
  @OnEvent('orders', 'SubtaskOffered')
  async onSubtaskOffered(@Payload() e: EventEnvelope<SubtaskOfferedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = e.data;
    await this.record(
      d.orderId,
      {
        type: 'RecordLotOffered',
        sourceEventId: e.eventId,
        lot: lot(d),
        plannedStart: iso(d.plannedStart),
        plannedEnd: iso(d.plannedEnd),
        expiresAt: iso(d.expiresAt),
        price: { amountMinor: d.price.amountMinor, currency: d.price.currency },
        at: e.occurredAt,
      },
      ctx,
    );
  }

  @OnEvent('orders', 'SubtaskAccepted')
  async onSubtaskAccepted(@Payload() e: EventEnvelope<SubtaskAcceptedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(e.data.orderId, { type: 'RecordLotAccepted', sourceEventId: e.eventId, lot: lot(e.data), acceptedAt: iso(e.data.acceptedAt), plannedEnd: iso(e.data.plannedEnd) }, ctx);
  }

  @OnEvent('orders', 'SubtaskDeclined')
  async onSubtaskDeclined(@Payload() e: EventEnvelope<SubtaskDeclinedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(e.data.orderId, { type: 'RecordLotDeclined', sourceEventId: e.eventId, lot: lot(e.data), reason: e.data.reason, at: e.occurredAt }, ctx);
  }

  @OnEvent('orders', 'SubtaskExpired')
  async onSubtaskExpired(@Payload() e: EventEnvelope<SubtaskExpiredContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(e.data.orderId, { type: 'RecordLotExpired', sourceEventId: e.eventId, lot: lot(e.data), at: e.occurredAt }, ctx);
  }

  @OnEvent('orders', 'SubtaskStarted')
  async onSubtaskStarted(@Payload() e: EventEnvelope<SubtaskStartedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(e.data.orderId, { type: 'RecordLotStarted', sourceEventId: e.eventId, lot: lot(e.data), startedAt: iso(e.data.startedAt) }, ctx);
  }

  @OnEvent('orders', 'SubtaskCompleted')
  async onSubtaskCompleted(@Payload() e: EventEnvelope<SubtaskCompletedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(
      e.data.orderId,
      {
        type: 'RecordLotCompleted',
        sourceEventId: e.eventId,
        lot: lot(e.data),
        goodQuantity: e.data.goodQuantity,
        scrapQuantity: e.data.scrapQuantity,
        completedAt: iso(e.data.completedAt),
        dueAt: iso(e.data.dueAt),
        reworkRound: e.data.reworkRound ?? 0,
      },
      ctx,
    );
  }

  @OnEvent('orders', 'SubtaskCancelled')
  async onSubtaskCancelled(@Payload() e: EventEnvelope<SubtaskCancelledContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(e.data.orderId, { type: 'RecordLotCancelled', sourceEventId: e.eventId, lot: lot(e.data), reason: e.data.reason, at: e.occurredAt }, ctx);
  }

  @OnEvent('orders', 'InspectionPassed')
  async onInspectionPassed(@Payload() e: EventEnvelope<InspectionPassedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = e.data;
    await this.record(
      d.orderId,
      {
        type: 'RecordInspectionPassed',
        sourceEventId: e.eventId,
        ...inspected(d),
        passedQuantity: d.passedQuantity,
      },
      ctx,
    );
  }

  @OnEvent('orders', 'InspectionFailed')
  async onInspectionFailed(@Payload() e: EventEnvelope<InspectionFailedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = e.data;
    await this.record(
      d.orderId,
      {
        type: 'RecordInspectionFailed',
        sourceEventId: e.eventId,
        ...inspected(d),
        disposition: d.disposition,
        criticalDefects: d.criticalDefects,
        majorDefects: d.majorDefects,
        minorDefects: d.minorDefects,
        reworkRound: d.reworkRound,
        policy: this.commands.sagaPolicy,
      },
      ctx,
    );
  }

  @OnEvent('orders', 'FundsShort')
  async onFundsShort(@Payload() e: EventEnvelope<FundsShortContract>, @Ctx() ctx: EventContext): Promise<void> {
    const { required, available } = e.data;
    await this.record(
      e.data.orderId,
      {
        type: 'RecordFundsShort',
        sourceEventId: e.eventId,
        subtaskId: e.data.subtaskId,
        required: { amountMinor: required.amountMinor, currency: required.currency },
        available: { amountMinor: available.amountMinor, currency: available.currency },
        at: e.occurredAt,
      },
      ctx,
    );
  }

  @OnEvent('orders', 'EscrowFunded')
  async onEscrowFunded(@Payload() e: EventEnvelope<EscrowFundedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const { amount } = e.data;
    await this.record(e.data.orderId, { type: 'RecordEscrowFunded', sourceEventId: e.eventId, subtaskId: e.data.subtaskId, amount: { amountMinor: amount.amountMinor, currency: amount.currency }, at: e.occurredAt }, ctx);
  }
}
