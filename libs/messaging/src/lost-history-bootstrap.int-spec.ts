// What a late consumer needs is still there (issue 15, section 4), against real Kafka and PostgreSQL:
// the broker deleted the early records of a producer's topic (deleteTopicRecords moves the log start
// offset exactly as retention does), and a consumer group that would start below what is left rebuilds
// the deleted events from the producer's own store (its event feed) before it reads Kafka. Its effects
// then hold every event, each stream in version order, each once.
import { randomUUID } from 'node:crypto';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { IntegrationEvent, consumerGroup, eventsTopic, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, kafkaBrokers, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { bootstrapTallies, LocalEventFeed } from './event-feed.js';
import { findLostHistory, lostHistoryReports } from './kafka-client.js';
import { EventContext, KafkaEventConsumer, KafkaOutboxRelay, OnEvent } from './index.js';

@IntegrationEvent('lathes')
class LatheTurnedContract {
  @IsString() latheId!: string;
  @IsInt() @Min(0) n!: number;
}

const letters = (n: number) => Array.from(randomUUID().replaceAll('-', '').slice(0, n), (c) => String.fromCharCode(97 + (parseInt(c, 16) % 26))).join('');
const STREAMS = ['lathe-a', 'lathe-b', 'lathe-c', 'lathe-d', 'lathe-e'];

describe('a consumer whose topic lost its early records', () => {
  const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'lost-history-test', logLevel: logLevel.NOTHING });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  /** One producer (its store and relay) and one consumer (its store and effects), fresh for each case. */
  async function world() {
    const producer = `lp${letters(8)}`;
    const consumer = `lc${letters(8)}`;
    const producerSchema = uniqueSchema('lost_prod');
    const consumerSchema = uniqueSchema('lost_cons');
    const producerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: producerSchema });
    const consumerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: consumerSchema });
    // No unique constraint on purpose: an effect applied twice shows as a second row.
    await consumerDb.dataSource.query(`CREATE TABLE "${consumerSchema}".effects (id bigserial, event_id uuid, stream_id text, n int)`);
    const relay = new KafkaOutboxRelay({ producer, database: producerDb, brokers: kafkaBrokers(), pollIntervalMs: 20 });
    await relay.start();
    const topic = eventsTopic(producer);

    @Controller()
    class LatheConsumer {
      @OnEvent(consumer, 'LatheTurned')
      async onTurned(@Payload() event: EventEnvelope<LatheTurnedContract>, @Ctx() ctx: EventContext): Promise<void> {
        await ctx.manager.query(`INSERT INTO "${consumerSchema}".effects (event_id, stream_id, n) VALUES ($1, $2, $3)`, [event.eventId, event.streamId, event.data.n]);
      }
    }

    let microservice: INestMicroservice | undefined;
    let appended = 0;
    return {
      producer,
      consumer,
      topic,
      /** Appends `count` events, round-robin over the streams, plus an internal event the relay does not publish. */
      async append(count: number): Promise<void> {
        for (let i = 0; i < count; i++) {
          appended += 1;
          const streamId = STREAMS[appended % STREAMS.length];
          await producerDb.store.append(streamId, [{ type: 'LatheTurned', data: { latheId: streamId, n: appended } }], {
            expectedVersion: 'any',
            metadata: { correlationId: streamId, causationId: 'test' },
          });
        }
        await producerDb.store.append('lathe-internal', [{ type: 'LatheOiled', data: { n: appended } }], { expectedVersion: 'any', metadata: { correlationId: 'c', causationId: 'test' } });
        relay.notify();
      },
      /** Waits until the relay has published every event appended so far. */
      async published(): Promise<void> {
        await waitFor(async () => ((await highWatermark(topic)) >= appended ? true : null), { timeoutMs: 30_000, message: `relay published ${appended} events` });
      },
      /** Starts the consumer (a fresh group the first time); `feed`: whether it may rebuild from the producer's store. */
      async startConsumer(feed = true): Promise<void> {
        const server = new KafkaEventConsumer({
          consumer,
          producers: [producer],
          database: consumerDb,
          brokers: kafkaBrokers(),
          retry: { maxAttempts: 3, initialBackoffMs: 10 },
          sessionTimeoutMs: 10_000,
          eventFeeds: feed ? { [producer]: new LocalEventFeed(producer, producerDb) } : {},
        });
        const moduleRef = await Test.createTestingModule({ controllers: [LatheConsumer] }).compile();
        microservice = moduleRef.createNestMicroservice({ strategy: server, logger: false });
        await microservice.listen();
      },
      async stopConsumer(): Promise<void> {
        await microservice?.close();
        microservice = undefined;
      },
      async effects(): Promise<{ event_id: string; stream_id: string; n: number }[]> {
        return consumerDb.dataSource.query(`SELECT event_id, stream_id, n FROM "${consumerSchema}".effects ORDER BY id`);
      },
      get appended() {
        return appended;
      },
      async close(): Promise<void> {
        await microservice?.close();
        await relay.stop();
        await producerDb.close();
        await consumerDb.close();
        await dropSchema(testDatabaseUrl(), producerSchema);
        await dropSchema(testDatabaseUrl(), consumerSchema);
      },
    };
  }

  async function highWatermark(topic: string): Promise<number> {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  }

  /** Deletes, on every partition, the records below `keep(high)`: the log start offset moves as retention moves it. */
  async function deleteEarlyRecords(topic: string, keep: (high: number) => number): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic);
    const partitions = offsets.map((p) => ({ partition: p.partition, offset: String(keep(Number(p.high))) })).filter((p) => Number(p.offset) > 0);
    await admin.deleteTopicRecords({ topic, partitions });
    const after = await admin.fetchTopicOffsets(topic);
    return after.reduce((sum, p) => sum + Number(p.low), 0);
  }

  /** Every appended event applied once, each stream's in the order it was appended. */
  async function expectEveryEventOnce(w: Awaited<ReturnType<typeof world>>): Promise<void> {
    await waitFor(async () => ((await w.effects()).length >= w.appended ? true : null), { timeoutMs: 45_000, message: `consumer applied all ${w.appended} events` });
    await new Promise((r) => setTimeout(r, 1500)); // what Kafka still holds arrives too: duplicates the inbox absorbs
    const rows = await w.effects();
    expect(rows).toHaveLength(w.appended);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(w.appended);
    expect(rows.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: w.appended }, (_, i) => i + 1));
    for (const stream of STREAMS) {
      const ns = rows.filter((r) => r.stream_id === stream).map((r) => r.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  }

  it('rebuilds the deleted events from the producer for a group that starts from scratch', async () => {
    const w = await world();
    try {
      await w.append(30);
      await w.published();
      const deleted = await deleteEarlyRecords(w.topic, (high) => Math.ceil(high / 2));
      expect(deleted).toBeGreaterThan(0);
      const before = bootstrapTallies().get(w.consumer)?.get(w.producer) ?? 0;

      await w.startConsumer();
      await expectEveryEventOnce(w);
      // The bootstrap applied the whole feed (the 30 integration events, not the internal ones), and nothing is left unread.
      expect((bootstrapTallies().get(w.consumer)?.get(w.producer) ?? 0) - before).toBe(30);
      expect(lostHistoryReports().get(consumerGroup(w.consumer))).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('rebuilds what it had not read yet when it restarts with committed offsets below what the broker still has', async () => {
    const w = await world();
    try {
      await w.append(12);
      await w.startConsumer();
      await waitFor(async () => ((await w.effects()).length >= 12 ? true : null), { timeoutMs: 30_000, message: 'consumer applied the first 12 events' });
      await w.stopConsumer();

      await w.append(18); // published while the consumer is away…
      await w.published();
      await deleteEarlyRecords(w.topic, (high) => high - 1); // …and all but the last record of each partition deleted
      // The premise: the group committed offsets, and they are below the new log start offsets.
      const lost = await findLostHistory(kafka, consumerGroup(w.consumer), [w.topic]);
      expect(lost.length).toBeGreaterThan(0);
      expect(lost.some((l) => l.from > 0)).toBe(true);

      await w.startConsumer();
      await expectEveryEventOnce(w);
      expect(lostHistoryReports().get(consumerGroup(w.consumer))).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('without a feed of the producer, says what it will never see, as before', async () => {
    const w = await world();
    try {
      await w.append(10);
      await w.published();
      const deleted = await deleteEarlyRecords(w.topic, (high) => high);
      await w.startConsumer(false);
      const reported = lostHistoryReports().get(consumerGroup(w.consumer)) ?? [];
      expect(reported.reduce((sum, l) => sum + l.logStartOffset - l.from, 0)).toBe(deleted);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await w.effects()).toHaveLength(0);
    } finally {
      await w.close();
    }
  });
});
