import { IsInt, IsNumber, IsOptional, IsString, Max, Matches, Min } from 'class-validator';

/**
 * The orders service's own settings (read from the environment with loadConfig, validated at start-up).
 * Limits are documented in apps/orders/README.md.
 */
export class OrdersConfig {
  @IsOptional() @IsString() @Matches(/^[a-z_][a-z0-9_]{0,62}$/)
  MESHFAB_ORDERS_SCHEMA: string = 'orders';

  /** Most steps one route may have. */
  @IsInt() @Min(1) @Max(1000)
  ORDERS_MAX_ROUTE_STEPS: number = 50;

  /** Most predecessors one step may name. */
  @IsInt() @Min(1) @Max(1000)
  ORDERS_MAX_DEPENDENCIES_PER_STEP: number = 20;

  /** Largest `parameters` object of one step, in characters of JSON. */
  @IsInt() @Min(2)
  ORDERS_MAX_STEP_PARAMETER_CHARS: number = 4096;

  /** Largest order quantity. */
  @IsInt() @Min(1)
  ORDERS_MAX_QUANTITY: number = 1_000_000;

  /**
   * Most shop hours one process may need over an order (quantity × the work content per unit of its
   * steps of that process). Matching books capacity in whole minutes in 32-bit columns: an order past
   * this limit could never be planned, so it is refused at submission.
   */
  @IsInt() @Min(1) @Max(30_000_000)
  ORDERS_MAX_WORK_HOURS_PER_PROCESS: number = 10_000_000;

  /** Most workshops one step's quantity may be spread over when computing the route's minimal duration. */
  @IsInt() @Min(1)
  ORDERS_MAX_PARALLEL_WORKSHOPS: number = 10;

  /** Shop hours per calendar day assumed for the minimal duration. */
  @IsNumber() @Min(1) @Max(24)
  ORDERS_SHOP_HOURS_PER_DAY: number = 8;

  /**
   * Failed inspections a step may have, per lot it is split into (a step made in one lot: this many),
   * before the order fails.
   */
  @IsInt() @Min(0)
  ORDERS_MAX_INSPECTION_FAILURES_PER_STEP: number = 3;

  /** `meshfab_orders` (orders by status) is counted at most once per this many ms; scrapes in between see the last count. */
  @IsInt() @Min(0)
  MESHFAB_ORDERS_METRICS_REFRESH_MS: number = 15_000;
}

export const ORDERS_CONFIG = Symbol('ORDERS_CONFIG');
export const ORDERS_CLOCK = Symbol('ORDERS_CLOCK');
export type Clock = () => Date;
