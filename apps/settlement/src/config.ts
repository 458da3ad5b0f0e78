import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
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

  // Money in (issue 16).

  /**
   * Webhook secrets per payment provider, `name=secret` comma-separated (`sandbox=whsec_…,stripe=whsec_…`).
   * A provider without a secret has no webhook. The embedded network generates and keeps the sandbox's
   * under its data folder (sandbox-provider-secret).
   */
  @IsOptional()
  @IsString()
  MESHFAB_SETTLEMENT_PROVIDER_SECRETS?: string;

  /** How far a webhook's timestamp may be from now before it is refused as a possible replay. */
  @IsInt()
  @Min(10)
  @Max(3600)
  MESHFAB_SETTLEMENT_WEBHOOK_TOLERANCE_SECONDS: number = 300;

  /**
   * Days the funds of a payment by an instant method (card, wallet: reversible by a chargeback) are held
   * before money they paid for can be paid out (Stripe's pending balance and `available_on`). 0: off.
   */
  @IsInt()
  @Min(0)
  @Max(90)
  MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS: number = 0;

  /** How long a funding intent waits for its payment. */
  @IsInt()
  @Min(1)
  @Max(24 * 90)
  MESHFAB_SETTLEMENT_INTENT_TTL_HOURS: number = 72;

  /** Host the sandbox payment provider (`/sandbox-provider/payments`): embedded network, demo, tests. Never in production. */
  @IsBoolean()
  MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: boolean = false;

  /** How often requested payouts are handed to the payout rail (the provider), in ms; each request also starts a round. */
  @IsInt()
  @Min(10)
  @Max(600_000)
  MESHFAB_SETTLEMENT_PAYOUT_DISPATCH_MS: number = 1_000;

  /** An instructed payout the provider has not confirmed after this many ms is instructed again (idempotent per payout). */
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  MESHFAB_SETTLEMENT_PAYOUT_RESEND_AFTER_MS: number = 30_000;

  /** The sandbox's delay before it calls the webhook, in ms. */
  @IsInt()
  @Min(0)
  @Max(60_000)
  MESHFAB_SANDBOX_PROVIDER_DELAY_MS: number = 50;

  /** Share of sandbox payments whose webhook is delivered twice, in percent (real providers redeliver). */
  @IsInt()
  @Min(0)
  @Max(100)
  MESHFAB_SANDBOX_PROVIDER_DUPLICATE_PERCENT: number = 20;

  /** Where the sandbox sends its webhooks; by default this process's own HTTP port. */
  @IsOptional()
  @IsString()
  MESHFAB_SANDBOX_PROVIDER_WEBHOOK_URL?: string;
}
