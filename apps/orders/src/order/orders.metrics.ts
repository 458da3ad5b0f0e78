import { Inject, Injectable } from '@nestjs/common';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MetricsService, readModelGauge } from '#libs/platform';
import { ORDERS_CONFIG, type OrdersConfig } from '../config.js';

/**
 * `/metrics`: orders by status, counted in the orders service's own read model (`order_summary`, through
 * its status index). Terminal statuses grow with history, so the count is refreshed at most once per
 * MESHFAB_ORDERS_METRICS_REFRESH_MS.
 */
@Injectable()
export class OrdersMetrics {
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase, @Inject(MetricsService) metrics: MetricsService, @Inject(ORDERS_CONFIG) config: OrdersConfig) {
    readModelGauge(metrics, {
      name: 'meshfab_orders',
      help: 'Orders by status (the orders service read model)',
      labelNames: ['status'],
      refreshMs: config.MESHFAB_ORDERS_METRICS_REFRESH_MS,
      read: async () => {
        const rows: { status: string; n: number }[] = await db.dataSource.query(`SELECT status, count(*)::int AS n FROM ${ident(db.schema)}.order_summary GROUP BY status`);
        return rows.map((r) => ({ labels: { status: r.status }, value: r.n }));
      },
    });
  }
}
