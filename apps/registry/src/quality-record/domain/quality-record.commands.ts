import type { DefectCounts } from './quality-record.events.js';

export interface RecordInspectionOutcome {
  type: 'RecordInspectionOutcome';
  workshopId: string;
  process: string;
  inspectionLotId: string;
  outcome: 'passed' | 'failed';
  lotSize: number;
  sampleSize: number;
  /** Passed lots carry no defect counts in their contract: zeros. */
  defects: DefectCounts;
  inspectedAt: string;
}

/** From matching's `SubtaskCompleted`: only a first completion (reworkRound 0 or absent) is a delivery. */
export interface RecordDelivery {
  type: 'RecordDelivery';
  workshopId: string;
  process: string;
  subtaskId: string;
  completedAt: string;
  dueAt: string;
  reworkRound?: number;
}

/** From inspection's `InspectionDisputed`. */
export interface RecordDispute {
  type: 'RecordDispute';
  workshopId: string;
  process: string;
  inspectionLotId: string;
  party: 'brand' | 'workshop';
  disputedAt: string;
}

/** From inspection's `InspectionDisputeResolved`. */
export interface RecordDisputeOutcome {
  type: 'RecordDisputeOutcome';
  workshopId: string;
  process: string;
  inspectionLotId: string;
  originalOutcome: 'passed' | 'failed';
  finalOutcome: 'passed' | 'failed';
  resolvedAt: string;
}

export type QualityRecordCommand = RecordInspectionOutcome | RecordDelivery | RecordDispute | RecordDisputeOutcome;
