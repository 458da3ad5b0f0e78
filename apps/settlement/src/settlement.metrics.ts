import { Inject, Injectable } from '@nestjs/common';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { MetricsService, readModelGauge } from '#libs/platform';

/**
 * `/metrics` from settlement's own read models, each read through a partial index over open work only:
 * the money orders' escrow holds for accepted lots, and payouts not yet confirmed paid or failed.
 * Amounts are minor units (exact up to 2^53, which the amounts' CHECKs already guarantee).
 */
@Injectable()
export class SettlementMetrics {
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase, @Inject(MetricsService) metrics: MetricsService) {
    const s = ident(db.schema);
    readModelGauge(metrics, {
      name: 'meshfab_escrow_held_minor',
      help: 'Money held in escrow for accepted lots not yet paid or refunded, in minor units, by currency',
      labelNames: ['currency'],
      read: async () => {
        const rows: { currency: string; total: string }[] = await db.dataSource.query(
          `SELECT currency, sum(price_minor)::text AS total FROM ${s}.lots WHERE status = 'escrowed' GROUP BY currency`,
        );
        return rows.map((r) => ({ labels: { currency: r.currency }, value: Number(r.total) }));
      },
    });
    const payouts = async (): Promise<{ status: string; currency: string; n: number; total: string }[]> =>
      db.dataSource.query(
        `SELECT status, currency, count(*)::int AS n, sum(amount_minor)::text AS total FROM ${s}.payouts
          WHERE status IN ('requested', 'held', 'instructed') GROUP BY status, currency`,
      );
    readModelGauge(metrics, {
      name: 'meshfab_payouts_pending',
      help: 'Payouts not yet confirmed paid or failed: requested, held (workshop suspended) or instructed (with the provider)',
      labelNames: ['status', 'currency'],
      read: async () => (await payouts()).map((r) => ({ labels: { status: r.status, currency: r.currency }, value: r.n })),
    });
    readModelGauge(metrics, {
      name: 'meshfab_payouts_pending_minor',
      help: 'The amount of the pending payouts, in minor units',
      labelNames: ['status', 'currency'],
      read: async () => (await payouts()).map((r) => ({ labels: { status: r.status, currency: r.currency }, value: Number(r.total) })),
    });
  }
}
