import { Logger } from '@nestjs/common';
import type { Kafka, Message, Producer } from 'kafkajs';
import type { QueryRunner } from 'typeorm';
import { eventsTopic, isIntegrationEvent } from '#libs/contracts';
import { CatchUpSubscription, type ServiceDatabase } from '#libs/eventsourcing';
import { toEnvelope } from './embedded-event-bus.js';
import { createKafka, ensureTopics, type KafkaReachability } from './kafka-client.js';

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
  /** Told when publishing fails and when it works again (the "kafka" readiness check). */
  reachability?: KafkaReachability;
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
  private watchdog?: NodeJS.Timeout;
  private attempt?: Promise<boolean>;
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
        if (messages.length > 0) await this.send(topic, messages);
        this.published += messages.length;
      },
      onError: (error) => this.log.error(`relay of ${this.options.producer} failed, will retry: ${String(error)}`),
    });
    this.unsubscribe = this.options.database.onAppend(() => this.subscription?.notify());
    this.subscription.start();
  }

  private async send(topic: string, messages: Message[]): Promise<void> {
    const component = `relay of ${this.options.producer}`;
    try {
      await this.producer!.send({ topic, acks: -1, messages });
    } catch (error) {
      this.options.reachability?.failed(component, error);
      throw error;
    }
    this.options.reachability?.recovered(component);
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
