import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type {
  CapacityDeclaredContract,
  CapacityWithdrawnContract,
  EscrowFundedContract,
  EventEnvelope,
  InspectionFailedContract,
  LotReleasedContract,
  OrderCancelledContract,
  OrderCompletedContract,
  OrderSubmittedContract,
  StepReleasedContract,
  WorkshopCapabilitiesChangedContract,
  WorkshopProfileUpdatedContract,
  WorkshopQualityRecordUpdatedContract,
  WorkshopRegisteredContract,
  WorkshopReinstatedContract,
  WorkshopSuspendedContract,
} from '#libs/contracts';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { EventContext, OnEvent } from '#libs/messaging';
import { NetworkView } from './network/network-view.js';
import { PlanningService } from './plan/planning.service.js';
import { SubtaskService } from './subtask/subtask.service.js';

/** Matching's consumers of the registry's, the orders', inspection's and settlement's events (all writes via ctx.manager). */
@Controller()
export class MatchingEventsConsumer {
  private readonly s: string;
  constructor(
    @Inject(ServiceDatabase) db: ServiceDatabase,
    @Inject(NetworkView) private readonly network: NetworkView,
    @Inject(PlanningService) private readonly planning: PlanningService,
    @Inject(SubtaskService) private readonly subtasks: SubtaskService,
  ) {
    this.s = ident(db.schema);
  }

  @OnEvent('matching', 'WorkshopRegistered')
  async workshopRegistered(@Payload() e: EventEnvelope<WorkshopRegisteredContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.network.registerWorkshop(e.data, ctx.manager);
  }

  @OnEvent('matching', 'WorkshopProfileUpdated')
  async profileUpdated(@Payload() e: EventEnvelope<WorkshopProfileUpdatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.network.registerWorkshop(e.data, ctx.manager);
  }

  @OnEvent('matching', 'WorkshopCapabilitiesChanged')
  async capabilitiesChanged(@Payload() e: EventEnvelope<WorkshopCapabilitiesChangedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.network.replaceCapabilities(e.data, ctx.manager);
  }

  @OnEvent('matching', 'CapacityDeclared')
  async capacityDeclared(@Payload() e: EventEnvelope<CapacityDeclaredContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.network.declareCapacity(e.data, ctx.manager);
    await this.planning.retryWaiting(ctx.manager, ctx.metadata);
  }

  @OnEvent('matching', 'CapacityWithdrawn')
  async capacityWithdrawn(@Payload() e: EventEnvelope<CapacityWithdrawnContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.planning.capacityWithdrawn(e.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('matching', 'WorkshopSuspended')
  async suspended(@Payload() e: EventEnvelope<WorkshopSuspendedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.planning.workshopSuspended(e.data.workshopId, e.data.reason, ctx.manager, ctx.metadata);
  }

  @OnEvent('matching', 'WorkshopReinstated')
  async reinstated(@Payload() e: EventEnvelope<WorkshopReinstatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.network.setSuspended(e.data.workshopId, false, ctx.manager);
    await this.planning.retryWaiting(ctx.manager, ctx.metadata);
  }

  @OnEvent('matching', 'WorkshopQualityRecordUpdated')
  async quality(@Payload() e: EventEnvelope<WorkshopQualityRecordUpdatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.network.recordQuality(e.data, ctx.manager);
  }

  @OnEvent('matching', 'OrderSubmitted')
  async orderSubmitted(@Payload() e: EventEnvelope<OrderSubmittedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.planning.planOrder(e.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('matching', 'StepReleased')
  async stepReleased(@Payload() e: EventEnvelope<StepReleasedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await ctx.manager.query(`INSERT INTO ${this.s}.released_steps (order_id, step_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [e.data.orderId, e.data.stepId]);
  }

  /** Orders' per-lot hand-off: this lot may start before its whole step is released. */
  @OnEvent('matching', 'LotReleased')
  async lotReleased(@Payload() e: EventEnvelope<LotReleasedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await ctx.manager.query(`INSERT INTO ${this.s}.released_lots (subtask_id, order_id, step_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      e.data.subtaskId,
      e.data.orderId,
      e.data.stepId,
    ]);
  }

  /** Settlement holds the lot's price in escrow: the workshop may start it (see StartSubtask). */
  @OnEvent('matching', 'EscrowFunded')
  async escrowFunded(@Payload() e: EventEnvelope<EscrowFundedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await ctx.manager.query(`INSERT INTO ${this.s}.funded_lots (subtask_id, order_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [e.data.subtaskId, e.data.orderId]);
  }

  @OnEvent('matching', 'OrderCancelled')
  async orderCancelled(@Payload() e: EventEnvelope<OrderCancelledContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.planning.cancelOrder(e.data.orderId, e.data.reason, ctx.manager, ctx.metadata);
  }

  /** The order completed: the lots it no longer needs are withdrawn (PlanningService.orderCompleted). */
  @OnEvent('matching', 'OrderCompleted')
  async orderCompleted(@Payload() e: EventEnvelope<OrderCompletedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.planning.orderCompleted(e.data.orderId, ctx.manager, ctx.metadata);
  }

  @OnEvent('matching', 'InspectionFailed')
  async inspectionFailed(@Payload() e: EventEnvelope<InspectionFailedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.subtasks.inspectionFailed(e.data, ctx.manager, ctx.metadata);
  }
}
