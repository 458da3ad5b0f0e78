import { Inject, Injectable } from '@nestjs/common';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MetricsService, readModelGauge } from '#libs/platform';

/**
 * `/metrics` from matching's own read models, each counted through a partial index over open work only
 * (bounded by what is in flight, not by history): offers waiting for their workshop's answer, and the
 * planning queue — orders that found no plan and wait for capacity, lots waiting to be placed again.
 */
@Injectable()
export class MatchingMetrics {
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase, @Inject(MetricsService) metrics: MetricsService) {
    const s = ident(db.schema);
    readModelGauge(metrics, {
      name: 'meshfab_offers_pending',
      help: "Offers (subtasks) waiting for their workshop's answer",
      labelNames: [],
      read: async () => {
        const [row]: { n: number }[] = await db.dataSource.query(`SELECT count(*)::int AS n FROM ${s}.subtasks WHERE status = 'offered'`);
        return [{ labels: {}, value: row.n }];
      },
    });
    readModelGauge(metrics, {
      name: 'meshfab_planning_queue_depth',
      help: 'What waits for capacity to be planned: orders with no plan yet (queue="orders"), lots to place again (queue="lots")',
      labelNames: ['queue'],
      read: async () => {
        const [row]: { orders: number; lots: number }[] = await db.dataSource.query(
          `SELECT (SELECT count(*)::int FROM ${s}.order_plans WHERE status = 'failed') AS orders, (SELECT count(*)::int FROM ${s}.pending_lots) AS lots`,
        );
        return [
          { labels: { queue: 'orders' }, value: row.orders },
          { labels: { queue: 'lots' }, value: row.lots },
        ];
      },
    });
  }
}
