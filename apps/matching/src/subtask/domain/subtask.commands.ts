import type { CancelCause, InspectionSpec, SubtaskFacts } from './subtask.events.js';

/** Why the plan takes a lot from its workshop before work started (an order's cancellation cancels instead). */
export type WithdrawCause = Exclude<CancelCause, 'order_cancelled'>;

export type SubtaskCommand =
  | { type: 'OfferSubtask'; facts: SubtaskFacts; expiresAt: Date; plannedStart: Date; plannedEnd: Date }
  | { type: 'AcceptOffer'; workshopId: string; at: Date }
  | { type: 'DeclineOffer'; workshopId: string; reason: string }
  | { type: 'ExpireOffer'; at: Date }
  /** stepReleased: its inputs passed inspection (orders' release); funded: its price is in escrow (settlement). */
  | { type: 'StartSubtask'; workshopId: string; at: Date; stepReleased: boolean; funded: boolean }
  | { type: 'CompleteSubtask'; workshopId: string; at: Date; goodQuantity: number; scrapQuantity: number; dueAt: Date; inspection: InspectionSpec }
  | { type: 'FailInspection'; disposition: 'rework' | 'replan'; at: Date }
  | { type: 'CancelSubtask'; reason: string }
  | { type: 'ReportProgress'; workshopId: string; at: Date; doneQuantity: number }
  /** A smaller quantity and/or a later end than offered (at least one of them). */
  | { type: 'CounterOffer'; workshopId: string; at: Date; quantity?: number; plannedEnd?: Date }
  | { type: 'RefuseCounter'; reason: string }
  /** The plan takes the lot away from its workshop (to re-plan it): only before work has started. */
  | { type: 'WithdrawSubtask'; reason: string; cause: WithdrawCause };
