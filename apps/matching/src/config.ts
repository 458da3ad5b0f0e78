import { IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';

/** Matching's own settings, read from the service's env with loadConfig (defaults below). */
export class MatchingConfig {
  /** How long a workshop has to accept an offer (default 24 h). */
  @IsInt() @Min(1) MATCHING_OFFER_EXPIRY_MINUTES: number = 24 * 60;
  /** How often the expiry sweeper looks for offers past their expiry. */
  @IsInt() @Min(50) MATCHING_EXPIRY_SWEEP_MS: number = 30_000;
  /**
   * How often orders and lots waiting for capacity are planned again even without a capacity event:
   * an order whose planning failed while the capacity it needed was being declared (the two events
   * come from different services, in either order) is never left waiting for good.
   */
  @IsInt() @Min(50) MATCHING_RETRY_SWEEP_MS: number = 10_000;
  /** Transport cost of moving one lot one km between consecutive workshops (minor units; 200 = 2 CNY). */
  @IsInt() @Min(0) MATCHING_COST_PER_KM_MINOR: number = 200;
  /** Weight of transport cost in the score (price + w × transport + risk). */
  @IsNumber() @Min(0) MATCHING_TRANSPORT_WEIGHT: number = 1;
  /** Risk = w × (1 − quality score) × price: the expected cost of a failed lot. */
  @IsNumber() @Min(0) MATCHING_RISK_WEIGHT: number = 1;
  /** Quality score assumed for a workshop without a quality record for the process yet. */
  @IsNumber() @Min(0) @Max(1) MATCHING_DEFAULT_QUALITY: number = 0.9;
  /** A capacity declaration without an end date covers this many days from its start. */
  @IsInt() @Min(1) @Max(3650) MATCHING_CAPACITY_HORIZON_DAYS: number = 180;
  /**
   * Candidate shortlist per process and pricing model: the cheapest this many with free time in the
   * regions around the delivery (or the lot's inputs), and the cheapest this many anywhere. Grows ×4
   * twice when capacity turns out short on it, then takes the ×256 cheapest with any free time
   * (shortlistLevels in plan/planning.service.ts).
   */
  @IsInt() @Min(1) MATCHING_CANDIDATES_NEAR: number = 8;
  @IsInt() @Min(1) MATCHING_CANDIDATES_ANYWHERE: number = 4;
  /**
   * The shared optimiser (libs/scheduling) plans when the due date binds: wall-clock budget per plan
   * (split across the lot counts it tries; 0 turns it off — the greedy alone), tabu iterations per
   * model, and how much more a candidate may cost than the cheapest for the step and still be modelled.
   */
  @IsInt() @Min(0) MATCHING_OPTIMISER_BUDGET_MS: number = 20;
  @IsInt() @Min(1) MATCHING_OPTIMISER_ITERATIONS: number = 400;
  @IsNumber() @Min(0) MATCHING_OPTIMISER_COST_SLACK: number = 0.5;
  /**
   * CPU time the pure planner may spend on one order or lot (all its shortlist levels and booking
   * attempts together). Planning yields to the event loop before every planner run; past the budget it
   * stops with a visible outcome (OrderPlanningAbandoned, or the lot waits with the reason).
   */
  @IsInt() @Min(10) MATCHING_PLANNING_BUDGET_MS: number = 2000;
  /**
   * When a planner takes its planning area's lock (an advisory lock per 3° × 3° area, held to commit;
   * README "The capacity book under concurrency"; every booking is checked whatever the setting).
   * `plan`: before reading candidates (the whole plan in turn; measured best on the 2-core machine,
   * bench/README.md "planner"). `book`: it reads candidates and plans outside the lock and takes it to
   * book (a lost race plans again under it). `contended`: only after two lost races (orders of one
   * area that need other workshops never wait for each other).
   */
  @IsIn(['plan', 'book', 'contended']) MESHFAB_MATCHING_AREA_LOCK: 'plan' | 'book' | 'contended' = 'plan';
  /**
   * How the candidate read walks the near region cells (README "Scale: the candidate index"). `per_cell`:
   * the cheapest few with free time in each cell, then the cheapest of those (quick to plan; the faster
   * statement on small networks: candidate read p50 5.5 against 6.7–8.2 ms at 1,000 workshops). `merged`:
   * the cells' cost orders merged, so free time is read only for the workshops the merge walks past (11–12
   * against 15–17 ms at 10,000 workshops, 12 against 24–29 ms at 100,000). `auto` (the default) takes
   * `merged` once the candidate index holds more than MESHFAB_MATCHING_MERGED_FROM_CAPABILITIES rows.
   * bench/README.md "Summary after issue 20's eighth pass".
   */
  @IsIn(['auto', 'per_cell', 'merged']) MESHFAB_MATCHING_CANDIDATE_QUERY: 'auto' | 'per_cell' | 'merged' = 'auto';
  /**
   * With `auto`: the number of active capabilities (workshop × process, PostgreSQL's estimate of the
   * table's rows, read at most once a second) from which the near cells are read `merged`. Measured
   * crossover: between 2,000 (1,000 workshops) and 20,000 (10,000 workshops).
   */
  @IsInt() @Min(0) MESHFAB_MATCHING_MERGED_FROM_CAPABILITIES: number = 5_000;
  /** Orders and lots waiting for capacity that one capacity event re-tries (oldest first). */
  @IsInt() @Min(1) MATCHING_RETRY_BATCH: number = 20;

  // Instant quotes and peak-season capacity (issue 19; README "Quotes" and "Objective").
  /** How long a quote's price and dates stand (`validUntil`). */
  @IsInt() @Min(1) @Max(7 * 24 * 60) MESHFAB_MATCHING_QUOTE_VALID_MINUTES: number = 60;
  /** How long a quote's optional hold books its capacity softly; then it ends by itself. */
  @IsInt() @Min(1) @Max(24 * 60) MESHFAB_MATCHING_QUOTE_HOLD_MINUTES: number = 15;
  /** How often expired holds are released (they also are before every quote). */
  @IsInt() @Min(50) MESHFAB_MATCHING_QUOTE_SWEEP_MS: number = 30_000;
  /** The platform fee a quote shows, in basis points of the lots' prices: settlement's MESHFAB_SETTLEMENT_FEE_BPS. */
  @IsInt() @Min(0) @Max(10_000) MESHFAB_MATCHING_PLATFORM_FEE_BPS: number = 500;
  /**
   * Load levelling: a day is a peak day for a process in a planning area (the 3 × 3 regions around the
   * delivery) when its booked share of the area's declared capacity is at least the threshold. Lots go
   * to off-peak days first when the due date allows, and each lot's score carries
   * penalty × price × (its minutes on peak days ÷ its minutes). Penalty 0 turns levelling off.
   */
  @IsNumber() @Min(0) @Max(1) MESHFAB_MATCHING_PEAK_THRESHOLD: number = 0.8;
  @IsNumber() @Min(0) @Max(10) MESHFAB_MATCHING_PEAK_PENALTY: number = 0.05;
  /** How long a region's peak days are kept before they are read again (ms; 0: every plan reads them). */
  @IsInt() @Min(0) MESHFAB_MATCHING_PEAK_CACHE_MS: number = 60_000;
}

export interface MatchingSettings {
  config: MatchingConfig;
  clock: () => Date;
}

export const MATCHING_SETTINGS = Symbol('MATCHING_SETTINGS');
