import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope, SubtaskCompletedContract } from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { qualityRecordStream, RegistryStreams } from '../registry.context.js';

/**
 * Matching's completions → deliveries in the workshop's quality record per process: the first
 * completion of a subtask (reworkRound 0 or absent) counts, on time when `completedAt ≤ dueAt`.
 */
@Controller()
export class DeliveriesConsumer {
  constructor(private readonly streams: RegistryStreams) {}

  @OnEvent('registry', 'SubtaskCompleted')
  async onCompleted(@Payload() event: EventEnvelope<SubtaskCompletedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const { workshopId, process, subtaskId, completedAt, dueAt, reworkRound } = event.data;
    await this.streams.qualityRecords.handle(
      qualityRecordStream(workshopId, process),
      { type: 'RecordDelivery', workshopId, process, subtaskId, completedAt, dueAt, ...(reworkRound !== undefined ? { reworkRound } : {}) },
      { metadata: ctx.metadata, manager: ctx.manager },
    );
  }
}
