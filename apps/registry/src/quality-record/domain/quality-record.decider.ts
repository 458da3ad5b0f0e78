import type { Decider } from '#libs/domain';
import type { QualityRecordCommand } from './quality-record.commands.js';
import type { DefectCounts, QualityRecordEvent } from './quality-record.events.js';
import { qualityScore } from './quality-score.js';

/** The quality record of one workshop for one process. */
export interface QualityRecordState {
  lotsInspected: number;
  lotsPassed: number;
  lotsWithCriticalDefects: number;
  unitsSampled: number;
  defects: DefectCounts;
  /** `inspectionLotId:outcome:inspectedAt` of every outcome recorded: a repeat changes nothing. */
  recorded: readonly string[];
}

const outcomeKey = (c: { inspectionLotId: string; outcome: string; inspectedAt: string }): string => `${c.inspectionLotId}:${c.outcome}:${c.inspectedAt}`;

export const qualityRecordDecider: Decider<QualityRecordState, QualityRecordCommand, QualityRecordEvent> = {
  initialState: () => ({ lotsInspected: 0, lotsPassed: 0, lotsWithCriticalDefects: 0, unitsSampled: 0, defects: { critical: 0, major: 0, minor: 0 }, recorded: [] }),

  decide(command, state) {
    switch (command.type) {
      case 'RecordInspectionOutcome': {
        if (state.recorded.includes(outcomeKey(command))) return [];
        const { workshopId, process, inspectionLotId, outcome, lotSize, sampleSize, defects, inspectedAt } = command;
        const recorded = { type: 'InspectionOutcomeRecorded' as const, data: { workshopId, process, inspectionLotId, outcome, lotSize, sampleSize, defects, inspectedAt } };
        const next = qualityRecordDecider.evolve(state, recorded);
        const found = next.defects.critical + next.defects.major + next.defects.minor;
        return [
          recorded,
          {
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
              updatedAt: inspectedAt,
            },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'InspectionOutcomeRecorded': {
        const { outcome, sampleSize, defects } = event.data;
        return {
          lotsInspected: state.lotsInspected + 1,
          lotsPassed: state.lotsPassed + (outcome === 'passed' ? 1 : 0),
          lotsWithCriticalDefects: state.lotsWithCriticalDefects + (outcome === 'failed' && defects.critical > 0 ? 1 : 0),
          unitsSampled: state.unitsSampled + sampleSize,
          defects: { critical: state.defects.critical + defects.critical, major: state.defects.major + defects.major, minor: state.defects.minor + defects.minor },
          recorded: [...state.recorded, outcomeKey(event.data)],
        };
      }
      case 'WorkshopQualityRecordUpdated':
        return state;
    }
  },
};
