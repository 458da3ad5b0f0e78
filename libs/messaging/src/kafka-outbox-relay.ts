import { Logger } from '@nestjs/common';
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { QueryRunner } from 'typeorm';
import { eventsTopic, isIntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { CatchUpSubscription, EVENT_ENVELOPE_ALLOWANCE_BYTES, MAX_EVENT_BYTES, traceHeaders, type ServiceDatabase, type StoredEvent } from '#libs/eventsourcing';
import { toEnvelope } from './embedded-event-bus.js';
import { createKafka, ensureTopics, topicMaxMessageBytes, type KafkaReachability } from './kafka-client.js';
import type { KafkaSecurity } from './kafka-security.js';
import { DEFAULT_MAX_REQUEST_BYTES, isMessageTooLarge, messageBytes, RECORD_BATCH_OVERHEAD_BYTES, requestsOf } from './produce-requests.js';

export type RelayCompression = 'gzip' | 'none';

/** What the relay of one producing service has done in this process (read by the metrics). */
export interface RelayTally {
  /** Produce requests the broker refused as too large that were sent again in halves. */
  splitRequests: number;
  /** Times the broker refused a single event as too large (it cannot be split). */
  refusedEvents: number;
  /** The event the relay is stuck on because the broker refuses it as too large, until it goes through. */
  blockedEventId?: string;
}

const tallies = new Map<string, RelayTally>();

/** Per producing service: what its relay in this process split and could not publish. */
export function relayTallies(): ReadonlyMap<string, Readonly<RelayTally>> {
  return tallies;
}

function tallyOf(producer: string): RelayTally {
  let tally = tallies.get(producer);
  if (!tally) tallies.set(producer, (tally = { splitRequests: 0, refusedEvents: 0 }));
  return tally;
}

type OutboxMessage = Message & { eventId: string; type: string };

/** The relay's checkpoint in its service's store: how far it has published (the event feed waits for it too). */
export const RELAY_SUBSCRIPTION_ID = 'kafka-outbox-relay';

/**
 * What the relay publishes of a batch of stored events: the integration events (a service's internal
 * events stay home), each with the envelope that is its message's value. The event feed (event-feed.ts)
 * answers the same, so a consumer rebuilding from it sees what Kafka would have delivered.
 */
export function publishedEvents(events: readonly StoredEvent[]): { event: StoredEvent; envelope: EventEnvelope }[] {
  return events.filter((e) => isIntegrationEvent(e.type)).map((event) => ({ event, envelope: toEnvelope(event) }));
}

export interface OutboxRelayOptions {
  /** The producing service: publishes to `meshfab.<producer>.events`. */
  producer: string;
  database: ServiceDatabase;
  brokers: readonly string[];
  /** TLS and SASL of its Kafka client (unset: PLAINTEXT). */
  security?: KafkaSecurity;
  batchSize?: number;
  pollIntervalMs?: number;
  /** How often a standby replica tries to take over publishing (default 2000 ms). */
  standbyRetryMs?: number;
  /** Topic namespace (default `meshfab`). */
  namespace?: string;
  /** Told when publishing fails and when it works again (the "kafka" readiness check). */
  reachability?: KafkaReachability;
  /**
   * Largest produce request, in bytes of messages before compression (default 1 000 000,
   * MESHFAB_KAFKA_MAX_REQUEST_BYTES); lowered at start to what the topic accepts.
   */
  maxRequestBytes?: number;
  /** Compression of produce requests (default gzip, built into kafkajs). */
  compression?: RelayCompression;
}

/**
 * Publishes a service's integration events from its event store (the outbox) to Kafka in commit order:
 * key = streamId (an aggregate's events stay in order on one partition), headers carry eventId and type.
 * The checkpoint moves only after the broker acknowledged the whole batch (acks=all, idempotent
 * producer), so a crash re-publishes rather than loses; consumers' inboxes absorb the repeats.
 *
 * Size: a batch of events is sent in produce requests of at most `maxRequestBytes` (GZIP-compressed),
 * below the record batch limit of the broker; the event store refuses events over MAX_EVENT_BYTES, so
 * any one event fits. Should the broker refuse a request as too large all the same (its limit was
 * lowered, say), the relay sends it again in halves; an event refused on its own cannot be split: the
 * relay reports it (log, `relayTallies()` and the metrics, readiness) and tries it again with backoff,
 * publishing nothing after it — skipping it would break the gap-free order consumers rely on.
 */
export class KafkaOutboxRelay {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private subscription?: CatchUpSubscription;
  private unsubscribe?: () => void;
  private lock?: QueryRunner;
  private standby?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private attempt?: Promise<boolean>;
  private stopped = false;
  private readonly log = new Logger(KafkaOutboxRelay.name);
  private readonly tally: RelayTally;
  /** The request size limit in force: the configured one, lowered to what the topic accepts. */
  private maxRequestBytes: number;
  /** Events of the batch in hand the broker acknowledged: not sent again when the batch is retried. */
  private readonly acknowledged = new Set<string>();
  published = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.kafka = createKafka({ brokers: options.brokers, clientId: `meshfab-${options.producer}-relay`, security: options.security });
    this.tally = tallyOf(options.producer);
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  }

  /**
   * Starts publishing once this instance holds the service's relay lock (a PostgreSQL advisory lock
   * on a connection of its own): with several replicas of a service, one relays and the others stand
   * by, taking over within `standbyRetryMs` when the leader stops or its connection drops.
   */
  async start(): Promise<void> {
    if (await this.tryLead()) return;
    this.standBy();
  }

  private get retryMs(): number {
    return this.options.standbyRetryMs ?? 2000;
  }

  private standBy(): void {
    clearInterval(this.standby);
    this.standby = setInterval(() => {
      void this.tryLead().catch((error: unknown) => this.log.warn(`relay of ${this.options.producer}: ${String(error)}`));
    }, this.retryMs);
  }

  /** True while this instance is the one publishing. */
  get leading(): boolean {
    return this.subscription !== undefined;
  }

  private tryLead(): Promise<boolean> {
    // One attempt at a time: the standby timer may fire again while a slow attempt is connecting.
    this.attempt ??= this.lead().finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  private async lead(): Promise<boolean> {
    if (this.subscription || this.stopped) return this.leading;
    const lock = await this.lockConnection();
    const [{ locked }] = (await lock.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.lockKey])) as { locked: boolean }[];
    if (!locked) return false;
    try {
      await this.startPublishing();
    } catch (error) {
      // Not publishing (the broker is unreachable, say): let go of the lock and try again later.
      await this.stopPublishing();
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockKey]).catch(() => undefined);
      throw error;
    }
    clearInterval(this.standby);
    this.watchdog = setInterval(() => void this.keepLeadership(), this.retryMs);
    return true;
  }

  /** The connection that holds (or will hold) the advisory lock: a new one if the last one died. */
  private async lockConnection(): Promise<QueryRunner> {
    if (this.lock && !this.lock.isReleased) return this.lock;
    const lock = this.options.database.dataSource.createQueryRunner();
    try {
      await lock.connect();
    } catch (error) {
      await lock.release();
      throw error;
    }
    this.lock = lock;
    return lock;
  }

  /**
   * The advisory lock lives as long as the connection that took it. When PostgreSQL drops that
   * connection (a restart, a network cut), the lock is gone and a standby replica may take over: this
   * instance stops publishing and stands by too, taking the lead again on a new connection once the
   * database answers. (TypeORM releases a query runner whose connection emitted an error.)
   */
  private async keepLeadership(): Promise<void> {
    if (this.stopped || !this.subscription || !this.lock?.isReleased) return;
    this.log.warn(`relay of ${this.options.producer}: lost the connection holding the relay lock; standing by until it can lead again`);
    await this.stopPublishing();
    if (!this.stopped) this.standBy();
  }

  private async stopPublishing(): Promise<void> {
    clearInterval(this.watchdog);
    this.unsubscribe?.();
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private get lockKey(): string {
    return `meshfab-relay:${this.options.database.schema}`;
  }

  private async startPublishing(): Promise<void> {
    const topic = eventsTopic(this.options.producer, this.options.namespace);
    await ensureTopics(this.kafka, [topic]);
    this.maxRequestBytes = await this.fitRequestSize(topic);
    await this.connectProducer();
    this.subscription = new CatchUpSubscription({
      log: this.options.database.log,
      checkpoints: this.options.database.checkpoints,
      subscriptionId: RELAY_SUBSCRIPTION_ID,
      batchSize: this.options.batchSize ?? 500,
      pollIntervalMs: this.options.pollIntervalMs ?? 50,
      handle: async (events) => {
        const messages: OutboxMessage[] = publishedEvents(events)
          .filter(({ event: e }) => !this.acknowledged.has(e.eventId))
          .map(({ event: e, envelope }) => ({
            eventId: e.eventId,
            type: e.type,
            key: e.streamId,
            value: JSON.stringify(envelope),
            headers: { eventId: e.eventId, type: e.type, schemaVersion: String(e.schemaVersion), correlationId: e.correlationId, ...traceHeaders(e.traceparent) },
          }));
        for (const request of requestsOf(messages, this.maxRequestBytes)) await this.publish(topic, request);
        this.acknowledged.clear();
        this.tally.blockedEventId = undefined;
      },
      onError: (error) => this.log.error(`relay of ${this.options.producer} failed, will retry: ${String(error)}`),
    });
    this.unsubscribe = this.options.database.onAppend(() => this.subscription?.notify());
    this.subscription.start();
  }

  private get component(): string {
    return `relay of ${this.options.producer}`;
  }

  /**
   * The configured request size, lowered to what the topic accepts (its max.message.bytes, which an
   * operator may have set below the broker's): a request within it is never refused as too large.
   */
  private async fitRequestSize(topic: string): Promise<number> {
    const configured = this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const accepted = await topicMaxMessageBytes(this.kafka, topic).catch(() => Number.NaN);
    if (!(accepted > RECORD_BATCH_OVERHEAD_BYTES) || configured <= accepted - RECORD_BATCH_OVERHEAD_BYTES) return configured;
    const fitted = accepted - RECORD_BATCH_OVERHEAD_BYTES;
    this.log.warn(`${this.component}: topic ${topic} accepts record batches up to ${accepted} bytes; produce requests are cut at ${fitted} bytes, not ${configured}`);
    if (fitted < MAX_EVENT_BYTES + EVENT_ENVELOPE_ALLOWANCE_BYTES) {
      this.log.error(
        `${this.component}: topic ${topic} accepts record batches up to ${accepted} bytes, less than an event of the largest size the ` +
          `event store accepts (${MAX_EVENT_BYTES} bytes) may take; such an event would stop the relay: raise max.message.bytes of the topic`,
      );
    }
    return fitted;
  }

  private async connectProducer(): Promise<Producer> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  /**
   * Sends one request; if the broker refuses it as too large, sends it again in halves, down to
   * single events. An event refused on its own is reported and fails the batch (retried with backoff).
   */
  private async publish(topic: string, messages: OutboxMessage[]): Promise<void> {
    try {
      await this.send(topic, messages);
    } catch (error) {
      if (!isMessageTooLarge(error)) throw error;
      // The broker may have written the batches of other partitions of this request while kafkajs
      // counts the whole request as failed and rewinds every partition's sequence number: a new
      // producer (a new producer id) keeps what follows from being refused as out of sequence. The
      // batches written twice reach consumers twice, and their inboxes absorb the repeats.
      await this.producer?.disconnect().catch(() => undefined);
      this.producer = undefined;
      await this.connectProducer();
      if (messages.length === 1) throw this.refused(topic, messages[0]);
      const bytes = messages.reduce((sum, m) => sum + messageBytes(m), 0);
      this.tally.splitRequests += 1;
      this.log.warn(`${this.component}: the broker refused a request of ${messages.length} events (${bytes} bytes) to ${topic} as too large; sending it in halves`);
      const half = Math.ceil(messages.length / 2);
      await this.publish(topic, messages.slice(0, half));
      await this.publish(topic, messages.slice(half));
      return;
    }
    for (const m of messages) this.acknowledged.add(m.eventId);
    this.published += messages.length;
  }

  /** An event the broker refuses as too large on its own: nothing after it can be published. */
  private refused(topic: string, message: OutboxMessage): Error {
    this.tally.refusedEvents += 1;
    this.tally.blockedEventId = message.eventId;
    const error = new Error(
      `event ${message.eventId} (${message.type}, ${messageBytes(message)} bytes) is too large for topic ${topic}: the broker refuses it ` +
        `(max.message.bytes); nothing after it is published until the topic accepts it`,
    );
    this.log.error(`${this.component}: ${error.message}`);
    this.options.reachability?.failed(this.component, error);
    return error;
  }

  private async send(topic: string, messages: Message[]): Promise<void> {
    const compression = this.options.compression === 'none' ? CompressionTypes.None : CompressionTypes.GZIP;
    const plain = messages.map(({ key, value, headers }) => ({ key, value, headers }));
    try {
      const producer = this.producer ?? (await this.connectProducer());
      await producer.send({ topic, acks: -1, compression, messages: plain });
    } catch (error) {
      // A request too large is split by publish(), which reports an event refused on its own.
      if (!isMessageTooLarge(error)) this.options.reachability?.failed(this.component, error);
      throw error;
    }
    this.options.reachability?.recovered(this.component);
  }

  /** Wake the relay right after a local append. */
  notify(): void {
    this.subscription?.notify();
  }

  /** Finishes the batch in hand (published and checkpointed), then disconnects. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.standby);
    const leading = this.leading;
    await this.stopPublishing();
    if (this.lock && !this.lock.isReleased) {
      if (leading) await this.lock.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockKey]).catch(() => undefined);
      await this.lock.release();
    }
  }
}
