import type { Decider } from '#libs/domain';
import type { QualityRecordCommand } from './quality-record.commands.js';
import type { DefectCounts, QualityRecordEvent, WorkshopQualityRecordUpdated } from './quality-record.events.js';
import { onTimeRate, qualityScore } from './quality-score.js';

/** The quality record of one workshop for one process. */
export interface QualityRecordState {
  lotsInspected: number;
  lotsPassed: number;
  lotsWithCriticalDefects: number;
  unitsSampled: number;
  defects: DefectCounts;
  /** `inspectionLotId:outcome:inspectedAt` of the latest outcomes recorded (at most RECENT_KEYS): a repeat changes nothing. */
  recorded: readonly string[];
  deliveries: number;
  onTimeDeliveries: number;
  /** Subtask ids of the latest deliveries counted (at most RECENT_KEYS): a repeat changes nothing. */
  delivered: readonly string[];
  /** Results of its lots disputed, and overturned by the re-inspection (absent in snapshots taken before). */
  disputes?: number;
  overturnedResults?: number;
}

/**
 * How many outcome keys and delivered subtask ids the record remembers. A quality record grows for as
 * long as the workshop works; its state must not. A repeat comes from a re-published result or a
 * redelivered completion, soon after the original (the consumers' inboxes already drop a redelivered
 * event), so a window of the latest keys keeps the record exact while each event costs the same to fold
 * however long the stream (and its snapshot) has grown.
 */
export const RECENT_KEYS = 256;

/** The keys with `key` added, the oldest dropped beyond RECENT_KEYS (a bounded copy, never the whole history). */
const remember = (keys: readonly string[], key: string): readonly string[] => [...keys, key].slice(-RECENT_KEYS);

const outcomeKey = (c: { inspectionLotId: string; outcome: string; inspectedAt: string }): string => `${c.inspectionLotId}:${c.outcome}:${c.inspectedAt}`;

/** Both timestamps are ISO instants; compared as instants (offsets may differ). */
const isOnTime = (completedAt: string, dueAt: string): boolean => Date.parse(completedAt) <= Date.parse(dueAt);

function recordUpdated(workshopId: string, process: string, next: QualityRecordState, updatedAt: string): WorkshopQualityRecordUpdated {
  const found = next.defects.critical + next.defects.major + next.defects.minor;
  return {
    type: 'WorkshopQualityRecordUpdated',
    data: {
      workshopId,
      process,
      lotsInspected: next.lotsInspected,
      lotsPassed: next.lotsPassed,
      score: qualityScore(next),
      lotsWithCriticalDefects: next.lotsWithCriticalDefects,
      unitsSampled: next.unitsSampled,
      defects: next.defects,
      defectRate: next.unitsSampled === 0 ? 0 : Math.round((found / next.unitsSampled) * 10_000) / 10_000,
      deliveries: next.deliveries,
      onTimeDeliveries: next.onTimeDeliveries,
      onTimeRate: onTimeRate(next),
      disputes: next.disputes ?? 0,
      overturnedResults: next.overturnedResults ?? 0,
      updatedAt,
    },
  };
}

export const qualityRecordDecider: Decider<QualityRecordState, QualityRecordCommand, QualityRecordEvent> = {
  initialState: () => ({
    lotsInspected: 0,
    lotsPassed: 0,
    lotsWithCriticalDefects: 0,
    unitsSampled: 0,
    defects: { critical: 0, major: 0, minor: 0 },
    recorded: [],
    deliveries: 0,
    onTimeDeliveries: 0,
    delivered: [],
    disputes: 0,
    overturnedResults: 0,
  }),

  decide(command, state) {
    switch (command.type) {
      case 'RecordInspectionOutcome': {
        if (state.recorded.includes(outcomeKey(command))) return [];
        const { workshopId, process, inspectionLotId, outcome, lotSize, sampleSize, defects, inspectedAt } = command;
        const recorded = { type: 'InspectionOutcomeRecorded' as const, data: { workshopId, process, inspectionLotId, outcome, lotSize, sampleSize, defects, inspectedAt } };
        return [recorded, recordUpdated(workshopId, process, qualityRecordDecider.evolve(state, recorded), inspectedAt)];
      }
      case 'RecordDelivery': {
        // A rework round re-completes a lot already delivered: not a delivery of its own.
        if ((command.reworkRound ?? 0) > 0 || state.delivered.includes(command.subtaskId)) return [];
        const { workshopId, process, subtaskId, completedAt, dueAt } = command;
        const recorded = { type: 'DeliveryRecorded' as const, data: { workshopId, process, subtaskId, completedAt, dueAt, onTime: isOnTime(completedAt, dueAt) } };
        return [recorded, recordUpdated(workshopId, process, qualityRecordDecider.evolve(state, recorded), completedAt)];
      }
      case 'RecordDispute': {
        const key = `disputed:${command.inspectionLotId}`;
        if (state.recorded.includes(key)) return [];
        const { workshopId, process, inspectionLotId, party, disputedAt } = command;
        const recorded = { type: 'InspectionDisputeRecorded' as const, data: { workshopId, process, inspectionLotId, party, disputedAt } };
        return [recorded, recordUpdated(workshopId, process, qualityRecordDecider.evolve(state, recorded), disputedAt)];
      }
      case 'RecordDisputeOutcome': {
        const key = `resolved:${command.inspectionLotId}`;
        if (state.recorded.includes(key)) return [];
        const { workshopId, process, inspectionLotId, originalOutcome, finalOutcome, resolvedAt } = command;
        const corrected = { type: 'InspectionOutcomeCorrected' as const, data: { workshopId, process, inspectionLotId, originalOutcome, finalOutcome, overturned: originalOutcome !== finalOutcome, resolvedAt } };
        return [corrected, recordUpdated(workshopId, process, qualityRecordDecider.evolve(state, corrected), resolvedAt)];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'InspectionOutcomeRecorded': {
        const { outcome, sampleSize, defects } = event.data;
        return {
          ...state,
          lotsInspected: state.lotsInspected + 1,
          lotsPassed: state.lotsPassed + (outcome === 'passed' ? 1 : 0),
          lotsWithCriticalDefects: state.lotsWithCriticalDefects + (outcome === 'failed' && defects.critical > 0 ? 1 : 0),
          unitsSampled: state.unitsSampled + sampleSize,
          defects: { critical: state.defects.critical + defects.critical, major: state.defects.major + defects.major, minor: state.defects.minor + defects.minor },
          recorded: remember(state.recorded, outcomeKey(event.data)),
        };
      }
      case 'DeliveryRecorded':
        return {
          ...state,
          deliveries: state.deliveries + 1,
          onTimeDeliveries: state.onTimeDeliveries + (event.data.onTime ? 1 : 0),
          delivered: remember(state.delivered, event.data.subtaskId),
        };
      case 'InspectionDisputeRecorded':
        return { ...state, disputes: (state.disputes ?? 0) + 1, recorded: remember(state.recorded, `disputed:${event.data.inspectionLotId}`) };
      case 'InspectionOutcomeCorrected': {
        const { overturned, finalOutcome, inspectionLotId } = event.data;
        const recorded = remember(state.recorded, `resolved:${inspectionLotId}`);
        if (!overturned) return { ...state, recorded };
        return { ...state, lotsPassed: Math.max(0, state.lotsPassed + (finalOutcome === 'passed' ? 1 : -1)), overturnedResults: (state.overturnedResults ?? 0) + 1, recorded };
      }
      case 'WorkshopQualityRecordUpdated':
        return state;
    }
  },
};
