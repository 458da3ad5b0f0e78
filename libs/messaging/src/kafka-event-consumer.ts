import { Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { consumerGroup, deadLetterTopic, eventsTopic } from '#libs/contracts';
import { traceparentOfHeaders } from '#libs/eventsourcing';
import { MAX_EVENTS_PER_TRANSACTION } from './event-dispatcher.js';
import { EventConsumerServer, type EventConsumerOptions } from './event-consumer.server.js';
import { countBootstrapped, readWholeFeed, type EventFeed } from './event-feed.js';
import { createKafka, ensureTopics, findLostHistory, reportLostHistory, type KafkaReachability, type LostHistory } from './kafka-client.js';
import type { KafkaSecurity } from './kafka-security.js';

/** A Kafka message's value as JSON, or as text when it is not JSON (the dispatcher dead-letters it). */
function parsed(message: KafkaMessage): unknown {
  try {
    return JSON.parse(message.value?.toString('utf8') ?? 'null');
  } catch {
    return message.value?.toString('utf8') ?? null;
  }
}

/** How often dead letters the broker did not take yet are sent again. */
const DEAD_LETTER_RETRY_MS = 5000;

export interface KafkaConsumerOptions extends EventConsumerOptions {
  brokers: readonly string[];
  /** TLS and SASL of its Kafka client (unset: PLAINTEXT). */
  security?: KafkaSecurity;
  /** Partitions handled at once; order is kept within a partition (one stream's events). */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /** Topic and group namespace (default `meshfab`). */
  namespace?: string;
  /** Told when the consumer stops for good (the "kafka" readiness check then fails). */
  reachability?: KafkaReachability;
  /**
   * By producer: its event feed, to rebuild what the broker deleted before this group read it (see
   * `rebuild`). A producer without one: the loss is reported (log, metrics, readiness), as it is when
   * its feed cannot be read.
   */
  eventFeeds?: Readonly<Record<string, EventFeed>>;
}

/**
 * Kafka transport as a NestJS custom transport strategy: one consumer group per consuming service
 * (`meshfab.<consumer>`), subscribed to `meshfab.<producer>.events`. Messages are handled in order per
 * partition and concurrently across partitions, a partition's batch in chunks of one inbox transaction
 * each; an offset is committed only after the handler's transaction committed; a message that keeps
 * failing is published to `meshfab.<consumer>.dlq` (and recorded for the operator) so the partition moves on.
 */
export class KafkaEventConsumer extends EventConsumerServer {
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private dlqProducer?: Producer;
  private closing = false;
  private restartTimer?: NodeJS.Timeout;
  private restarts = 0;
  private deadLetterTimer?: NodeJS.Timeout;
  private readonly log = new Logger(KafkaEventConsumer.name);

  constructor(private readonly kafkaOptions: KafkaConsumerOptions) {
    super(kafkaOptions, (letter) => this.publishDeadLetter(letter));
    this.kafka = createKafka({ brokers: kafkaOptions.brokers, clientId: `meshfab-${kafkaOptions.consumer}`, security: kafkaOptions.security });
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const ns = this.kafkaOptions.namespace;
      const topics = this.kafkaOptions.producers.map((p) => eventsTopic(p, ns));
      await ensureTopics(this.kafka, [...topics, deadLetterTopic(this.kafkaOptions.consumer, ns)]);
      this.dlqProducer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.dlqProducer.connect();
      this.deadLetterTimer = setInterval(() => {
        this.publishPendingDeadLetters().catch(() => undefined); // logged when a letter is recorded; retried here
      }, DEAD_LETTER_RETRY_MS);
      this.deadLetterTimer.unref();
      await this.startConsumer(topics);
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async startConsumer(topics: string[]): Promise<void> {
    const groupId = consumerGroup(this.kafkaOptions.consumer, this.kafkaOptions.namespace);
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.kafkaOptions.sessionTimeoutMs ?? 30000,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    this.watch(consumer, topics);
    // Events the broker deleted before this group read them would be skipped without a word (kafkajs
    // starts at the first offset left): rebuild them from their producers first, or say so, loudly.
    const lost = await findLostHistory(this.kafka, groupId, topics).catch((error: unknown) => {
      this.log.warn(`${this.kafkaOptions.consumer}: could not compare its offsets with the topics': ${String(error)}`);
      return [];
    });
    await this.rebuild(groupId, lost);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      // An offset is resolved only once its message's transaction committed (handleBatch), never for the
      // rest of a batch left unhandled because the consumer stops or the partition was taken away.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.kafkaOptions.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /**
   * Rebuilds, before the group reads Kafka, what the broker deleted before the group read it: each such
   * producer's event feed (its own store, event-feed.ts) is read from its start to its end and every
   * event goes through this consumer's dispatcher, as if Kafka had delivered it. Events the consumer
   * applied already are duplicates its inbox skips. Then the group reads Kafka from its committed
   * offsets, or from the first offset the broker still has.
   *
   * Why nothing is missed or applied out of order, though the producer keeps appending and its relay
   * publishing while this runs:
   * - Every deleted record had been published before `findLostHistory` looked, and the feed ends only
   *   past everything the relay had published when its last page was read (readEventFeed): the feed
   *   holds every deleted event.
   * - An event appended meanwhile is either in the feed (Kafka delivers it again afterwards: a duplicate
   *   the inbox skips) or after the feed's end in the log's global order, hence after every event of its
   *   stream the feed held (a stream's versions sort in that order). The relay publishes in that order,
   *   so it is on Kafka, after the records the group starts from, and reaches the group in its stream's
   *   order, after the bootstrapped ones.
   * - Nothing of Kafka is read before the rebuild ends, so this consumer sees each stream in version
   *   order: the feed's events, then Kafka's, of which those already applied are duplicates (the
   *   stream-order check only looks at events new to the inbox). Replicas starting at once each rebuild;
   *   the inbox lets one of them apply each event, and each applies a stream's events in order.
   * (A deletion by hand *while* this runs, of records published after the check, is found at the next start.)
   */
  private async rebuild(groupId: string, lost: readonly LostHistory[]): Promise<void> {
    const { consumer, producers, namespace, eventFeeds } = this.kafkaOptions;
    const unrecovered: LostHistory[] = [];
    const why = new Map<string, string>();
    for (const producer of producers) {
      const topic = eventsTopic(producer, namespace);
      const ofTopic = lost.filter((l) => l.topic === topic);
      if (ofTopic.length === 0) continue;
      const deleted = ofTopic.map((l) => `[${l.partition}] ${l.from}–${l.logStartOffset - 1}`).join(', ');
      const feed = eventFeeds?.[producer];
      if (!feed) {
        unrecovered.push(...ofTopic);
        why.set(topic, `no event feed of ${producer} to rebuild them from is configured`);
        continue;
      }
      this.log.warn(`${consumer}: the broker deleted records of ${topic} this group had not read (offsets ${deleted}); rebuilding from ${feed.source} before reading the topic`);
      const started = Date.now();
      const outcomes = new Map<string, number>();
      try {
        const read = await readWholeFeed(feed, async (event, source) => {
          const { kind } = await this.dispatcher.dispatch(event, source);
          outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
        });
        countBootstrapped(consumer, producer, read);
        const tally = [...outcomes].map(([kind, n]) => `${n} ${kind}`).join(', ');
        this.log.warn(`${consumer}: rebuilt ${topic} from ${feed.source}: ${read} events in ${Date.now() - started} ms (${tally || 'none'}); what Kafka still holds of them arrives again, as duplicates`);
      } catch (error) {
        unrecovered.push(...ofTopic);
        why.set(topic, `rebuilding them from ${feed.source} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    reportLostHistory(groupId, unrecovered, (l) => why.get(l.topic) ?? '');
  }

  /**
   * kafkajs restarts a consumer after a crash it deems retriable, and rejoins the group by itself. Some
   * crashes of a broker restart it does not retry (KafkaJSGroupCoordinatorNotFound while the restarted
   * broker still loads its group coordinator): the consumer would stay deaf until the process restarts.
   * So this starts a new consumer after such a crash (backing off up to 30 s), and tells readiness
   * that it is not consuming until it has joined its group again.
   */
  private watch(consumer: Consumer, topics: string[]): void {
    const component = `consumer ${this.kafkaOptions.consumer}`;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.closing || consumer !== this.consumer) return;
      this.kafkaOptions.reachability?.failed(component, `stopped after ${payload.error.name}: ${payload.error.message}`);
      this.restartLater(topics);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.restarts = 0;
      this.kafkaOptions.reachability?.recovered(component);
    });
  }

  private restartLater(topics: string[]): void {
    const delay = Math.min(30_000, 1000 * 2 ** this.restarts);
    this.restarts += 1;
    this.log.warn(`${this.kafkaOptions.consumer}: kafkajs stopped the consumer; starting a new one in ${delay} ms`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.closing) return;
      const stopped = this.consumer;
      void (async () => {
        await stopped?.disconnect().catch(() => undefined);
        if (this.closing) return;
        await this.startConsumer(topics);
      })().catch((error: unknown) => {
        this.log.warn(`${this.kafkaOptions.consumer}: could not start a new consumer: ${String(error)}`);
        this.restartLater(topics);
      });
    }, delay);
  }

  /**
   * One partition's fetched batch, in offset order, in chunks of up to MAX_EVENTS_PER_TRANSACTION messages,
   * each chunk in one inbox transaction (EventDispatcher.dispatchAll, which falls back to one transaction
   * per message when the chunk fails). A message's offset is resolved only after the transaction that
   * handled it committed, so the committed offset never passes an event whose effect is not committed.
   * Between chunks it heartbeats (a long batch keeps the group membership; so does each message handled
   * one by one) and commits the resolved offsets when due; it stops at a chunk's end when the consumer
   * stops or the partition was revoked or sought (stale): the rest is fetched again by whoever owns the
   * partition then, and what was already handled is a duplicate its inbox skips.
   */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    for (let start = 0; start < messages.length; start += MAX_EVENTS_PER_TRANSACTION) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = messages.slice(start, start + MAX_EVENTS_PER_TRANSACTION);
      await this.dispatcher.dispatchAll(
        chunk.map((message) => ({ message: parsed(message), source: `${topic}[${partition}]@${message.offset}`, traceparent: traceparentOfHeaders(message.headers) })),
        async (i) => {
          payload.resolveOffset(chunk[i].offset);
          await payload.heartbeat();
        },
      );
      await payload.commitOffsetsIfNecessary();
    }
  }

  /**
   * The dead-letter table is the outbox of the dead-letter topic: the dispatcher recorded the letter
   * before this runs, and every letter not yet published is sent from there (now, and by a timer after a
   * failure), so the row and the publication agree even if the broker or this process fails in between.
   * Several instances publish side by side: each locks the rows it sends (SKIP LOCKED).
   */
  private async publishDeadLetter(letter: { envelope: unknown; reason: string; source: string }): Promise<void> {
    const envelope = (letter.envelope ?? {}) as { type?: unknown };
    this.log.warn(`${this.kafkaOptions.consumer}: dead-lettering ${typeof envelope.type === 'string' ? envelope.type : 'a message'} from ${letter.source}: ${letter.reason}`);
    await this.publishPendingDeadLetters().catch((error: unknown) =>
      this.log.warn(`${this.kafkaOptions.consumer}: dead letters not yet on their topic (retried every ${DEAD_LETTER_RETRY_MS} ms): ${String(error)}`),
    );
  }

  private async publishPendingDeadLetters(): Promise<void> {
    const { database, consumer, namespace } = this.kafkaOptions;
    await database.dataSource.transaction(async (manager) => {
      const letters = await database.deadLetters.unpublished(manager);
      if (letters.length === 0) return;
      await this.dlqProducer!.send({
        topic: deadLetterTopic(consumer, namespace),
        acks: -1,
        messages: letters.map((l) => ({
          key: l.streamId,
          value: JSON.stringify(l.payload),
          headers: {
            reason: l.reason.slice(0, 1000),
            attempts: String(l.attempts),
            source: l.source,
            status: l.status,
            letterId: l.id,
            ...(l.eventId ? { eventId: l.eventId } : {}),
            ...(l.type ? { type: l.type } : {}),
          },
        })),
      });
      await database.deadLetters.markPublished(
        manager,
        letters.map((l) => l.id),
      );
    });
  }

  /** Graceful: kafkajs waits for the messages in hand to finish before leaving the group. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.deadLetterTimer);
    await this.consumer?.disconnect();
    await this.dlqProducer?.disconnect();
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}
