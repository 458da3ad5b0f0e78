import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceDatabase, ServiceDatabaseModule } from '#libs/eventsourcing';
import { loadConfig, ObservabilityModule } from '#libs/platform';
import type { ServiceModuleOptions } from '#libs/runtime';
import { SettlementConfig } from './config.js';
import { Ledger } from './ledger/ledger.js';
import { assertPolicy } from './settlement/domain/payment-policy.js';
import { SettlementController } from './settlement/settlement.controller.js';
import { SettlementEventsConsumer } from './settlement/settlement-events.consumer.js';
import { SETTLEMENT_SETTINGS, type SettlementSettings } from './settlement/settlement-settings.js';
import { SettlementService } from './settlement/settlement.service.js';
import { settlementMigrations } from './settlement.migrations.js';

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
    };
    assertPolicy(settings.policy);
    return {
      module: SettlementModule,
      imports: [
        ServiceDatabaseModule.forService({ url: options.databaseUrl, schema, migrations: settlementMigrations(schema), ...options.pool }),
        ObservabilityModule,
      ],
      controllers: [SettlementController, SettlementEventsConsumer],
      providers: [
        { provide: SETTLEMENT_SETTINGS, useValue: settings },
        { provide: Ledger, useFactory: (db: ServiceDatabase) => new Ledger(db.dataSource, db.schema), inject: [ServiceDatabase] },
        SettlementService,
      ],
      exports: [SettlementService, Ledger],
    };
  }
}
