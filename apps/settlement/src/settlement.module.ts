import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceDatabase, ServiceDatabaseModule } from '#libs/eventsourcing';
import { loadConfig, ObservabilityModule } from '#libs/platform';
import type { ServiceModuleOptions } from '#libs/runtime';
import { SettlementConfig } from './config.js';
import { FundingController } from './funding/funding.controller.js';
import { FundingService } from './funding/funding.service.js';
import { FUNDING_SETTINGS, type FundingSettings } from './funding/funding-settings.js';
import { StandardWebhooksProvider } from './funding/payment-provider.js';
import { parseProviderSecrets } from './funding/standard-webhooks.js';
import { SandboxProviderModule } from './sandbox-provider/sandbox-provider.module.js';
import type { LedgerLimits } from './ledger/domain/limits.js';
import { Ledger } from './ledger/ledger.js';
import { PAYOUT_DISPATCH, PayoutDispatcher } from './payouts/payout-dispatcher.js';
import { PayoutService } from './payouts/payout.service.js';
import { PayoutsController } from './payouts/payouts.controller.js';
import { assertPolicy } from './settlement/domain/payment-policy.js';
import { SettlementController } from './settlement/settlement.controller.js';
import { SettlementEventsConsumer } from './settlement/settlement-events.consumer.js';
import { SETTLEMENT_SETTINGS, type SettlementSettings } from './settlement/settlement-settings.js';
import { SettlementService } from './settlement/settlement.service.js';
import { settlementMigrations } from './settlement.migrations.js';
import { SettlementMetrics } from './settlement.metrics.js';

/** Settlement: double-entry ledger, escrow per order, release on inspection, payouts, statements. */
@Module({})
export class SettlementModule {
  static forRoot(options: ServiceModuleOptions): DynamicModule {
    const config = loadConfig(SettlementConfig, options.env);
    const schema = config.MESHFAB_SETTLEMENT_SCHEMA;
    const settings: SettlementSettings = {
      policy: {
        feeBps: config.MESHFAB_SETTLEMENT_FEE_BPS,
        penaltyBpsPerDay: config.MESHFAB_SETTLEMENT_PENALTY_BPS_PER_DAY,
        penaltyCapBps: config.MESHFAB_SETTLEMENT_PENALTY_CAP_BPS,
        graceHours: config.MESHFAB_SETTLEMENT_PENALTY_GRACE_HOURS,
      },
      currency: config.MESHFAB_SETTLEMENT_CURRENCY,
      clock: options.clock ?? (() => new Date()),
      instantFundsHoldDays: config.MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS,
    };
    assertPolicy(settings.policy);
    // Money in: one webhook adapter per provider with a secret; the sandbox provider only when asked for.
    const secrets = parseProviderSecrets(config.MESHFAB_SETTLEMENT_PROVIDER_SECRETS);
    const tolerance = config.MESHFAB_SETTLEMENT_WEBHOOK_TOLERANCE_SECONDS;
    const funding: FundingSettings = {
      intentTtlMs: config.MESHFAB_SETTLEMENT_INTENT_TTL_HOURS * 3_600_000,
      providers: new Map([...secrets].map(([name, secret]) => [name, new StandardWebhooksProvider(name, secret, tolerance)])),
      clock: settings.clock,
      instantFundsHoldDays: settings.instantFundsHoldDays,
    };
    const sandboxSecret = secrets.get('sandbox');
    if (config.MESHFAB_SETTLEMENT_SANDBOX_PROVIDER && !sandboxSecret) {
      throw new Error('MESHFAB_SETTLEMENT_SANDBOX_PROVIDER is on but MESHFAB_SETTLEMENT_PROVIDER_SECRETS has no sandbox=<secret>');
    }
    const sandbox =
      config.MESHFAB_SETTLEMENT_SANDBOX_PROVIDER && sandboxSecret
        ? [
            SandboxProviderModule.forRoot({
              secret: sandboxSecret,
              delayMs: config.MESHFAB_SANDBOX_PROVIDER_DELAY_MS,
              duplicateRate: config.MESHFAB_SANDBOX_PROVIDER_DUPLICATE_PERCENT / 100,
              webhookUrl: config.MESHFAB_SANDBOX_PROVIDER_WEBHOOK_URL,
            }),
          ]
        : [];
    // Checked together (assertLimits) when the Ledger is built at start-up.
    const limits: LedgerLimits = {
      maxDepositMinor: BigInt(config.MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR),
      maxFundingIntentMinor: BigInt(config.MESHFAB_SETTLEMENT_MAX_FUNDING_INTENT_MINOR),
      maxBalanceMinor: BigInt(config.MESHFAB_SETTLEMENT_MAX_BALANCE_MINOR),
      maxPooledBalanceMinor: BigInt(config.MESHFAB_SETTLEMENT_MAX_POOLED_BALANCE_MINOR),
      pooledShards: config.MESHFAB_SETTLEMENT_POOLED_ACCOUNT_SHARDS,
    };
    return {
      module: SettlementModule,
      imports: [
        ServiceDatabaseModule.forService({ url: options.databaseUrl, schema, migrations: settlementMigrations(schema), ...options.pool }),
        ObservabilityModule,
        ...sandbox,
      ],
      controllers: [SettlementController, SettlementEventsConsumer, FundingController, PayoutsController],
      providers: [
        { provide: SETTLEMENT_SETTINGS, useValue: settings },
        { provide: Ledger, useFactory: (db: ServiceDatabase) => new Ledger(db.dataSource, db.schema, limits), inject: [ServiceDatabase] },
        SettlementService,
        SettlementMetrics,
        PayoutService,
        { provide: PAYOUT_DISPATCH, useValue: { intervalMs: config.MESHFAB_SETTLEMENT_PAYOUT_DISPATCH_MS, resendAfterMs: config.MESHFAB_SETTLEMENT_PAYOUT_RESEND_AFTER_MS } },
        PayoutDispatcher,
        { provide: FUNDING_SETTINGS, useValue: funding },
        FundingService,
      ],
      exports: [SettlementService, PayoutService, Ledger],
    };
  }
}
