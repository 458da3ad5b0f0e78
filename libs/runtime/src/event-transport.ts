import type { INestApplication } from '@nestjs/common';
import { ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer, KafkaEventConsumer, KafkaOutboxRelay, type RetryPolicy } from '#libs/messaging';
import type { MeshfabServiceDefinition } from './service-definition.js';

export type EventTransportSettings =
  | { kind: 'kafka'; brokers: readonly string[]; retry?: Partial<RetryPolicy> }
  | { kind: 'embedded'; bus?: EmbeddedEventBus; pollIntervalMs?: number; retry?: Partial<RetryPolicy> };

export interface ConnectedTransport {
  kind: EventTransportSettings['kind'];
  /** Stops the outbox relays (after the batch in hand); the consumers stop with the app. */
  stop(): Promise<void>;
}

export function databaseOf(app: INestApplication, service: MeshfabServiceDefinition): ServiceDatabase {
  return app.select(service.moduleClass).get(ServiceDatabase);
}

/**
 * Wires the services hosted by `app` to the event transport: with Kafka, an outbox relay per service
 * and a consumer group per consuming service; embedded, each service's log on the in-process bus and
 * a catch-up consumer per consuming service. Call `app.startAllMicroservices()` afterwards.
 */
export async function connectEventTransport(
  app: INestApplication,
  services: readonly MeshfabServiceDefinition[],
  settings: EventTransportSettings,
): Promise<ConnectedTransport> {
  if (settings.kind === 'kafka') {
    const relays: KafkaOutboxRelay[] = [];
    for (const service of services) {
      const database = databaseOf(app, service);
      const relay = new KafkaOutboxRelay({ producer: service.name, database, brokers: settings.brokers });
      await relay.start();
      relays.push(relay);
      if (service.consumes.length > 0) {
        app.connectMicroservice(
          { strategy: new KafkaEventConsumer({ consumer: service.name, producers: service.consumes, database, brokers: settings.brokers, retry: settings.retry }) },
          { inheritAppConfig: true },
        );
      }
    }
    return { kind: 'kafka', stop: async () => void (await Promise.all(relays.map((r) => r.stop()))) };
  }
  const bus = settings.bus ?? new EmbeddedEventBus();
  for (const service of services) {
    const database = databaseOf(app, service);
    bus.register(service.name, database.log);
    database.onAppend(() => bus.notify(service.name));
  }
  for (const service of services) {
    if (service.consumes.length === 0) continue;
    const consumer = new EmbeddedEventConsumer({
      consumer: service.name,
      producers: service.consumes,
      database: databaseOf(app, service),
      bus,
      pollIntervalMs: settings.pollIntervalMs ?? 50,
      retry: settings.retry,
    });
    app.connectMicroservice({ strategy: consumer }, { inheritAppConfig: true });
  }
  return { kind: 'embedded', stop: async () => undefined };
}
