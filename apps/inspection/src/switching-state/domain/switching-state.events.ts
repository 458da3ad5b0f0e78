import type { DomainEvent } from '#libs/domain';
import type { Severity } from '../../inspection-lot/domain/lot-plan.js';

/** An original-inspection lot result counted by the switching rules of a workshop+process. */
export type LotCountedForSwitching = DomainEvent<
  'LotCountedForSwitching',
  {
    workshopId: string;
    process: string;
    inspectionLotId: string;
    accepted: boolean;
    /** Severity the lot was inspected at. */
    severity: Severity;
    /** Switching score after this lot (normal inspection only; 0 otherwise). */
    switchingScore: number;
    countedAt: string;
  }
>;

export type InspectionSeverityChanged = DomainEvent<
  'InspectionSeverityChanged',
  {
    workshopId: string;
    process: string;
    from: Severity;
    to: Severity;
    reason: string;
    switchingScore?: number;
    /** The lot whose result caused the change, if any. */
    inspectionLotId?: string;
    /** Operator who reinstated inspection after a discontinuation. */
    by?: string;
    changedAt: string;
  }
>;

export type SwitchingEvent = LotCountedForSwitching | InspectionSeverityChanged;
