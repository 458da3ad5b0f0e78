import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope, InspectionFailedContract, InspectionPassedContract } from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { qualityRecordStream, RegistryStreams } from '../registry.context.js';
import type { RecordInspectionOutcome } from './domain/quality-record.commands.js';

/** Inspection results → the workshop's quality record per process (and `WorkshopQualityRecordUpdated`). */
@Controller()
export class InspectionResultsConsumer {
  constructor(private readonly streams: RegistryStreams) {}

  @OnEvent('registry', 'InspectionPassed')
  async onPassed(@Payload() event: EventEnvelope<InspectionPassedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = event.data;
    await this.record(
      { type: 'RecordInspectionOutcome', workshopId: d.workshopId, process: d.process, inspectionLotId: d.inspectionLotId, outcome: 'passed', lotSize: d.lotSize, sampleSize: d.sampleSize, defects: { critical: 0, major: 0, minor: 0 }, inspectedAt: d.inspectedAt },
      ctx,
    );
  }

  @OnEvent('registry', 'InspectionFailed')
  async onFailed(@Payload() event: EventEnvelope<InspectionFailedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = event.data;
    await this.record(
      {
        type: 'RecordInspectionOutcome',
        workshopId: d.workshopId,
        process: d.process,
        inspectionLotId: d.inspectionLotId,
        outcome: 'failed',
        lotSize: d.lotSize,
        sampleSize: d.sampleSize,
        defects: { critical: d.criticalDefects, major: d.majorDefects, minor: d.minorDefects },
        inspectedAt: d.inspectedAt,
      },
      ctx,
    );
  }

  private async record(command: RecordInspectionOutcome, ctx: EventContext): Promise<void> {
    await this.streams.qualityRecords.handle(qualityRecordStream(command.workshopId, command.process), command, { metadata: ctx.metadata, manager: ctx.manager });
  }
}
