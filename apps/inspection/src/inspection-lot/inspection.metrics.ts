import { Inject, Injectable } from '@nestjs/common';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MetricsService, readModelGauge } from '#libs/platform';

/** `/metrics`: lots in inspection — waiting for their result (pending) or for a dispute's decision (disputed). */
@Injectable()
export class InspectionMetrics {
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase, @Inject(MetricsService) metrics: MetricsService) {
    readModelGauge(metrics, {
      name: 'meshfab_inspection_lots_open',
      help: 'Inspection lots waiting for a result (status="pending") or for the decision on a dispute (status="disputed")',
      labelNames: ['status'],
      read: async () => {
        const rows: { status: string; n: number }[] = await db.dataSource.query(
          `SELECT s.status, (SELECT count(*)::int FROM ${ident(db.schema)}.inspection_lots l WHERE l.status = s.status) AS n FROM unnest(ARRAY['pending', 'disputed']) AS s(status)`,
        );
        return rows.map((r) => ({ labels: { status: r.status }, value: r.n }));
      },
    });
  }
}
