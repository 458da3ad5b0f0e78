import type { INestApplication } from '@nestjs/common';
import { ident, type ServiceDatabase } from '#libs/eventsourcing';
import { RELAY_SUBSCRIPTION_ID } from '#libs/messaging';
import type { HealthRegistry, MetricsService } from '#libs/platform';
import { databaseOf, type HostedService } from './event-transport.js';

export interface EventBacklog {
  /** Events each hosted producer stored that its outbox relay has not published yet (Kafka only). */
  outbox: { service: string; events: number }[];
  /** Events of each producer hosted here that a consumer hosted here has not handled yet (embedded transport). */
  lag: { consumer: string; producer: string; events: number }[];
  /** Dead letters and parked/held events per consuming service. */
  letters: { service: string; status: string; count: number }[];
}

/** Events of `producer` after the checkpoint `subscriptionId` kept in `holder` (all of them without a checkpoint). */
async function eventsAfter(producer: ServiceDatabase, holder: ServiceDatabase, subscriptionId: string): Promise<number> {
  const p = ident(producer.schema);
  const h = ident(holder.schema);
  const [row]: { n: string }[] = await producer.dataSource.query(
    `SELECT count(*) AS n FROM ${p}.events e
      WHERE NOT EXISTS (SELECT 1 FROM ${h}.checkpoints c WHERE c.subscription_id = $1 AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.position))`,
    [subscriptionId],
  );
  return Number(row.n);
}

/** Reads the backlog of the services `app` hosts from their own tables. */
export async function readEventBacklog(app: INestApplication, hosted: readonly HostedService[], kind: 'kafka' | 'embedded'): Promise<EventBacklog> {
  const backlog: EventBacklog = { outbox: [], lag: [], letters: [] };
  for (const service of hosted) {
    const database = databaseOf(app, service);
    const name = service.definition.name;
    if (kind === 'kafka') backlog.outbox.push({ service: name, events: await eventsAfter(database, database, RELAY_SUBSCRIPTION_ID) });
    else {
      for (const producer of service.definition.consumes) {
        const source = hosted.find((h) => h.definition.name === producer);
        if (source) backlog.lag.push({ consumer: name, producer, events: await eventsAfter(databaseOf(app, source), database, `embedded-consumer:${producer}`) });
      }
    }
    const letters: { status: string; count: string }[] = await database.dataSource.query(
      `SELECT status, count(*) AS count FROM ${ident(database.schema)}.dead_letters WHERE status IN ('dead', 'parked', 'held') GROUP BY status`,
    );
    for (const l of letters) backlog.letters.push({ service: name, status: l.status, count: Number(l.count) });
  }
  return backlog;
}

/**
 * `/metrics`: the outbox backlog per service (Kafka: stored, not yet published), the consumers' lag per
 * producer (embedded: stored, not yet handled; on Kafka the brokers' consumer-group lag is the source), and
 * dead letters and parked streams per service, read from the services' own tables at each scrape.
 * Readiness (not critical: writes go on): `event-backlog` fails while any of the first two passes `maxBacklog` (0 = never).
 */
export function exposeEventBacklog(
  app: INestApplication,
  hosted: readonly HostedService[],
  kind: 'kafka' | 'embedded',
  metrics: MetricsService,
  health: HealthRegistry,
  maxBacklog: number,
): void {
  metrics.gauge({
    name: 'meshfab_outbox_backlog_events',
    help: 'Events a service stored that its outbox relay has not published to Kafka yet',
    labelNames: ['service'],
    async collect() {
      this.reset();
      if (kind !== 'kafka') return;
      for (const o of (await readEventBacklog(app, hosted, kind)).outbox) this.set({ service: o.service }, o.events);
    },
  });
  metrics.gauge({
    name: 'meshfab_consumer_lag_events',
    help: 'Events of a producer hosted in this process that a consumer hosted here has not handled yet (embedded transport)',
    labelNames: ['consumer', 'producer'],
    async collect() {
      this.reset();
      if (kind !== 'embedded') return;
      for (const l of (await readEventBacklog(app, hosted, kind)).lag) this.set({ consumer: l.consumer, producer: l.producer }, l.events);
    },
  });
  metrics.gauge({
    name: 'meshfab_dead_letters',
    help: "Events a service's consumer dead-lettered (dead), parked (a stream stopped) or holds behind a parked one (held)",
    labelNames: ['service', 'status'],
    async collect() {
      this.reset();
      for (const l of (await readEventBacklog(app, hosted, kind)).letters) this.set({ service: l.service, status: l.status }, l.count);
    },
  });
  if (maxBacklog > 0) {
    health.register('event-backlog', async () => {
      const backlog = await readEventBacklog(app, hosted, kind);
      const over = [
        ...backlog.outbox.filter((o) => o.events > maxBacklog).map((o) => `${o.service}'s outbox holds ${o.events} unpublished events`),
        ...backlog.lag.filter((l) => l.events > maxBacklog).map((l) => `${l.consumer} is ${l.events} events behind ${l.producer}`),
      ];
      if (over.length > 0) throw new Error(`${over.join('; ')} (MESHFAB_READY_MAX_BACKLOG ${maxBacklog})`);
    });
  }
}
