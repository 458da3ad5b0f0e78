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
export type SubtaskCancelled = DomainEvent<'SubtaskCancelled', SubtaskFacts & { reason: string }>;
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
  | SubtaskFailedInspection;
