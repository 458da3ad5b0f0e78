import { Module, type DynamicModule } from '@nestjs/common';
import { MatchingMetrics } from './matching.metrics.js';
import { ServiceDatabaseModule } from '#libs/eventsourcing';
import { loadConfig, ObservabilityModule } from '#libs/platform';
import type { ServiceModuleOptions } from '#libs/runtime';
import { MATCHING_SETTINGS, MatchingConfig, type MatchingSettings } from './config.js';
import { MatchingEventsConsumer } from './matching-events.consumer.js';
import { MatchingController } from './matching.controller.js';
import { matchingMigrations } from './matching.migrations.js';
import { NetworkView } from './network/network-view.js';
import { OrderPlanQuery } from './plan/order-plan.query.js';
import { PlanningService } from './plan/planning.service.js';
import { Reservations } from './plan/reservations.js';
import { SubtaskCommands } from './subtask/subtask-commands.js';
import { SubtaskService } from './subtask/subtask.service.js';
import { CapacityController } from './capacity/capacity.controller.js';
import { CapacityViewQuery } from './capacity/capacity.query.js';
import { PeakDays } from './plan/peak-days.js';
import { QuoteCommands } from './quote/quote-commands.js';
import { QuotePlanner } from './quote/quote-planner.js';
import { QuoteService } from './quote/quote.service.js';
import { QuotedPlans } from './quote/quoted-plans.js';
import { QuotesController } from './quote/quotes.controller.js';

/** The matching service: network view, planner, capacity book, offers and the subtask lifecycle. */
@Module({})
export class MatchingModule {
  static forRoot(options: ServiceModuleOptions): DynamicModule {
    const schema = options.env.MESHFAB_MATCHING_SCHEMA ?? 'matching';
    const settings: MatchingSettings = { config: loadConfig(MatchingConfig, options.env), clock: options.clock ?? (() => new Date()) };
    return {
      module: MatchingModule,
      imports: [ServiceDatabaseModule.forService({ url: options.databaseUrl, schema, migrations: matchingMigrations(schema), ...options.pool }), ObservabilityModule],
      controllers: [MatchingController, MatchingEventsConsumer, QuotesController, CapacityController],
      providers: [
        { provide: MATCHING_SETTINGS, useValue: settings },
        MatchingMetrics,
        NetworkView,
        Reservations,
        SubtaskCommands,
        PlanningService,
        SubtaskService,
        OrderPlanQuery,
        PeakDays,
        QuoteCommands,
        QuotePlanner,
        QuotedPlans,
        QuoteService,
        CapacityViewQuery,
      ],
      exports: [PlanningService, SubtaskService, QuoteService],
    };
  }
}
