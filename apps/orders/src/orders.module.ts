import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceDatabaseModule } from '#libs/eventsourcing';
import { loadConfig, ObservabilityModule } from '#libs/platform';
import type { ServiceModuleOptions } from '#libs/runtime';
import { ORDERS_CLOCK, ORDERS_CONFIG, OrdersConfig } from './config.js';
import { BrandDisplayNames, BrandDisplayNamesConsumer } from './order/brand-display-names.js';
import { OrderCommands } from './order/order-commands.service.js';
import { OrderQueries } from './order/order-queries.service.js';
import { OrderSagaConsumer } from './order/order-saga.consumer.js';
import { QuoteAcceptedConsumer } from './order/quote-accepted.consumer.js';
import { OrdersController } from './order/orders.controller.js';
import { OrdersMetrics } from './order/orders.metrics.js';
import { ordersMigrations } from './orders.migrations.js';

/** The orders service: order intake (POST /orders), the order saga and the brand's views of its orders. */
@Module({})
export class OrdersModule {
  static forRoot(options: ServiceModuleOptions): DynamicModule {
    const config = loadConfig(OrdersConfig, options.env);
    const schema = options.env.MESHFAB_ORDERS_SCHEMA ?? 'orders';
    return {
      module: OrdersModule,
      imports: [
        ServiceDatabaseModule.forService({ url: options.databaseUrl, schema, migrations: ordersMigrations(schema), ...options.pool }),
        ObservabilityModule,
      ],
      controllers: [OrdersController, OrderSagaConsumer, BrandDisplayNamesConsumer, QuoteAcceptedConsumer],
      providers: [
        { provide: ORDERS_CONFIG, useValue: config },
        { provide: ORDERS_CLOCK, useValue: options.clock ?? (() => new Date()) },
        OrderCommands,
        OrderQueries,
        BrandDisplayNames,
        OrdersMetrics,
      ],
    };
  }
}
