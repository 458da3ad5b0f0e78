import { IsIn, IsISO8601, IsOptional, IsString, Length } from 'class-validator';

export class CapacityQuery {
  /** A region as workshops declare it in their location (absent: the whole network). */
  @IsOptional() @IsString() @Length(1, 100) region?: string;
  /** A process (absent: every process). */
  @IsOptional() @IsString() @Length(1, 64) process?: string;
  /** First and last day (ISO dates, inclusive; at most 366 days). */
  @IsISO8601({ strict: true }) from!: string;
  @IsISO8601({ strict: true }) to!: string;
  /** `day` (default) or `week` (ISO weeks, from Monday). */
  @IsOptional() @IsIn(['day', 'week']) granularity?: 'day' | 'week';
}

/** Hours of one day or week, summed over the workshops: no workshop or brand is named. */
export class CapacityPeriodDto {
  /** First day of the period (ISO date). */
  start!: string;
  capacityHours!: number;
  /** Booked by offers, accepted lots and quote holds. */
  bookedHours!: number;
  freeHours!: number;
  /** booked ÷ capacity (0 when nothing is declared). */
  utilisation!: number;
  /** How many workshops declared capacity in the period. */
  workshops!: number;
}

export class CapacityViewDto {
  region!: string | null;
  process!: string | null;
  granularity!: string;
  from!: string;
  to!: string;
  periods!: CapacityPeriodDto[];
}
