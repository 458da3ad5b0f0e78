import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope } from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { AnalyticsProjection } from '../analytics/analytics.projection.js';
import { MemberEventsService } from './member-events.service.js';

/**
 * The integration events members are told of, from all five producers: each is recorded with its
 * deliveries in the inbox transaction (exactly once; a redelivered event changes nothing).
 * SubtaskAccepted tells nobody; it only teaches the service a lot's workshop. The analytics read models
 * take the same events in the same transaction (AnalyticsEventsConsumer takes those members are not told of).
 */
@Controller()
export class MemberEventsConsumer {
  constructor(
    @Inject(MemberEventsService) private readonly events: MemberEventsService,
    @Inject(AnalyticsProjection) private readonly analytics: AnalyticsProjection,
  ) {}

  private async record(event: EventEnvelope, ctx: EventContext): Promise<number> {
    await this.analytics.apply(event, ctx.manager);
    return this.events.record(event, ctx.manager);
  }

  // matching
  @OnEvent('notifications', 'OrderPlanned') orderPlanned(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'OrderPlanningFailed') planningFailed(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'OrderPlanningAbandoned') planningAbandoned(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'LotReplanned') lotReplanned(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'SubtaskOffered') subtaskOffered(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'SubtaskAccepted') subtaskAccepted(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'SubtaskExpired') subtaskExpired(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'SubtaskCancelled') subtaskCancelled(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'LotAtRisk') lotAtRisk(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  // orders
  @OnEvent('notifications', 'LotReleased') lotReleased(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'OrderCompleted') orderCompleted(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'OrderCancelled') orderCancelled(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'OrderFailed') orderFailed(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  // inspection
  @OnEvent('notifications', 'InspectionPassed') inspectionPassed(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'InspectionFailed') inspectionFailed(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'InspectionDisputed') inspectionDisputed(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'InspectionDisputeResolved') disputeResolved(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'InspectionResultFinal') resultFinal(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'InspectionSeverityChanged') severityChanged(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  // settlement
  @OnEvent('notifications', 'EscrowFunded') escrowFunded(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'EscrowRefunded') escrowRefunded(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'FundsShort') fundsShort(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'FundsDeposited') fundsDeposited(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'PaymentReleased') paymentReleased(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'OrderSettled') orderSettled(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  // registry
  @OnEvent('notifications', 'WorkshopSuspended') workshopSuspended(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'WorkshopReinstated') workshopReinstated(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'MemberSuspended') memberSuspended(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
  @OnEvent('notifications', 'MemberReinstated') memberReinstated(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.record(e, c); }
}
