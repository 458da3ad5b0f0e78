import { LocationDto, MoneyDto } from '#libs/contracts';
import type { LotStatus, OrderStatus } from './domain/order.decider.js';
import { SplitPolicyInputDto, StepInspectionDto } from './submit-order.dto.js';

/** The answer to a submission or a cancellation: the order and its status now. */
export class OrderAcceptedDto {
  orderId!: string;
  /** `submitted` after POST /orders; `cancelled` (or the status it kept) after a cancellation. */
  status!: string;
}

/** One order in a list. */
export class OrderListItemDto {
  orderId!: string;
  brandId!: string;
  status!: string;
  sku!: string;
  productName!: string;
  quantity!: number;
  dueDate!: string;
  submittedAt!: string;
  updatedAt!: string;
}

/** A page of orders, newest first. */
export class OrderPageDto {
  /** Newest first. */
  items!: OrderListItemDto[];
  /** More orders follow: ask again with `cursor=nextCursor`. */
  hasMore!: boolean;
  /** The cursor of the next page; null on the last one. */
  nextCursor!: string | null;
  /** Orders matching the filter, all pages together. */
  total!: number;
}

/** One event of an order's stream. */
export class TimelineEntryDto {
  type!: string;
  occurredAt!: string;
  streamVersion!: number;
  eventId!: string;
  correlationId!: string;
  causationId!: string;
  data!: Record<string, unknown>;
}

/** Why and since when an order is at risk of missing its due date. */
export class AtRiskDto {
  reason!: string;
  at!: string;
}

/** A step of the order's route with the quantities made, passed and failed so far. */
export class OrderStepViewDto {
  stepId!: string;
  process!: string;
  parameters!: Record<string, unknown>;
  workContentHoursPerUnit!: number;
  inspection!: StepInspectionDto;
  dependsOn!: string[];
  handoff?: 'per_step' | 'per_lot';
  status!: 'waiting' | 'released' | 'passed';
  releasedAt?: string;
  neededQuantity!: number;
  /** Units whose lots may start: the whole quantity once released, else the lots released one by one (`per_lot`). */
  releasedQuantity!: number;
  plannedQuantity!: number;
  goodQuantity!: number;
  scrapQuantity!: number;
  passedQuantity!: number;
  failedQuantity!: number;
  inspectionFailures!: number;
}

/** A lot of the order at one workshop, as the order saga tracks it. */
export class OrderLotViewDto {
  subtaskId!: string;
  stepId!: string;
  workshopId!: string;
  status!: LotStatus;
  plannedQuantity!: number;
  goodQuantity!: number;
  scrapQuantity!: number;
  passedQuantity!: number;
  failedQuantity!: number;
  reworkRound!: number;
  price?: MoneyDto;
  plannedStart?: string;
  plannedEnd?: string;
  acceptedAt?: string;
  startedAt?: string;
  completedAt?: string;
  inspectedAt?: string;
  /** When the lot alone was released (a `per_lot` step before the whole step was released). */
  releasedAt?: string;
  fundsShort!: boolean;
}

/** What the brand (or an operator) sees of one order. */
export class OrderViewDto {
  orderId!: string;
  brandId!: string;
  status!: OrderStatus;
  sku!: string;
  productName!: string;
  designFiles!: string[];
  quantity!: number;
  unit!: string;
  dueDate!: string;
  /** The delivery location. */
  delivery!: LocationDto;
  splitPolicy!: SplitPolicyInputDto;
  budget?: MoneyDto;
  submittedAt!: string;
  plannedCompletion?: string;
  planningIssue?: string;
  atRisk?: AtRiskDto;
  cancelReason?: string;
  failureReason?: string;
  completedAt?: string;
  steps!: OrderStepViewDto[];
  lots!: OrderLotViewDto[];
  /** The order stream's version. */
  version!: number;
}
