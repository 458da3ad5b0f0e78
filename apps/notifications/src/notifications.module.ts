import { Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { ident, ServiceDatabase, ServiceDatabaseModule } from '#libs/eventsourcing';
import { HealthRegistry, loadConfig, ObservabilityModule } from '#libs/platform';
import type { ServiceModuleOptions } from '#libs/runtime';
import { NOTIFICATIONS_CLOCK, NOTIFICATIONS_CONFIG, NotificationsConfig, SECRET_BOX } from './config.js';
import { AnalyticsEventsConsumer } from './analytics/analytics-events.consumer.js';
import { AnalyticsController } from './analytics/analytics.controller.js';
import { AnalyticsProjection } from './analytics/analytics.projection.js';
import { AnalyticsQueries } from './analytics/analytics.queries.js';
import { WebhookDispatcher } from './deliveries/webhook-dispatcher.js';
import { EventStreamController } from './member-events/event-stream.controller.js';
import { MemberEventsConsumer } from './member-events/member-events.consumer.js';
import { DELIVERIES_WRITTEN, MemberEventsService, WakeSignal } from './member-events/member-events.service.js';
import { notificationsMigrations } from './notifications.migrations.js';
import { SecretBox } from './webhook-endpoints/domain/secret-box.js';
import { WebhookEndpointsController } from './webhook-endpoints/webhook-endpoints.controller.js';
import { WebhookEndpointsService } from './webhook-endpoints/webhook-endpoints.service.js';

/** Readiness: fails while more webhook deliveries are due than the configured threshold. */
@Injectable()
class DeliveryBacklogCheck implements OnModuleInit {
  constructor(
    @Inject(ServiceDatabase) private readonly database: ServiceDatabase,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
  ) {}

  onModuleInit(): void {
    const max = this.config.MESHFAB_NOTIFICATIONS_BACKLOG_READY_MAX;
    if (max === 0) return;
    const s = ident(this.database.schema);
    this.health.register('webhook-backlog', async () => {
      const [{ due }]: { due: number }[] = await this.database.dataSource.query(
        `SELECT count(*)::int AS due FROM ${s}.webhook_deliveries d JOIN ${s}.webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.status = 'enabled'`,
      );
      if (due > max) throw new Error(`${due} webhook deliveries are due (MESHFAB_NOTIFICATIONS_BACKLOG_READY_MAX ${max})`);
    });
  }
}

/**
 * Notifications: tells brands and workshops of the events of their orders and lots, by signed webhooks
 * (Standard Webhooks, retried for up to 24 h) and a Server-Sent Events stream; and keeps the analytics read
 * models (utilisation, on-time rate, lead times, defect rates, money flows) from the same events. Consumes the five producers.
 */
@Module({})
export class NotificationsModule {
  static forRoot(options: ServiceModuleOptions): DynamicModule {
    const config = loadConfig(NotificationsConfig, options.env);
    const schema = options.env.MESHFAB_NOTIFICATIONS_SCHEMA ?? config.MESHFAB_NOTIFICATIONS_SCHEMA;
    const signal = new WakeSignal();
    return {
      module: NotificationsModule,
      imports: [ServiceDatabaseModule.forService({ url: options.databaseUrl, schema, migrations: notificationsMigrations(schema), ...options.pool }), ObservabilityModule],
      controllers: [WebhookEndpointsController, EventStreamController, MemberEventsConsumer, AnalyticsEventsConsumer, AnalyticsController],
      providers: [
        { provide: NOTIFICATIONS_CONFIG, useValue: config },
        { provide: NOTIFICATIONS_CLOCK, useValue: options.clock ?? (() => new Date()) },
        { provide: SECRET_BOX, useValue: SecretBox.fromConfig(config.MESHFAB_NOTIFICATIONS_SECRET_KEY) },
        { provide: WakeSignal, useValue: signal },
        { provide: DELIVERIES_WRITTEN, useValue: signal.notify },
        MemberEventsService,
        WebhookEndpointsService,
        WebhookDispatcher,
        DeliveryBacklogCheck,
        AnalyticsProjection,
        AnalyticsQueries,
      ],
    };
  }
}
