import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope, SubtaskCompletedContract } from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { InspectionLotsService } from './inspection-lots.service.js';

/** Matching reports a completed lot → inspection opens an inspection lot for its good quantity. */
@Controller()
export class SubtaskCompletedConsumer {
  constructor(@Inject(InspectionLotsService) private readonly lots: InspectionLotsService) {}

  @OnEvent('inspection', 'SubtaskCompleted')
  async onSubtaskCompleted(@Payload() event: EventEnvelope<SubtaskCompletedContract>, @Ctx() ctx: EventContext): Promise<void> {
    await this.lots.openFromCompletion(event.data, ctx.manager, ctx.metadata);
  }
}
