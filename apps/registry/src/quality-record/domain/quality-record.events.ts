import type { DomainEvent } from '#libs/domain';

export interface DefectCounts {
  critical: number;
  major: number;
  minor: number;
}

/** One inspection outcome as the registry recorded it (internal: the inputs of the record). */
export type InspectionOutcomeRecorded = DomainEvent<
  'InspectionOutcomeRecorded',
  {
    workshopId: string;
    process: string;
    inspectionLotId: string;
    outcome: 'passed' | 'failed';
    lotSize: number;
    sampleSize: number;
    defects: DefectCounts;
    inspectedAt: string;
  }
>;

/** Published (contract `WorkshopQualityRecordUpdated`); the extra fields explain the score. */
export type WorkshopQualityRecordUpdated = DomainEvent<
  'WorkshopQualityRecordUpdated',
  {
    workshopId: string;
    process: string;
    lotsInspected: number;
    lotsPassed: number;
    score: number;
    lotsWithCriticalDefects: number;
    unitsSampled: number;
    defects: DefectCounts;
    /** Defects found per sampled unit over all inspected lots. */
    defectRate: number;
    updatedAt: string;
  }
>;

export type QualityRecordEvent = InspectionOutcomeRecorded | WorkshopQualityRecordUpdated;
