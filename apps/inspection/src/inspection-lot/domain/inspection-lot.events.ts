import type { DomainEvent } from '#libs/domain';
import type { DefectClass, LotPlan, Severity } from './lot-plan.js';

/** Facts about the completed lot every event of an inspection lot repeats (what consumers need). */
export interface InspectionLotFacts {
  inspectionLotId: string;
  subtaskId: string;
  orderId: string;
  brandId: string;
  stepId: string;
  process: string;
  workshopId: string;
  lotSize: number;
  sampleSize: number;
  severity: Severity;
  /** 0 for the first inspection of the subtask's lot; n for the n-th re-inspection after rework. */
  reworkRound: number;
}

export type InspectionLotOpened = DomainEvent<
  'InspectionLotOpened',
  InspectionLotFacts & {
    scrapQuantity: number;
    completedAt: string;
    openedAt: string;
    /** Original inspection counts for the switching rules; re-inspections after rework do not. */
    originalInspection: boolean;
    plan: LotPlan;
  }
>;

export interface EvidenceReference {
  kind: string;
  ref: string;
  note?: string;
}

export type DefectCounts = Record<DefectClass, number>;

/** What the inspector recorded, kept on the result for traceability. */
export interface InspectionRecord {
  inspectorId: string;
  sampled: number;
  defects: DefectCounts;
  /** Per class: accepted (d < Re) or not. */
  verdicts: Record<DefectClass, boolean>;
  rejectedUnits: number;
  evidence: EvidenceReference[];
  notes?: string;
  codeLetter: string;
}

export type InspectionPassed = DomainEvent<
  'InspectionPassed',
  InspectionLotFacts &
    InspectionRecord & {
      passedQuantity: number;
      inspectedAt: string;
      criticalDefects: number;
      majorDefects: number;
      minorDefects: number;
    }
>;

export type InspectionFailed = DomainEvent<
  'InspectionFailed',
  InspectionLotFacts &
    InspectionRecord & {
      criticalDefects: number;
      majorDefects: number;
      minorDefects: number;
      disposition: 'rework' | 'replan';
      /** Why this disposition, in words. */
      dispositionReason: string;
      inspectedAt: string;
    }
>;

export type InspectionLotEvent = InspectionLotOpened | InspectionPassed | InspectionFailed;
