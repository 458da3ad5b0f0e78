import { Logger, type DynamicModule, type INestApplication } from '@nestjs/common';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dispatchTallies, EmbeddedEventBus, EmbeddedEventConsumer, KafkaEventConsumer, KafkaOutboxRelay, KafkaReachability, type RetryPolicy } from '#libs/messaging';
import { HealthRegistry, MetricsService } from '#libs/platform';
import type { MeshfabServiceDefinition } from './service-definition.js';

export type EventTransportSettings =
  | { kind: 'kafka'; brokers: readonly string[]; namespace?: string; retry?: Partial<RetryPolicy> }
  | { kind: 'embedded'; bus?: EmbeddedEventBus; pollIntervalMs?: number; retry?: Partial<RetryPolicy> };

export interface ConnectedTransport {
  kind: EventTransportSettings['kind'];
  /** Stops the outbox relays (after the batch in hand); the consumers stop with the app. */
  stop(): Promise<void>;
}

/** A service as hosted by an app: its definition, the module the app imported, and its schema. */
export interface HostedService {
  definition: MeshfabServiceDefinition;
  module: DynamicModule;
  /** `MESHFAB_<NAME>_SCHEMA` or the service's name (the convention every service module follows). */
  schema: string;
}

/** The environment variable that names a service's schema. */
export function schemaVariable(service: string): string {
  return `MESHFAB_${service.toUpperCase()}_SCHEMA`;
}

export function schemaOf(definition: MeshfabServiceDefinition, env: Record<string, string | undefined>): string {
  return env[schemaVariable(definition.name)] ?? definition.name;
}

/** The service's own ServiceDatabase: several live in one app when services share a process. */
export function databaseOf(app: INestApplication, service: HostedService): ServiceDatabase {
  const all = app.get(ServiceDatabase, { strict: false, each: true });
  const mine = all.find((db) => db.schema === service.schema);
  if (!mine) throw new Error(`No ServiceDatabase for ${service.definition.name} (schema ${service.schema}) in this app`);
  return mine;
}

/**
 * Wires the services hosted by `app` to the event transport: with Kafka, an outbox relay per service
 * and a consumer group per consuming service; embedded, each service's log on the in-process bus and
 * a catch-up consumer per consuming service. Call `app.startAllMicroservices()` afterwards.
 */
export async function connectEventTransport(
  app: INestApplication,
  hosted: readonly HostedService[],
  settings: EventTransportSettings,
): Promise<ConnectedTransport> {
  exposeDispatchTallies(app.get(MetricsService, { strict: false }));
  // Readiness, and the write gate it feeds: each service's PostgreSQL, and the broker when on Kafka.
  const health = app.get(HealthRegistry, { strict: false });
  for (const service of hosted) {
    const database = databaseOf(app, service);
    health.register(`postgresql:${service.definition.name}`, () => database.ping(), { critical: true, dependency: 'PostgreSQL' });
  }
  if (settings.kind === 'kafka') {
    const reachability = new KafkaReachability(settings.brokers);
    health.register('kafka', () => reachability.check(), { critical: true, dependency: 'Kafka' });
    const relays: KafkaOutboxRelay[] = [];
    for (const service of hosted) {
      const database = databaseOf(app, service);
      const { name, consumes } = service.definition;
      const relay = new KafkaOutboxRelay({ producer: name, database, brokers: settings.brokers, namespace: settings.namespace, reachability });
      await relay.start();
      relays.push(relay);
      if (consumes.length > 0) {
        app.connectMicroservice(
          { strategy: new KafkaEventConsumer({ consumer: name, producers: consumes, database, brokers: settings.brokers, namespace: settings.namespace, retry: settings.retry, reachability }) },
          { inheritAppConfig: true },
        );
      }
    }
    return {
      kind: 'kafka',
      stop: async () => {
        await Promise.all(relays.map((r) => r.stop()));
        await reachability.close();
      },
    };
  }
  const bus = settings.bus ?? new EmbeddedEventBus();
  for (const service of hosted) {
    const database = databaseOf(app, service);
    bus.register(service.definition.name, database.log);
    database.onAppend(() => bus.notify(service.definition.name));
  }
  const hostedNames = new Set(hosted.map((h) => h.definition.name));
  for (const service of hosted) {
    // In-process, a service can only hear the producers hosted with it; the network hosts all five.
    const producers = service.definition.consumes.filter((p) => hostedNames.has(p));
    const missing = service.definition.consumes.filter((p) => !hostedNames.has(p));
    if (missing.length > 0) new Logger('EventTransport').warn(`${service.definition.name} will not hear ${missing.join(', ')}: not hosted in this process`);
    if (producers.length === 0) continue;
    const consumer = new EmbeddedEventConsumer({
      consumer: service.definition.name,
      producers,
      database: databaseOf(app, service),
      bus,
      pollIntervalMs: settings.pollIntervalMs ?? 50,
      retry: settings.retry,
    });
    app.connectMicroservice({ strategy: consumer }, { inheritAppConfig: true });
  }
  return { kind: 'embedded', stop: async () => undefined };
}

/** The consumers' counts of handled events and of redeliveries the inbox skipped, read at each scrape. */
function exposeDispatchTallies(metrics: MetricsService): void {
  const expose = (name: string, help: string, kind: 'handled' | 'duplicates') =>
    metrics.counter({
      name,
      help,
      labelNames: ['consumer'],
      collect() {
        this.reset();
        for (const [consumer, tally] of dispatchTallies()) this.inc({ consumer }, tally[kind]);
      },
    });
  expose('meshfab_events_handled_total', 'Events the consumers of this process handled (each once, in its inbox transaction)', 'handled');
  expose('meshfab_inbox_duplicates_total', 'Redelivered events the inboxes of the consumers of this process recognised and skipped', 'duplicates');
}
