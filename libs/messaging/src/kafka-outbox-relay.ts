import { Logger } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
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
  private readonly log = new Logger(KafkaOutboxRelay.name);
  published = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.kafka = createKafka({ brokers: options.brokers, clientId: `meshfab-${options.producer}-relay` });
  }

  async start(): Promise<void> {
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
    this.unsubscribe?.();
    await this.subscription?.stop();
    await this.producer?.disconnect();
  }
}
