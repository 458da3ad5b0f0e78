import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { CURRENCIES } from '#libs/contracts';

/** Settlement's own settings, read from the service's env with loadConfig (defaults below). */
export class SettlementConfig {
  /** PostgreSQL schema the service owns. */
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/)
  MESHFAB_SETTLEMENT_SCHEMA: string = 'settlement';

  /** Platform fee on each released lot, in basis points of its price (500 = 5 %). */
  @IsInt()
  @Min(0)
  @Max(10_000)
  MESHFAB_SETTLEMENT_FEE_BPS: number = 500;

  /** Late-delivery penalty per started day late, in basis points of the lot's price (100 = 1 %/day). */
  @IsInt()
  @Min(0)
  @Max(10_000)
  MESHFAB_SETTLEMENT_PENALTY_BPS_PER_DAY: number = 100;

  /** Upper bound of the late penalty, in basis points of the lot's price (1000 = 10 %). */
  @IsInt()
  @Min(0)
  @Max(10_000)
  MESHFAB_SETTLEMENT_PENALTY_CAP_BPS: number = 1000;

  /** Hours after the due time before a delivery counts as late. */
  @IsInt()
  @Min(0)
  MESHFAB_SETTLEMENT_PENALTY_GRACE_HOURS: number = 0;

  /** Currency of payouts and of statements of orders without lots when none is given. */
  @IsIn(CURRENCIES)
  MESHFAB_SETTLEMENT_CURRENCY: string = 'CNY';

  // Caps (issue 16), in minor units: exceeding one answers 422 naming it, nothing stored. Checked
  // together at start-up (assertLimits): pooled cap × shards must stay within Number.MAX_SAFE_INTEGER.

  /** Largest single deposit or confirmed credit. */
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR: number = 1_000_000_000_000;

  /** Largest single funding intent. */
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  MESHFAB_SETTLEMENT_MAX_FUNDING_INTENT_MINOR: number = 1_000_000_000_000;

  /** Largest balance (either sign) of any member account: funds, escrow, payable, payout pending. */
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  MESHFAB_SETTLEMENT_MAX_BALANCE_MINOR: number = 1_000_000_000_000;

  /** Largest balance (either sign) of each shard of a pooled account (platform fees, bank clearing). */
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  MESHFAB_SETTLEMENT_MAX_POOLED_BALANCE_MINOR: number = 100_000_000_000_000;

  /** Sub-accounts each pooled account is spread over, so releases of one currency do not queue on one row. */
  @IsInt()
  @Min(1)
  @Max(1024)
  MESHFAB_SETTLEMENT_POOLED_ACCOUNT_SHARDS: number = 32;
}
