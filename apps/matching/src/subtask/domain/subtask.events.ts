import type { DomainEvent } from '#libs/domain';

export interface Money {
  amountMinor: number;
  currency: string;
}

/** What every event about a subtask (one lot of one step at one workshop) carries. */
export interface SubtaskFacts {
  subtaskId: string;
  orderId: string;
  brandId: string;
  stepId: string;
  process: string;
  workshopId: string;
  quantity: number;
  price: Money;
}

export interface InspectionSpec {
  level: 'I' | 'II' | 'III' | 'S-1' | 'S-2' | 'S-3' | 'S-4';
  aql: number;
  criticalAql?: number;
  minorAql?: number;
}

export type SubtaskOffered = DomainEvent<'SubtaskOffered', SubtaskFacts & { expiresAt: string; plannedStart: string; plannedEnd: string }>;
export type SubtaskAccepted = DomainEvent<'SubtaskAccepted', SubtaskFacts & { acceptedAt: string; plannedEnd: string }>;
export type SubtaskDeclined = DomainEvent<'SubtaskDeclined', SubtaskFacts & { reason: string }>;
export type SubtaskExpired = DomainEvent<'SubtaskExpired', SubtaskFacts>;
export type SubtaskStarted = DomainEvent<'SubtaskStarted', SubtaskFacts & { startedAt: string }>;
export type SubtaskCompleted = DomainEvent<
  'SubtaskCompleted',
  SubtaskFacts & { goodQuantity: number; scrapQuantity: number; completedAt: string; dueAt: string; inspection: InspectionSpec; reworkRound?: number }
>;
/**
 * Why a subtask was cancelled: the order was cancelled, or the plan took the lot away from its workshop
 * before work started (the workshop was suspended, withdrew the capacity the lot was booked on, or the
 * lot had to move because an upstream lot moved) — in those cases a LotReplanned follows.
 */
export type CancelCause = 'order_cancelled' | 'workshop_suspended' | 'capacity_withdrawn' | 'upstream_moved' | 'countered' | 'order_completed';
export type SubtaskCancelled = DomainEvent<'SubtaskCancelled', SubtaskFacts & { reason: string; cause?: CancelCause }>;
/** The workshop reported how many units of a started lot are done. */
export type SubtaskProgressed = DomainEvent<'SubtaskProgressed', SubtaskFacts & { doneQuantity: number; reportedAt: string; plannedEnd: string }>;
/** Progress lags the plan: at the rate so far the lot ends after its planned end (or nothing is done past half its time). */
export type LotAtRisk = DomainEvent<
  'LotAtRisk',
  SubtaskFacts & { doneQuantity: number; reportedAt: string; plannedEnd: string; projectedEnd?: string; reason: string }
>;
/** Internal (no contract): the workshop proposed a smaller quantity and/or a later end instead of the offer. */
export type SubtaskCountered = DomainEvent<'SubtaskCountered', { subtaskId: string; workshopId: string; quantity: number; plannedEnd: string; counteredAt: string }>;
/** Internal (no contract): the planner could not take the counter-offer; the offer stands as it was. */
export type SubtaskCounterRefused = DomainEvent<'SubtaskCounterRefused', { subtaskId: string; reason: string }>;
/** Internal (no contract): inspection failed the lot; 'rework' lets the same shop complete it again,
 * 'replan' closes this subtask and its quantity is planned elsewhere. */
export type SubtaskFailedInspection = DomainEvent<'SubtaskFailedInspection', { subtaskId: string; disposition: 'rework' | 'replan'; failedAt: string }>;

export type SubtaskEvent =
  | SubtaskOffered
  | SubtaskAccepted
  | SubtaskDeclined
  | SubtaskExpired
  | SubtaskStarted
  | SubtaskCompleted
  | SubtaskCancelled
  | SubtaskFailedInspection
  | SubtaskProgressed
  | LotAtRisk
  | SubtaskCountered
  | SubtaskCounterRefused;
