import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { CursorPageQueryDto } from '#libs/platform';

/** The order body lives in libs/contracts: matching's quotes take the same body. */
export { BudgetDto, RouteStepInputDto, SplitPolicyInputDto, StepInspectionDto, SubmitOrderDto } from '#libs/contracts';

export class CancelOrderDto {
  @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export const ORDER_STATUSES = ['submitted', 'planning', 'in_production', 'awaiting_funds', 'at_risk', 'completed', 'cancelled', 'failed', 'planning_failed'] as const;

export class ListOrdersQuery extends CursorPageQueryDto {
  @IsOptional() @IsIn(ORDER_STATUSES) status?: (typeof ORDER_STATUSES)[number];
  /** Operators only: narrow to one brand. */
  @IsOptional() @IsString() @Length(1, 128) brandId?: string;
}
