import { Type } from 'class-transformer';
import { IsArray, IsDateString, IsInt, IsNumber, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
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
