import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope } from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { AnalyticsProjection } from './analytics.projection.js';

/**
 * The events only the analytics read: notifications tells members of none of them. (The events both read
 * reach the analytics through MemberEventsConsumer, in the same inbox transaction.)
 */
@Controller()
export class AnalyticsEventsConsumer {
  constructor(@Inject(AnalyticsProjection) private readonly projection: AnalyticsProjection) {}

  private apply(event: EventEnvelope, ctx: EventContext): Promise<void> {
    return this.projection.apply(event, ctx.manager);
  }

  @OnEvent('notifications', 'WorkshopRegistered') workshopRegistered(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.apply(e, c); }
  @OnEvent('notifications', 'WorkshopCapabilitiesChanged') capabilitiesChanged(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.apply(e, c); }
  @OnEvent('notifications', 'CapacityDeclared') capacityDeclared(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.apply(e, c); }
  @OnEvent('notifications', 'CapacityWithdrawn') capacityWithdrawn(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.apply(e, c); }
  @OnEvent('notifications', 'OrderSubmitted') orderSubmitted(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.apply(e, c); }
  @OnEvent('notifications', 'SubtaskStarted') subtaskStarted(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.apply(e, c); }
  @OnEvent('notifications', 'SubtaskCompleted') subtaskCompleted(@Payload() e: EventEnvelope, @Ctx() c: EventContext) { return this.apply(e, c); }
}
