import { Type } from 'class-transformer';
import { IsArray, IsDateString, IsIn, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { LocationDto } from './common.dto.js';
import { InspectionSpecDto, MoneyDto } from './common.dto.js';
import { IntegrationEvent } from './contract-registry.js';
import { RouteStepDto, SplitPolicyDto } from './orders.events.js';

export class PlannedLotDto {
  @IsString() subtaskId!: string;
  @IsString() stepId!: string;
  @IsString() workshopId!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsDateString() plannedStart!: string;
  @IsDateString() plannedEnd!: string;
  @ValidateNested() @Type(() => MoneyDto) price!: MoneyDto;
}

export class OrderPlannedContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => PlannedLotDto) lots!: PlannedLotDto[];
  @IsDateString() plannedCompletion!: string;
}
IntegrationEvent('matching', 'OrderPlanned')(OrderPlannedContract);

/** No feasible plan now; matching retries when capacity appears. */
export class OrderPlanningFailedContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() reason!: string;
}
IntegrationEvent('matching', 'OrderPlanningFailed')(OrderPlanningFailedContract);

/**
 * Matching gave up on the order: it cannot be planned as submitted, now or later (a figure of it out of
 * range, or planning past its CPU budget). Unlike OrderPlanningFailed, nothing is retried.
 */
export class OrderPlanningAbandonedContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() reason!: string;
}
IntegrationEvent('matching', 'OrderPlanningAbandoned')(OrderPlanningAbandonedContract);

/** Facts about a subtask (one lot of one step at one workshop) that every event about it carries. */
export class SubtaskFacts {
  @IsString() subtaskId!: string;
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() stepId!: string;
  @IsString() process!: string;
  @IsString() workshopId!: string;
  @IsInt() @Min(1) quantity!: number;
  @ValidateNested() @Type(() => MoneyDto) price!: MoneyDto;
}

export class SubtaskOfferedContract extends SubtaskFacts {
  @IsDateString() expiresAt!: string;
  @IsDateString() plannedStart!: string;
  @IsDateString() plannedEnd!: string;
}
IntegrationEvent('matching', 'SubtaskOffered')(SubtaskOfferedContract);

export class SubtaskAcceptedContract extends SubtaskFacts {
  @IsDateString() acceptedAt!: string;
  @IsDateString() plannedEnd!: string;
}
IntegrationEvent('matching', 'SubtaskAccepted')(SubtaskAcceptedContract);

export class SubtaskDeclinedContract extends SubtaskFacts {
  @IsString() reason!: string;
}
IntegrationEvent('matching', 'SubtaskDeclined')(SubtaskDeclinedContract);

export class SubtaskExpiredContract extends SubtaskFacts {}
IntegrationEvent('matching', 'SubtaskExpired')(SubtaskExpiredContract);

export class SubtaskStartedContract extends SubtaskFacts {
  @IsDateString() startedAt!: string;
}
IntegrationEvent('matching', 'SubtaskStarted')(SubtaskStartedContract);

/** The workshop finished the lot; inspection opens an inspection lot for the good quantity. */
export class SubtaskCompletedContract extends SubtaskFacts {
  @IsInt() @Min(0) goodQuantity!: number;
  @IsInt() @Min(0) scrapQuantity!: number;
  @IsDateString() completedAt!: string;
  @IsDateString() dueAt!: string;
  @ValidateNested() @Type(() => InspectionSpecDto) inspection!: InspectionSpecDto;
  /** 0 for the first completion; counts rework rounds. */
  @IsOptional() @IsInt() @Min(0) reworkRound?: number;
}
IntegrationEvent('matching', 'SubtaskCompleted')(SubtaskCompletedContract);

export const SUBTASK_CANCEL_CAUSES = ['order_cancelled', 'workshop_suspended', 'capacity_withdrawn', 'upstream_moved', 'countered', 'order_completed'] as const;
export type SubtaskCancelCause = (typeof SUBTASK_CANCEL_CAUSES)[number];

/** The subtask was cancelled (order cancelled, re-planned elsewhere); its reservation is released. */
export class SubtaskCancelledContract extends SubtaskFacts {
  @IsString() reason!: string;
  /**
   * Why (added by matching; absent on older events): 'order_cancelled', or the plan took the lot from its
   * workshop before work started — 'workshop_suspended', 'capacity_withdrawn', 'upstream_moved' — in
   * which case a LotReplanned with this subtask as `replacedSubtaskId` follows (or OrderPlanningFailed
   * while the lot waits for capacity); 'countered': the planner took the workshop's counter-offer — the
   * same workshop gets a new subtask on its terms (offered and accepted at once) and, for a smaller
   * quantity, a LotReplanned places the rest; 'order_completed': the order completed before work on the
   * lot started (a make-up lot the passed quantity made surplus) — nothing replaces it.
   */
  @IsOptional() @IsIn(SUBTASK_CANCEL_CAUSES) cause?: SubtaskCancelCause;
}
IntegrationEvent('matching', 'SubtaskCancelled')(SubtaskCancelledContract);

/**
 * One lot of an order was planned again (its workshop declined, let the offer expire, or its output
 * failed inspection with disposition 'replan'): the replaced subtask is closed and these lots take
 * its quantity. The rest of the plan is unchanged.
 */
export class LotReplannedContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() stepId!: string;
  @IsString() replacedSubtaskId!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsString() reason!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => PlannedLotDto) lots!: PlannedLotDto[];
}
IntegrationEvent('matching', 'LotReplanned')(LotReplannedContract);

// ---------------------------------------------------------------------------------------------
// Added by matching (progress and risk). Nothing above was renamed or removed.
// ---------------------------------------------------------------------------------------------

/** The workshop reported how many units of a started lot are done (`POST /matching/subtasks/:id/progress`). */
export class SubtaskProgressedContract extends SubtaskFacts {
  @IsInt() @Min(0) doneQuantity!: number;
  @IsDateString() reportedAt!: string;
  @IsDateString() plannedEnd!: string;
}
IntegrationEvent('matching', 'SubtaskProgressed')(SubtaskProgressedContract);

/**
 * Progress lags the plan: at the rate since the lot started it would end after its planned end
 * (`projectedEnd`), or nothing is done with more than half its time gone. Raised once per lot.
 */
export class LotAtRiskContract extends SubtaskFacts {
  @IsInt() @Min(0) doneQuantity!: number;
  @IsDateString() reportedAt!: string;
  @IsDateString() plannedEnd!: string;
  @IsOptional() @IsDateString() projectedEnd?: string;
  @IsString() reason!: string;
}
IntegrationEvent('matching', 'LotAtRisk')(LotAtRiskContract);

// ---------------------------------------------------------------------------------------------
// Added with instant quotes (issue 19). Nothing above was renamed or removed.
// ---------------------------------------------------------------------------------------------

/** The order body a quote was made for (the fields of OrderSubmitted a brand chooses). */
export class QuotedOrderDto {
  @IsString() sku!: string;
  @IsString() productName!: string;
  @IsOptional() @IsArray() @IsString({ each: true }) designFiles?: string[];
  @IsInt() @Min(1) quantity!: number;
  @IsString() unit!: string;
  @IsDateString() dueDate!: string;
  @ValidateNested() @Type(() => LocationDto) delivery!: LocationDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => RouteStepDto) route!: RouteStepDto[];
  @ValidateNested() @Type(() => SplitPolicyDto) splitPolicy!: SplitPolicyDto;
  @IsOptional() @ValidateNested() @Type(() => MoneyDto) budget?: MoneyDto;
}

export class QuotedLotDto {
  @IsString() stepId!: string;
  @IsString() process!: string;
  @IsString() workshopId!: string;
  @IsInt() @Min(1) quantity!: number;
  /** First and last working day (ISO dates). */
  @IsDateString() start!: string;
  @IsDateString() finish!: string;
  @IsInt() @Min(0) priceMinor!: number;
  @IsString() currency!: string;
}

export class QuoteTotalsDto {
  @IsInt() @Min(0) workshopsMinor!: number;
  @IsInt() @Min(0) platformFeeMinor!: number;
  @IsInt() @Min(0) totalMinor!: number;
  @IsString() currency!: string;
}

/**
 * A brand accepted a quote (`POST /quotes/:id/accept`): the orders service submits the order under
 * `orderId` with `quoteId`, and matching books the quoted lots at the quoted prices for it.
 */
export class QuoteAcceptedContract {
  @IsString() quoteId!: string;
  @IsString() brandId!: string;
  @IsString() orderId!: string;
  @IsIn(['cheapest', 'fastest', 'balanced']) option!: 'cheapest' | 'fastest' | 'balanced';
  @ValidateNested() @Type(() => QuotedOrderDto) request!: QuotedOrderDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => QuotedLotDto) lots!: QuotedLotDto[];
  @ValidateNested() @Type(() => QuoteTotalsDto) totals!: QuoteTotalsDto;
  @IsDateString() acceptedAt!: string;
}
IntegrationEvent('matching', 'QuoteAccepted')(QuoteAcceptedContract);
