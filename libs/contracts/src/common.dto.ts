import { IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export const CURRENCIES = ['CNY', 'USD', 'EUR'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** Money in integer minor units (fen for CNY). Never a float. */
export class MoneyDto {
  @IsInt() amountMinor!: number;
  @IsIn(CURRENCIES) currency!: Currency;
}

export class LocationDto {
  @IsNumber() @Min(-90) @Max(90) lat!: number;
  @IsNumber() @Min(-180) @Max(180) lng!: number;
  @IsOptional() @IsString() @Length(1, 100) region?: string;
  @IsOptional() @IsString() @Length(1, 100) city?: string;
}

export const INSPECTION_LEVELS = ['I', 'II', 'III', 'S-1', 'S-2', 'S-3', 'S-4'] as const;
export type InspectionLevel = (typeof INSPECTION_LEVELS)[number];

/** A route step's inspection: ISO 2859-1 level and an AQL per defect class (critical usually 0). */
export class InspectionSpecDto {
  @IsIn(INSPECTION_LEVELS) level!: InspectionLevel;
  @IsNumber() @Min(0) aql!: number;
  @IsOptional() @IsNumber() @Min(0) criticalAql?: number;
  @IsOptional() @IsNumber() @Min(0) minorAql?: number;
}

