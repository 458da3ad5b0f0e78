import { Type } from 'class-transformer';
import { IsArray, IsDateString, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { InspectionSpecDto, LocationDto, MoneyDto } from './common.dto.js';
import { IntegrationEvent } from './contract-registry.js';

export class RouteStepDto {
  @IsString() stepId!: string;
  @IsString() process!: string;
  @IsObject() parameters!: Record<string, unknown>;
  /** Hours of work per unit at reference efficiency. */
  @IsNumber() @Min(0) workContentHoursPerUnit!: number;
  @ValidateNested() @Type(() => InspectionSpecDto) inspection!: InspectionSpecDto;
  @IsArray() @IsString({ each: true }) dependsOn!: string[];
  /**
   * Added by orders (optional; absent = 'per_step'): 'per_lot' lets this step's lots start one by one as
   * their predecessors pass enough quantity (orders publishes LotReleased for each), instead of waiting
   * for the whole order quantity upstream (StepReleased).
   */
  @IsOptional() @IsIn(['per_step', 'per_lot']) handoff?: 'per_step' | 'per_lot';
}

export class SplitPolicyDto {
  @IsOptional() @IsInt() @Min(1) maxWorkshopsPerStep?: number;
  @IsOptional() @IsInt() @Min(1) minLotSize?: number;
}

export class OrderSubmittedContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() sku!: string;
  @IsString() productName!: string;
  /** References (URLs or document ids) to the brand's design files; shown to a workshop only for the steps it holds. */
  @IsOptional() @IsArray() @IsString({ each: true }) designFiles?: string[];
  @IsInt() @Min(1) quantity!: number;
  @IsString() unit!: string;
  @IsDateString() dueDate!: string;
  @ValidateNested() @Type(() => LocationDto) delivery!: LocationDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => RouteStepDto) route!: RouteStepDto[];
  @ValidateNested() @Type(() => SplitPolicyDto) splitPolicy!: SplitPolicyDto;
  @IsOptional() @ValidateNested() @Type(() => MoneyDto) budget?: MoneyDto;
  @IsDateString() submittedAt!: string;
  /** Added with quotes (optional): the accepted quote the order comes from; matching books its quoted plan. */
  @IsOptional() @IsString() quoteId?: string;
}
IntegrationEvent('orders', 'OrderSubmitted')(OrderSubmittedContract);

/** Lots of a step may start: every predecessor has enough passed quantity. */
export class StepReleasedContract {
  @IsString() orderId!: string;
  @IsString() stepId!: string;
  @IsOptional() @IsDateString() releasedAt?: string;
}
IntegrationEvent('orders', 'StepReleased')(StepReleasedContract);

export class OrderCancelledContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() reason!: string;
  @IsOptional() @IsDateString() cancelledAt?: string;
  /** Member id of who cancelled (the brand, or an operator on its behalf). */
  @IsOptional() @IsString() cancelledBy?: string;
}
IntegrationEvent('orders', 'OrderCancelled')(OrderCancelledContract);

export class OrderCompletedContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsDateString() completedAt!: string;
}
IntegrationEvent('orders', 'OrderCompleted')(OrderCompletedContract);

export class OrderFailedContract {
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() reason!: string;
  @IsOptional() @IsDateString() failedAt?: string;
}
IntegrationEvent('orders', 'OrderFailed')(OrderFailedContract);

// ---------------------------------------------------------------------------------------------
// Added by the orders service. Nothing above was renamed or removed.
// ---------------------------------------------------------------------------------------------

/**
 * One lot of a `per_lot` step may start before its whole step is released: every predecessor step has
 * passed inspection for at least the quantity of the lots of this step released so far, this one
 * included. `StepReleased` still follows once every predecessor has passed the whole order quantity
 * (then every lot of the step may start). Consumers that gate a lot's start on `StepReleased` may
 * also accept this lot on `LotReleased`.
 */
export class LotReleasedContract {
  @IsString() orderId!: string;
  @IsString() stepId!: string;
  @IsString() subtaskId!: string;
  @IsString() workshopId!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsDateString() releasedAt!: string;
}
IntegrationEvent('orders', 'LotReleased')(LotReleasedContract);
