import { Logger, type DynamicModule, type INestApplication } from '@nestjs/common';
import { ServiceDatabase, streamStateCacheTallies } from '#libs/eventsourcing';
import { consumerGroup } from '#libs/contracts';
import {
  bootstrapTallies,
  dispatchTallies,
  EmbeddedEventBus,
  EmbeddedEventConsumer,
  KafkaConsumerLag,
  KafkaEventConsumer,
  KafkaOutboxRelay,
  HttpEventFeed,
  KafkaReachability,
  LocalEventFeed,
  lostHistoryReports,
  type EventFeed,
  type LostHistory,
  relayTallies,
  type RelayTally,
  type RelayCompression,
  type RetryPolicy,
  type KafkaSecurity,
} from '#libs/messaging';
import { HealthRegistry, MetricsService } from '#libs/platform';
import { exposeEventBacklog } from './event-backlog.js';
import type { MeshfabServiceDefinition } from './service-definition.js';

export type EventTransportSettings =
  | {
      kind: 'kafka';
      brokers: readonly string[];
      /** TLS and SASL of every Kafka client of the host (RuntimeConfig.kafkaSecurity()); unset: PLAINTEXT. */
      security?: KafkaSecurity;
      namespace?: string;
      retry?: Partial<RetryPolicy>;
      maxRequestBytes?: number;
      compression?: RelayCompression;
      /** How long a reading of the brokers' consumer-group lag is reused for `/metrics` (default 10 s). */
      consumerLagCacheMs?: number;
      /** Where the producers hosted elsewhere answer, and the token to read their event feeds with (see RuntimeConfig.serviceUrls). */
      feeds?: { urls: Partial<Record<string, string>>; token?: string };
    }
  | { kind: 'embedded'; bus?: EmbeddedEventBus; pollIntervalMs?: number; retry?: Partial<RetryPolicy>; /** See RuntimeConfig.MESHFAB_EMBEDDED_LANES (default 1). */ lanes?: number };

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
  /** Readiness fails while an outbox or a consumer is more events behind than this (0 = never). */
  readyMaxBacklog = 0,
): Promise<ConnectedTransport> {
  exposeDispatchTallies(app.get(MetricsService, { strict: false }));
  exposeStreamStateCaches(app.get(MetricsService, { strict: false }));
  exposeKafkaTallies(app.get(MetricsService, { strict: false }));
  // Readiness, and the write gate it feeds: each service's PostgreSQL, and the broker when on Kafka.
  const health = app.get(HealthRegistry, { strict: false });
  exposeEventBacklog(app, hosted, settings.kind, app.get(MetricsService, { strict: false }), health, readyMaxBacklog);
  for (const service of hosted) {
    const database = databaseOf(app, service);
    health.register(`postgresql:${service.definition.name}`, () => database.ping(), { critical: true, dependency: 'PostgreSQL' });
  }
  if (settings.kind === 'kafka') {
    const reachability = new KafkaReachability(settings.brokers, undefined, settings.security);
    health.register('kafka', () => reachability.check(), { critical: true, dependency: 'Kafka' });
    health.register('event-history', () => checkEventHistory(hosted, settings.namespace));
    const consumerLag = exposeKafkaConsumerLag(app.get(MetricsService, { strict: false }), hosted, settings);
    const relays: KafkaOutboxRelay[] = [];
    for (const service of hosted) {
      const database = databaseOf(app, service);
      const { name, consumes } = service.definition;
      const relay = new KafkaOutboxRelay({
        producer: name,
        database,
        brokers: settings.brokers,
        security: settings.security,
        namespace: settings.namespace,
        reachability,
        maxRequestBytes: settings.maxRequestBytes,
        compression: settings.compression,
      });
      await relay.start();
      relays.push(relay);
      if (consumes.length > 0) {
        app.connectMicroservice(
          {
            strategy: new KafkaEventConsumer({
              consumer: name,
              producers: consumes,
              database,
              brokers: settings.brokers,
              security: settings.security,
              namespace: settings.namespace,
              retry: settings.retry,
              reachability,
              parksStreams: service.definition.parksStreams,
              eventFeeds: eventFeedsOf(app, hosted, consumes, settings.feeds),
            }),
          },
          { inheritAppConfig: true },
        );
      }
    }
    return {
      kind: 'kafka',
      stop: async () => {
        await Promise.all(relays.map((r) => r.stop()));
        await consumerLag.close();
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
  exposeLogTails(app.get(MetricsService, { strict: false }), bus);
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
      // Every producer is in this process and wakes its consumers when an append commits: the interval
      // is only the safety net (and covers reads the horizon held back longer than the quick re-polls).
      pollIntervalMs: settings.pollIntervalMs ?? 250,
      lanes: settings.lanes,
      retry: settings.retry,
      parksStreams: service.definition.parksStreams,
    });
    app.connectMicroservice({ strategy: consumer }, { inheritAppConfig: true });
  }
  return { kind: 'embedded', stop: async () => undefined };
}

/**
 * Where a consumer rebuilds each producer's events from when the broker deleted records it had not
 * read: the producer's store when it is hosted in this process, else its host's event feed over HTTP
 * (`MESHFAB_<PRODUCER>_URL`), else nowhere (the loss is reported).
 */
function eventFeedsOf(
  app: INestApplication,
  hosted: readonly HostedService[],
  producers: readonly string[],
  feeds: { urls: Partial<Record<string, string>>; token?: string } | undefined,
): Record<string, EventFeed> {
  const result: Record<string, EventFeed> = {};
  for (const producer of producers) {
    const here = hosted.find((h) => h.definition.name === producer);
    const url = feeds?.urls[producer];
    if (here) result[producer] = new LocalEventFeed(producer, databaseOf(app, here));
    else if (url && feeds?.token) result[producer] = new HttpEventFeed(producer, url, feeds.token);
  }
  return result;
}

/** Readiness (not critical: writes go on): fails while a consumer of this process lost events it could not rebuild. */
async function checkEventHistory(hosted: readonly HostedService[], namespace?: string): Promise<void> {
  const problems: string[] = [];
  for (const service of hosted) {
    const group = consumerGroup(service.definition.name, namespace);
    for (const [topic, events] of lostEventsByTopic(lostHistoryReports().get(group) ?? [])) {
      problems.push(`${group} will never read ${events} events the broker deleted from ${topic}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${problems.join('; ')}: nothing rebuilt them (see the log); configure the producer's MESHFAB_<SERVICE>_URL, ` +
        `reset the group's offsets to the earliest and restart, and it rebuilds them from the producer's event feed`,
    );
  }
}

/** `/metrics`: the brokers' lag of each consumer group hosted here, per topic and partition (cached, see KafkaConsumerLag). */
function exposeKafkaConsumerLag(metrics: MetricsService, hosted: readonly HostedService[], settings: Extract<EventTransportSettings, { kind: 'kafka' }>): KafkaConsumerLag {
  const lag = new KafkaConsumerLag({
    brokers: settings.brokers,
    security: settings.security,
    namespace: settings.namespace,
    groups: hosted.filter((h) => h.definition.consumes.length > 0).map((h) => ({ consumer: h.definition.name, producers: h.definition.consumes })),
    cacheMs: settings.consumerLagCacheMs,
  });
  metrics.gauge({
    name: 'meshfab_kafka_consumer_lag',
    help: "Records of a producer's topic partition a consumer group hosted here has not committed yet (the broker's end offset minus the group's)",
    labelNames: ['group', 'topic', 'partition'],
    async collect() {
      const lags = await lag.read();
      this.reset();
      for (const l of lags) this.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });
  return lag;
}

/**
 * Counters read at each scrape from a process-wide map of tallies (one label per key of the map): one
 * counter per `[name, help, field]` of `counters`.
 */
function exposeTallies<K extends string>(
  metrics: MetricsService,
  label: string,
  tallies: () => Iterable<[string, Readonly<Record<K, number>>]>,
  counters: readonly (readonly [name: string, help: string, field: K])[],
): void {
  for (const [name, help, field] of counters) {
    metrics.counter({
      name,
      help,
      labelNames: [label],
      collect() {
        this.reset();
        for (const [key, tally] of tallies()) this.inc({ [label]: key }, tally[field]);
      },
    });
  }
}

/** The consumers' counts of handled events and of redeliveries the inbox skipped, read at each scrape. */
function exposeDispatchTallies(metrics: MetricsService): void {
  exposeTallies(metrics, 'consumer', dispatchTallies, [
    ['meshfab_events_handled_total', 'Events the consumers of this process handled (each once, in its inbox transaction)', 'handled'],
    ['meshfab_inbox_duplicates_total', 'Redelivered events the inboxes of the consumers of this process recognised and skipped', 'duplicates'],
    ['meshfab_stream_order_violations_total', 'Events held because they arrived out of their stream order (a version gap or a step back)', 'outOfOrder'],
    ['meshfab_inbox_batches_total', 'Runs of consumed events committed together in one inbox transaction', 'batches'],
    ['meshfab_inbox_batch_fallbacks_total', 'Runs of consumed events rolled back and handled one by one (a handler error, a conflict, a parked stream, …)', 'batchFallbacks'],
  ]);
}

/** The command handlers' stream state caches (StreamStateCache), by handler. */
function exposeStreamStateCaches(metrics: MetricsService): void {
  exposeTallies(metrics, 'handler', streamStateCacheTallies, [
    ['meshfab_stream_state_cache_hits_total', 'Commands started from the state their handler committed last, without reading the stream', 'hits'],
    ['meshfab_stream_state_cache_misses_total', 'Commands that read and folded their stream (not in the cache, or written in their own transaction)', 'misses'],
    ['meshfab_stream_state_cache_redecided_total', 'Commands decided again on the stream as read because the cached state led to no append (a stale entry, a refusal, a no-op)', 'redecided'],
  ]);
}

/** The embedded bus's shared log tails (SharedLogTail): one reader of each producer's log for all its consumers. */
function exposeLogTails(metrics: MetricsService, bus: EmbeddedEventBus): void {
  exposeTallies(metrics, 'producer', () => bus.tailStats(), [
    ['meshfab_log_tail_reads_total', "Reads of a producer's event log by the tail its consumers in this process share", 'logReads'],
    ['meshfab_log_tail_served_total', "Consumers' reads the shared tail answered from the events it holds", 'served'],
    ['meshfab_log_tail_bypassed_total', "Consumers' reads outside the shared tail's run (far behind it, or after a restart), which read the log themselves", 'bypassed'],
  ]);
}

/** What the outbox relays could not publish at once, and what consumers found deleted before they read it. */
function exposeKafkaTallies(metrics: MetricsService): void {
  const relayMetric = (type: 'counter' | 'gauge', name: string, help: string, value: (tally: Readonly<RelayTally>) => number) => {
    const config = {
      name,
      help,
      labelNames: ['producer'],
      collect(this: { reset(): void; inc(labels: { producer: string }, value: number): void }) {
        this.reset();
        for (const [producer, tally] of relayTallies()) this.inc({ producer }, value(tally));
      },
    };
    if (type === 'counter') metrics.counter(config);
    else metrics.gauge(config);
  };
  relayMetric('counter', 'meshfab_relay_split_requests_total', 'Produce requests the broker refused as too large, which the relay sent again in halves', (t) => t.splitRequests);
  relayMetric(
    'counter',
    'meshfab_relay_refused_events_total',
    'Times the broker refused a single event as too large (the relay publishes nothing after it until it goes through)',
    (t) => t.refusedEvents,
  );
  relayMetric('gauge', 'meshfab_relay_blocked', '1 while the relay of a producer is stuck on an event the broker refuses as too large', (t) => (t.blockedEventId ? 1 : 0));
  metrics.counter({
    name: 'meshfab_kafka_bootstrapped_events_total',
    help: "Events consumers read from a producer's event feed to rebuild records the broker deleted before they read them",
    labelNames: ['consumer', 'producer'],
    collect() {
      this.reset();
      for (const [consumer, producers] of bootstrapTallies()) {
        for (const [producer, events] of producers) this.inc({ consumer, producer }, events);
      }
    },
  });
  metrics.gauge({
    name: 'meshfab_kafka_lost_events',
    help: 'Events a consumer group will never read: the broker deleted them before it got there and its producer could not rebuild them',
    labelNames: ['group', 'topic'],
    collect() {
      this.reset();
      for (const [group, lost] of lostHistoryReports()) {
        for (const [topic, events] of lostEventsByTopic(lost)) this.set({ group, topic }, events);
      }
    },
  });
}

/** How many events of each topic a consumer group will never read (summed over the partitions). */
function lostEventsByTopic(lost: readonly LostHistory[]): Map<string, number> {
  const byTopic = new Map<string, number>();
  for (const l of lost) byTopic.set(l.topic, (byTopic.get(l.topic) ?? 0) + l.logStartOffset - l.from);
  return byTopic;
}
