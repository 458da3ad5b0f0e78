import { Logger } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import type { QueryRunner } from 'typeorm';
import { eventsTopic, isIntegrationEvent } from '#libs/contracts';
import { CatchUpSubscription, type ServiceDatabase } from '#libs/eventsourcing';
import { toEnvelope } from './embedded-event-bus.js';
import { createKafka, ensureTopics } from './kafka-client.js';

export interface OutboxRelayOptions {
  /** The producing service: publishes to `meshfab.<producer>.events`. */
  producer: string;
  database: ServiceDatabase;
  brokers: readonly string[];
  batchSize?: number;
  pollIntervalMs?: number;
  /** How often a standby replica tries to take over publishing (default 2000 ms). */
  standbyRetryMs?: number;
  /** Topic namespace (default `meshfab`). */
  namespace?: string;
}

/**
 * Publishes a service's integration events from its event store (the outbox) to Kafka in commit order:
 * key = streamId (an aggregate's events stay in order on one partition), headers carry eventId and type.
 * The checkpoint moves only after the broker acknowledged the whole batch (acks=all, idempotent
 * producer), so a crash re-publishes rather than loses; consumers' inboxes absorb the repeats.
 */
export class KafkaOutboxRelay {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private subscription?: CatchUpSubscription;
  private unsubscribe?: () => void;
  private lock?: QueryRunner;
  private standby?: NodeJS.Timeout;
  private stopped = false;
  private readonly log = new Logger(KafkaOutboxRelay.name);
  published = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.kafka = createKafka({ brokers: options.brokers, clientId: `meshfab-${options.producer}-relay` });
  }

  /**
   * Starts publishing once this instance holds the service's relay lock (a PostgreSQL advisory lock
   * on a connection of its own): with several replicas of a service, one relays and the others stand
   * by, taking over within `standbyRetryMs` when the leader stops or its connection drops.
   */
  async start(): Promise<void> {
    this.lock = this.options.database.dataSource.createQueryRunner();
    await this.lock.connect();
    if (await this.tryLead()) return;
    this.standby = setInterval(() => {
      void this.tryLead().catch((error: unknown) => this.log.warn(`relay of ${this.options.producer}: ${String(error)}`));
    }, this.options.standbyRetryMs ?? 2000);
  }

  /** True while this instance is the one publishing. */
  get leading(): boolean {
    return this.subscription !== undefined;
  }

  private async tryLead(): Promise<boolean> {
    if (this.subscription || this.stopped || !this.lock) return this.leading;
    const [{ locked }] = (await this.lock.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.lockKey])) as { locked: boolean }[];
    if (!locked) return false;
    clearInterval(this.standby);
    await this.startPublishing();
    return true;
  }

  private get lockKey(): string {
    return `meshfab-relay:${this.options.database.schema}`;
  }

  private async startPublishing(): Promise<void> {
    const topic = eventsTopic(this.options.producer, this.options.namespace);
    await ensureTopics(this.kafka, [topic]);
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.subscription = new CatchUpSubscription({
      log: this.options.database.log,
      checkpoints: this.options.database.checkpoints,
      subscriptionId: 'kafka-outbox-relay',
      batchSize: this.options.batchSize ?? 500,
      pollIntervalMs: this.options.pollIntervalMs ?? 50,
      handle: async (events) => {
        const messages = events
          .filter((e) => isIntegrationEvent(e.type))
          .map((e) => ({
            key: e.streamId,
            value: JSON.stringify(toEnvelope(e)),
            headers: { eventId: e.eventId, type: e.type, schemaVersion: String(e.schemaVersion), correlationId: e.correlationId },
          }));
        if (messages.length > 0) await this.producer!.send({ topic, acks: -1, messages });
        this.published += messages.length;
      },
      onError: (error) => this.log.error(`relay of ${this.options.producer} failed, will retry: ${String(error)}`),
    });
    this.unsubscribe = this.options.database.onAppend(() => this.subscription?.notify());
    this.subscription.start();
  }

  /** Wake the relay right after a local append. */
  notify(): void {
    this.subscription?.notify();
  }

  /** Finishes the batch in hand (published and checkpointed), then disconnects. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.standby);
    this.unsubscribe?.();
    await this.subscription?.stop();
    await this.producer?.disconnect();
    if (this.lock && !this.lock.isReleased) {
      if (this.subscription) await this.lock.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockKey]).catch(() => undefined);
      await this.lock.release();
    }
  }
}
