import type { DefectCounts, EvidenceReference, InspectionLotFacts } from './inspection-lot.events.js';
import type { LotPlan } from './lot-plan.js';

export interface OpenInspectionLot {
  type: 'OpenInspectionLot';
  facts: Omit<InspectionLotFacts, 'sampleSize' | 'severity'>;
  scrapQuantity: number;
  completedAt: string;
  /** Drawn outside the decider from the tables and the workshop+process's current severity. */
  plan: LotPlan;
  openedAt: string;
}

export interface RecordInspectionResult {
  type: 'RecordInspectionResult';
  inspectorId: string;
  sampled: number;
  defects: DefectCounts;
  rejectedUnits: number;
  evidence: EvidenceReference[];
  notes?: string;
  inspectedAt: string;
  /** Policy: a failed lot goes back to the same workshop while reworkRound < maxReworkRounds. */
  maxReworkRounds: number;
}

export type InspectionLotCommand = OpenInspectionLot | RecordInspectionResult;
