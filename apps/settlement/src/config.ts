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
}
