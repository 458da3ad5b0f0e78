import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import type { PaymentProviders } from './payment-provider.js';

/** Money-in settings, read from the service's env with loadConfig at start-up (defaults below). */
export class FundingConfig {
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

  /** How long a funding intent waits for its payment. */
  @IsInt()
  @Min(1)
  @Max(24 * 90)
  MESHFAB_SETTLEMENT_INTENT_TTL_HOURS: number = 72;

  /** Host the sandbox payment provider (`/sandbox-provider/payments`): embedded network, demo, tests. Never in production. */
  @IsBoolean()
  MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: boolean = false;

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

export const FUNDING_SETTINGS = Symbol('FUNDING_SETTINGS');

export interface FundingSettings {
  intentTtlMs: number;
  providers: PaymentProviders;
  clock: () => Date;
}
