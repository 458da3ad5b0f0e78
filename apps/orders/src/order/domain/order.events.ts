import type { DomainEvent } from '#libs/domain';
import type { RouteStep, SplitPolicy } from './route.js';

export interface Money {
  amountMinor: number;
  currency: 'CNY' | 'USD' | 'EUR';
}

export interface Location {
  lat: number;
  lng: number;
  region?: string;
  city?: string;
}

/** Same shape as OrderSubmittedContract (published). */
export interface OrderSubmittedData {
  orderId: string;
  brandId: string;
  sku: string;
  productName: string;
  designFiles?: string[];
  quantity: number;
  unit: string;
  dueDate: string;
  delivery: Location;
  route: RouteStep[];
  splitPolicy: SplitPolicy;
  budget?: Money;
  submittedAt: string;
  /** The accepted quote the order was placed from (matching books the quoted plan). */
  quoteId?: string;
}

/** Where a saga event came from: the other service's event id (the saga ignores it a second time). */
interface Sourced {
  sourceEventId: string;
}

export interface LotFacts {
  subtaskId: string;
  stepId: string;
  workshopId: string;
  quantity: number;
}

export interface PlannedLot extends LotFacts {
  plannedStart: string;
  plannedEnd: string;
  price: Money;
}

export type OrderEvent =
  // published (integration contracts in libs/contracts/src/orders.events.ts)
  | DomainEvent<'OrderSubmitted', OrderSubmittedData>
  | DomainEvent<'StepReleased', { orderId: string; stepId: string; releasedAt?: string }>
  | DomainEvent<'LotReleased', { orderId: string; stepId: string; subtaskId: string; workshopId: string; quantity: number; releasedAt: string }>
  | DomainEvent<'OrderCompleted', { orderId: string; brandId: string; completedAt: string }>
  | DomainEvent<'OrderCancelled', { orderId: string; brandId: string; reason: string; cancelledAt?: string; cancelledBy?: string }>
  | DomainEvent<'OrderFailed', { orderId: string; brandId: string; reason: string; failedAt?: string }>
  // internal: what the order learnt from matching, inspection and settlement
  | DomainEvent<'PlanRecorded', Sourced & { lots: PlannedLot[]; plannedCompletion: string; at: string }>
  | DomainEvent<'PlanningStalled', Sourced & { reason: string; at: string }>
  /** Matching gave up: the order cannot be planned as submitted (it closes as `planning_failed`). */
  | DomainEvent<'PlanningAbandoned', Sourced & { reason: string; at: string }>
  /** A lot offered to a workshop that the order did not know from its plan (re-planned elsewhere). */
  | DomainEvent<'LotOffered', Sourced & LotFacts & { plannedStart: string; plannedEnd: string; expiresAt: string; price: Money; at: string }>
  | DomainEvent<'LotAccepted', Sourced & LotFacts & { acceptedAt: string; plannedEnd: string }>
  | DomainEvent<'LotDeclined', Sourced & LotFacts & { reason: string; at: string }>
  | DomainEvent<'LotExpired', Sourced & LotFacts & { at: string }>
  | DomainEvent<'LotStarted', Sourced & LotFacts & { startedAt: string }>
  | DomainEvent<'LotCompleted', Sourced & LotFacts & { goodQuantity: number; scrapQuantity: number; completedAt: string; dueAt: string; reworkRound: number }>
  | DomainEvent<'LotCancelled', Sourced & LotFacts & { reason: string; at: string }>
  | DomainEvent<'LotPassed', Sourced & { inspectionLotId: string; subtaskId: string; stepId: string; workshopId: string; lotSize: number; passedQuantity: number; inspectedAt: string }>
  | DomainEvent<
      'LotFailed',
      Sourced & {
        inspectionLotId: string;
        subtaskId: string;
        stepId: string;
        workshopId: string;
        lotSize: number;
        disposition: 'rework' | 'replan';
        reworkRound?: number;
        criticalDefects: number;
        majorDefects: number;
        minorDefects: number;
        inspectedAt: string;
      }
    >
  | DomainEvent<'LotFundsShort', Sourced & { subtaskId: string; required: Money; available: Money; at: string }>
  | DomainEvent<'LotFunded', Sourced & { subtaskId: string; amount: Money; at: string }>
  | DomainEvent<'OrderAtRisk', { reason: string; subtaskId?: string; at: string }>;

export type OrderEventType = OrderEvent['type'];

export const ORDER_EVENT_TYPES: readonly OrderEventType[] = [
  'OrderSubmitted',
  'StepReleased',
  'LotReleased',
  'OrderCompleted',
  'OrderCancelled',
  'OrderFailed',
  'PlanRecorded',
  'PlanningStalled',
  'PlanningAbandoned',
  'LotOffered',
  'LotAccepted',
  'LotDeclined',
  'LotExpired',
  'LotStarted',
  'LotCompleted',
  'LotCancelled',
  'LotPassed',
  'LotFailed',
  'LotFundsShort',
  'LotFunded',
  'OrderAtRisk',
];
