import type { LotFacts, Money, OrderSubmittedData, PlannedLot } from './order.events.js';
import type { DurationPolicy, RouteLimits } from './route.js';

/** Settings the decider applies at submission (from the service's configuration). */
export interface SubmissionPolicy extends RouteLimits, DurationPolicy {
  maxQuantity: number;
  /** Most shop hours (quantity × work content per unit) one process may need over the whole order: more cannot be planned. */
  maxWorkHoursPerProcess: number;
}

export interface SubmitOrder {
  type: 'SubmitOrder';
  order: Omit<OrderSubmittedData, 'submittedAt'>;
  now: string;
  policy: SubmissionPolicy;
  /**
   * Placed from an accepted quote: matching already found a plan that makes the due date, so the
   * critical-path estimate of the earliest due date is not asked again.
   */
  quoted?: boolean;
}

export interface CancelOrder {
  type: 'CancelOrder';
  reason: string;
  cancelledBy: string;
  now: string;
}

interface FromEvent {
  /** The id of the other service's event this command records. */
  sourceEventId: string;
}

/** Saga settings: how many failed inspections one step may have before the order fails. */
export interface SagaPolicy {
  maxInspectionFailuresPerStep: number;
}

export type RecordCommand = FromEvent &
  (
    | { type: 'RecordPlan'; lots: PlannedLot[]; plannedCompletion: string; at: string }
    | { type: 'RecordPlanningFailure'; reason: string; at: string }
    | { type: 'RecordPlanningAbandoned'; reason: string; at: string }
    | { type: 'RecordLotOffered'; lot: LotFacts; plannedStart: string; plannedEnd: string; expiresAt: string; price: Money; at: string }
    | { type: 'RecordLotAccepted'; lot: LotFacts; acceptedAt: string; plannedEnd: string }
    | { type: 'RecordLotDeclined'; lot: LotFacts; reason: string; at: string }
    | { type: 'RecordLotExpired'; lot: LotFacts; at: string }
    | { type: 'RecordLotStarted'; lot: LotFacts; startedAt: string }
    | { type: 'RecordLotCompleted'; lot: LotFacts; goodQuantity: number; scrapQuantity: number; completedAt: string; dueAt: string; reworkRound: number }
    | { type: 'RecordLotCancelled'; lot: LotFacts; reason: string; at: string }
    | {
        type: 'RecordInspectionPassed';
        inspectionLotId: string;
        subtaskId: string;
        stepId: string;
        workshopId: string;
        lotSize: number;
        passedQuantity: number;
        inspectedAt: string;
      }
    | {
        type: 'RecordInspectionFailed';
        inspectionLotId: string;
        subtaskId: string;
        stepId: string;
        workshopId: string;
        lotSize: number;
        disposition: 'rework' | 'replan';
        criticalDefects: number;
        majorDefects: number;
        minorDefects: number;
        inspectedAt: string;
        /** The completion round that failed (0 = first delivery); absent from older inspection events. */
        reworkRound?: number;
        policy: SagaPolicy;
      }
    | { type: 'RecordFundsShort'; subtaskId: string; required: Money; available: Money; at: string }
    | { type: 'RecordEscrowFunded'; subtaskId: string; amount: Money; at: string }
  );

export type OrderCommand = SubmitOrder | CancelOrder | RecordCommand;
