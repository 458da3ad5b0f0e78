import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

/** The order body lives in libs/contracts: matching's quotes take the same body. */
export { BudgetDto, RouteStepInputDto, SplitPolicyInputDto, StepInspectionDto, SubmitOrderDto } from '#libs/contracts';

export class CancelOrderDto {
  @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export const ORDER_STATUSES = ['submitted', 'planning', 'in_production', 'awaiting_funds', 'at_risk', 'completed', 'cancelled', 'failed', 'planning_failed'] as const;

export class ListOrdersQuery {
  @IsOptional() @IsIn(ORDER_STATUSES) status?: (typeof ORDER_STATUSES)[number];
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100_000) page?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) pageSize?: number;
  /** Operators only: narrow to one brand. */
  @IsOptional() @IsString() @Length(1, 128) brandId?: string;
}
