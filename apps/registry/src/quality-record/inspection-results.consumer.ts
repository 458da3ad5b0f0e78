import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope, InspectionDisputedContract, InspectionDisputeResolvedContract, InspectionFailedContract, InspectionPassedContract } from '#libs/contracts';
import { EventContext, OnEvent } from '#libs/messaging';
import { qualityRecordStream, RegistryStreams } from '../registry.context.js';
import { inspectorQualityStream, type CountInspectorOutcome } from './domain/inspector-quality.decider.js';
import type { QualityRecordCommand } from './domain/quality-record.commands.js';

/**
 * Inspection results, disputes and their re-inspections → the workshop's quality record per process (and
 * `WorkshopQualityRecordUpdated`) and the inspectors' own records (`InspectorQualityRecordUpdated`), in the
 * consumer's transaction.
 */
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
    if (d.inspectorId) await this.count({ inspectorId: d.inspectorId, inspectionLotId: d.inspectionLotId, kind: 'result', at: d.inspectedAt }, ctx);
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
    if (d.inspectorId) await this.count({ inspectorId: d.inspectorId, inspectionLotId: d.inspectionLotId, kind: 'result', at: d.inspectedAt }, ctx);
  }

  @OnEvent('registry', 'InspectionDisputed')
  async onDisputed(@Payload() event: EventEnvelope<InspectionDisputedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = event.data;
    await this.record({ type: 'RecordDispute', workshopId: d.workshopId, process: d.process, inspectionLotId: d.inspectionLotId, party: d.party, disputedAt: d.disputedAt }, ctx);
    await this.count({ inspectorId: d.originalInspectorId, inspectionLotId: d.inspectionLotId, kind: 'disputed', at: d.disputedAt }, ctx);
  }

  @OnEvent('registry', 'InspectionDisputeResolved')
  async onDisputeResolved(@Payload() event: EventEnvelope<InspectionDisputeResolvedContract>, @Ctx() ctx: EventContext): Promise<void> {
    const d = event.data;
    await this.record(
      { type: 'RecordDisputeOutcome', workshopId: d.workshopId, process: d.process, inspectionLotId: d.inspectionLotId, originalOutcome: d.originalOutcome, finalOutcome: d.finalOutcome, resolvedAt: d.resolvedAt },
      ctx,
    );
    await this.count({ inspectorId: d.originalInspectorId, inspectionLotId: d.inspectionLotId, kind: d.overturned ? 'overturned' : 'upheld', at: d.resolvedAt }, ctx);
    await this.count({ inspectorId: d.reinspectorId, inspectionLotId: d.inspectionLotId, kind: 'reinspection', at: d.resolvedAt }, ctx);
  }

  private async record(command: QualityRecordCommand, ctx: EventContext): Promise<void> {
    await this.streams.qualityRecords.handle(qualityRecordStream(command.workshopId, command.process), command, { metadata: ctx.metadata, manager: ctx.manager });
  }

  private async count(outcome: Omit<CountInspectorOutcome, 'type'>, ctx: EventContext): Promise<void> {
    await this.streams.inspectorQuality.handle(inspectorQualityStream(outcome.inspectorId), { type: 'CountInspectorOutcome', ...outcome }, { metadata: ctx.metadata, manager: ctx.manager });
  }
}
