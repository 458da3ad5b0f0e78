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

export type QualityRecordCommand = RecordInspectionOutcome;
