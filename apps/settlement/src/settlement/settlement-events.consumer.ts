import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type {
  EventEnvelope,
  InspectionDisputeResolvedContract,
  InspectionFailedContract,
  InspectionPassedContract,
  MemberReinstatedContract,
  MemberSuspendedContract,
  OrderCancelledContract,
  OrderCompletedContract,
  OrderFailedContract,
  SubtaskAcceptedContract,
  SubtaskCancelledContract,
  SubtaskCompletedContract,
  WorkshopReinstatedContract,
  WorkshopSuspendedContract,
} from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { PayoutService } from '../payouts/payout.service.js';
import { SettlementService } from './settlement.service.js';

/** Matching's, inspection's and orders' events that move money, and the registry's that hold a workshop's payouts. All writes go through the inbox transaction. */
@Controller()
export class SettlementEventsConsumer {
  constructor(
    @Inject(SettlementService) private readonly settlement: SettlementService,
    @Inject(PayoutService) private readonly payouts: PayoutService,
  ) {}

  @OnEvent('settlement', 'WorkshopSuspended')
  async onWorkshopSuspended(@Payload() event: EventEnvelope<WorkshopSuspendedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.payouts.onMemberSuspended(event.data.workshopId, event.data.reason, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'WorkshopReinstated')
  async onWorkshopReinstated(@Payload() event: EventEnvelope<WorkshopReinstatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.payouts.onMemberReinstated(event.data.workshopId, event.data.reason, ctx.manager, ctx.metadata);
  }

  /** A brand or an inspector suspended: the same hold as a workshop's (nothing of its leaves until it is reinstated). */
  @OnEvent('settlement', 'MemberSuspended')
  async onMemberSuspended(@Payload() event: EventEnvelope<MemberSuspendedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.payouts.onMemberSuspended(event.data.memberId, event.data.reason, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'MemberReinstated')
  async onMemberReinstated(@Payload() event: EventEnvelope<MemberReinstatedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.payouts.onMemberReinstated(event.data.memberId, event.data.reason, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'SubtaskAccepted')
  async onSubtaskAccepted(@Payload() event: EventEnvelope<SubtaskAcceptedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onSubtaskAccepted(event.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'SubtaskCompleted')
  async onSubtaskCompleted(@Payload() event: EventEnvelope<SubtaskCompletedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onSubtaskCompleted(event.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'SubtaskCancelled')
  async onSubtaskCancelled(@Payload() event: EventEnvelope<SubtaskCancelledContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onSubtaskCancelled(event.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'InspectionPassed')
  async onInspectionPassed(@Payload() event: EventEnvelope<InspectionPassedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onInspectionPassed(event.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'InspectionFailed')
  async onInspectionFailed(@Payload() event: EventEnvelope<InspectionFailedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onInspectionFailed(event.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'InspectionDisputeResolved')
  async onInspectionDisputeResolved(@Payload() event: EventEnvelope<InspectionDisputeResolvedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onInspectionDisputeResolved(event.data, ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'OrderCompleted')
  async onOrderCompleted(@Payload() event: EventEnvelope<OrderCompletedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onOrderClosed(event.data.orderId, event.data.brandId, 'completed', ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'OrderCancelled')
  async onOrderCancelled(@Payload() event: EventEnvelope<OrderCancelledContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onOrderClosed(event.data.orderId, event.data.brandId, 'cancelled', ctx.manager, ctx.metadata);
  }

  @OnEvent('settlement', 'OrderFailed')
  async onOrderFailed(@Payload() event: EventEnvelope<OrderFailedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.settlement.onOrderClosed(event.data.orderId, event.data.brandId, 'failed', ctx.manager, ctx.metadata);
  }
}
