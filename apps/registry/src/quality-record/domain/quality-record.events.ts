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
    /** Results of its lots disputed, and results a re-inspection overturned (issue 17). */
    disputes: number;
    overturnedResults: number;
    updatedAt: string;
  }
>;

/** A result of one of the workshop's lots was disputed (by the brand or by the workshop itself). */
export type InspectionDisputeRecorded = DomainEvent<'InspectionDisputeRecorded', { workshopId: string; process: string; inspectionLotId: string; party: 'brand' | 'workshop'; disputedAt: string }>;

/**
 * A dispute's re-inspection decided (internal): when it overturned the result, the outcome counted earlier is
 * replaced by the final one (a pass overturned is no longer a pass; a fail overturned becomes one).
 */
export type InspectionOutcomeCorrected = DomainEvent<
  'InspectionOutcomeCorrected',
  { workshopId: string; process: string; inspectionLotId: string; originalOutcome: 'passed' | 'failed'; finalOutcome: 'passed' | 'failed'; overturned: boolean; resolvedAt: string }
>;

export type QualityRecordEvent = InspectionOutcomeRecorded | DeliveryRecorded | InspectionDisputeRecorded | InspectionOutcomeCorrected | WorkshopQualityRecordUpdated;
