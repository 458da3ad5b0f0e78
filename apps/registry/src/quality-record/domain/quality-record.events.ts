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

/**
 * One delivery (a first completion of a subtask, from matching's `SubtaskCompleted`) as the registry
 * recorded it (internal): on time when `completedAt ≤ dueAt`.
 */
export type DeliveryRecorded = DomainEvent<
  'DeliveryRecorded',
  {
    workshopId: string;
    process: string;
    subtaskId: string;
    completedAt: string;
    dueAt: string;
    onTime: boolean;
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
    /** First completions (rework rounds are not deliveries) and those done by their due time. */
    deliveries: number;
    onTimeDeliveries: number;
    /** onTimeDeliveries / deliveries, 4 decimals; 0 while nothing was delivered. */
    onTimeRate: number;
    updatedAt: string;
  }
>;

export type QualityRecordEvent = InspectionOutcomeRecorded | DeliveryRecorded | WorkshopQualityRecordUpdated;
