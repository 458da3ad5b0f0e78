import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CURRENCIES, INSPECTION_LEVELS, LocationDto, type Currency, type InspectionLevel } from './common.dto.js';

/**
 * The body of an order as a brand sends it: `POST /orders` (orders) and `POST /quotes` (matching: the
 * price and dates of the same order before it is placed) take the same body.
 */

const HANDOFFS = ['per_step', 'per_lot'] as const;
type Handoff = (typeof HANDOFFS)[number];

/** Hard cap on the array sizes the pipe will even look at; the configured route limit is checked by the decider. */
const HARD_ARRAY_CAP = 1000;

export class StepInspectionDto {
  @IsIn(INSPECTION_LEVELS) level!: InspectionLevel;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1000) aql!: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1000) criticalAql?: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1000) minorAql?: number;
}

export class RouteStepInputDto {
  @IsString() @Length(1, 64) stepId!: string;
  @IsString() @Length(1, 64) process!: string;
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @IsPositive() @Max(10_000) workContentHoursPerUnit!: number;
  @IsObject() @ValidateNested() @Type(() => StepInspectionDto) inspection!: StepInspectionDto;
  @IsOptional() @IsArray() @ArrayMaxSize(HARD_ARRAY_CAP) @IsString({ each: true }) dependsOn?: string[];
  /** `per_step` (default): start once every predecessor passed the whole quantity; `per_lot`: lot by lot as quantity passes upstream. */
  @IsOptional() @IsIn(HANDOFFS) handoff?: Handoff;
}

export class SplitPolicyInputDto {
  @IsOptional() @IsInt() @Min(1) maxWorkshopsPerStep?: number;
  @IsOptional() @IsInt() @Min(1) minLotSize?: number;
}

export class BudgetDto {
  @IsInt() @IsPositive() amountMinor!: number;
  @IsIn(CURRENCIES) currency!: Currency;
}

export class SubmitOrderDto {
  /** Only an operator submitting on behalf of a brand names the brand; a brand submits as itself. */
  @IsOptional() @IsString() @Length(1, 128) brandId?: string;
  @IsString() @Length(1, 64) sku!: string;
  @IsString() @Length(1, 200) productName!: string;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(500, { each: true }) designFiles?: string[];
  @IsInt() @IsPositive() quantity!: number;
  @IsString() @Length(1, 20) unit!: string;
  @IsISO8601({ strict: true }) dueDate!: string;
  @IsObject() @ValidateNested() @Type(() => LocationDto) delivery!: LocationDto;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(HARD_ARRAY_CAP) @ValidateNested({ each: true }) @Type(() => RouteStepInputDto) route!: RouteStepInputDto[];
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SplitPolicyInputDto) splitPolicy?: SplitPolicyInputDto;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => BudgetDto) budget?: BudgetDto;
}


/**
 * The order body as plain data, without the brand: what `POST /orders` submits and `POST /quotes` quotes
 * (defaults filled in, the due date normalised to ISO, nested objects copied off the DTO instances).
 */
export function orderRequestOf(dto: SubmitOrderDto) {
  return {
    sku: dto.sku,
    productName: dto.productName,
    ...(dto.designFiles ? { designFiles: dto.designFiles } : {}),
    quantity: dto.quantity,
    unit: dto.unit,
    dueDate: new Date(dto.dueDate).toISOString(),
    delivery: { ...dto.delivery },
    route: dto.route.map((s) => ({
      stepId: s.stepId,
      process: s.process,
      parameters: s.parameters ?? {},
      workContentHoursPerUnit: s.workContentHoursPerUnit,
      inspection: { ...s.inspection },
      dependsOn: s.dependsOn ?? [],
      ...(s.handoff ? { handoff: s.handoff } : {}),
    })),
    splitPolicy: { ...(dto.splitPolicy ?? {}) },
    ...(dto.budget ? { budget: { amountMinor: dto.budget.amountMinor, currency: dto.budget.currency } } : {}),
  };
}
