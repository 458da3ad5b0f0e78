// One contract suite, run against both transports: the Kafka transport (real Apache Kafka) and the
// embedded one. Each must deliver in order per stream, make every effect happen exactly once under
// redelivery and restarts, and dead-letter a poison message without blocking what follows it.
import { randomUUID } from 'node:crypto';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { Kafka } from 'kafkajs';
import { IntegrationEvent, deadLetterTopic, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, kafkaBrokers, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import {
  EmbeddedEventBus,
  EmbeddedEventConsumer,
  EventContext,
  KafkaEventConsumer,
  KafkaOutboxRelay,
  OnEvent,
  type EventConsumerServer,
} from './index.js';

@IntegrationEvent('widgets')
class WidgetMadeContract {
  @IsString() widgetId!: string;
  @IsInt() @Min(0) n!: number;
}

interface Harness {
  consumerServer: EventConsumerServer;
  /** Restart everything that reads (relay, consumer) and force every event to be delivered again. */
  forceRedelivery(): Promise<EventConsumerServer>;
  afterAppend(): void;
  stop(): Promise<void>;
}

interface TransportUnderTest {
  name: string;
  start(ctx: { producer: string; consumer: string; producerDb: ServiceDatabase; consumerDb: ServiceDatabase }): Promise<Harness>;
}

const embedded: TransportUnderTest = {
  name: 'embedded',
  async start({ producer, consumer, producerDb, consumerDb }) {
    const bus = new EmbeddedEventBus();
    bus.register(producer, producerDb.log);
    const make = () =>
      new EmbeddedEventConsumer({ consumer, producers: [producer], database: consumerDb, bus, pollIntervalMs: 20, retry: { maxAttempts: 3, initialBackoffMs: 10 } });
    const server = make();
    return {
      consumerServer: server,
      afterAppend: () => bus.notify(producer),
      forceRedelivery: async () => {
        await consumerDb.checkpoints.reset(`embedded-consumer:${producer}`);
        return make();
      },
      stop: async () => undefined,
    };
  },
};

const kafka: TransportUnderTest = {
  name: 'kafka',
  async start({ producer, consumer, producerDb, consumerDb }) {
    const brokers = kafkaBrokers();
    let relay = new KafkaOutboxRelay({ producer, database: producerDb, brokers, pollIntervalMs: 20 });
    await relay.start();
    const make = () =>
      new KafkaEventConsumer({ consumer, producers: [producer], database: consumerDb, brokers, retry: { maxAttempts: 3, initialBackoffMs: 10 }, sessionTimeoutMs: 10000 });
    return {
      consumerServer: make(),
      afterAppend: () => relay.notify(),
      forceRedelivery: async () => {
        // Kill the relay and replay the whole outbox: every event reaches Kafka a second time.
        await relay.stop();
        await producerDb.checkpoints.reset('kafka-outbox-relay');
        relay = new KafkaOutboxRelay({ producer, database: producerDb, brokers, pollIntervalMs: 20 });
        await relay.start();
        return make();
      },
      stop: () => relay.stop(),
    };
  },
};

describe.each([embedded, kafka])('$name event transport', (transport) => {
  const producer = `tp${randomUUID().slice(0, 8)}`;
  const consumer = `tc${randomUUID().slice(0, 8)}`;
  const producerSchema = uniqueSchema('prod');
  const consumerSchema = uniqueSchema('cons');
  let producerDb: ServiceDatabase;
  let consumerDb: ServiceDatabase;
  let harness: Harness;
  let app: INestMicroservice;
  const seen: string[] = [];

  @Controller()
  class WidgetConsumer {
    @OnEvent(consumer, 'WidgetMade')
    async onWidgetMade(@Payload() event: EventEnvelope<WidgetMadeContract>, @Ctx() ctx: EventContext): Promise<void> {
      if (event.data.widgetId === 'poison') throw new Error('cannot make sense of this widget');
      await ctx.manager.query(`INSERT INTO "${consumerSchema}".effects (event_id, stream_id, n) VALUES ($1, $2, $3)`, [
        event.eventId,
        event.streamId,
        event.data.n,
      ]);
      seen.push(`${event.streamId}:${event.data.n}`);
    }
  }

  const startConsumer = async (server: EventConsumerServer) => {
    const moduleRef = await Test.createTestingModule({ controllers: [WidgetConsumer] }).compile();
    const microservice = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    await microservice.listen();
    return microservice;
  };
  const append = async (streamId: string, n: number, widgetId = `w-${n}`) => {
    await producerDb.store.append(streamId, [{ type: 'WidgetMade', data: { widgetId, n } }], { expectedVersion: 'any', metadata: { correlationId: streamId, causationId: 'test' } });
    harness.afterAppend();
  };
  const effects = async (): Promise<{ event_id: string; stream_id: string; n: number }[]> =>
    consumerDb.dataSource.query(`SELECT event_id, stream_id, n FROM "${consumerSchema}".effects ORDER BY id`);

  beforeAll(async () => {
    producerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: producerSchema });
    consumerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: consumerSchema });
    // No unique constraint on purpose: a duplicated effect would show as a second row.
    await consumerDb.dataSource.query(`CREATE TABLE "${consumerSchema}".effects (id bigserial, event_id uuid, stream_id text, n int)`);
    harness = await transport.start({ producer, consumer, producerDb, consumerDb });
    app = await startConsumer(harness.consumerServer);
  });

  afterAll(async () => {
    await app?.close();
    await harness?.stop();
    await producerDb?.close();
    await consumerDb?.close();
    await dropSchema(testDatabaseUrl(), producerSchema);
    await dropSchema(testDatabaseUrl(), consumerSchema);
  });

  it('delivers each stream in order and every effect once', async () => {
    for (let n = 1; n <= 20; n++) await append(`line-${n % 3}`, n);
    const rows = await waitFor(async () => ((await effects()).length >= 20 ? effects() : null), { timeoutMs: 30000, message: 'consumer handled 20 events' });
    expect(rows).toHaveLength(20);
    for (const line of ['line-0', 'line-1', 'line-2']) {
      const ns = rows.filter((r) => r.stream_id === line).map((r) => r.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });

  it('dead-letters a poison message after its retries while later messages of the same stream are processed', async () => {
    await append('line-poison', 100, 'poison');
    await append('line-poison', 101);
    await append('line-poison', 102);
    const after = await waitFor(async () => {
      const rows = (await effects()).filter((r) => r.stream_id === 'line-poison');
      return rows.length >= 2 ? rows : null;
    }, { timeoutMs: 30000, message: 'messages after the poison one were handled' });
    expect(after.map((r) => r.n)).toEqual([101, 102]);
    const letters = await consumerDb.deadLetters.list();
    const poison = letters.find((l) => l.type === 'WidgetMade' && (l.payload as EventEnvelope).data.widgetId === 'poison');
    expect(poison).toMatchObject({ consumer, attempts: 3 });
    expect(poison!.reason).toContain('cannot make sense of this widget');
  });

  it('dead-letters a message that breaks its contract, with the reason, without calling the handler', async () => {
    // Bypass the producer-side validation, as a buggy or foreign producer would.
    await producerDb.dataSource.query(
      `INSERT INTO "${producerSchema}".events (event_id, stream_id, stream_version, type, data, correlation_id, causation_id, occurred_at)
       VALUES ($1, 'line-bad', 1, 'WidgetMade', '{"widgetId": 7, "n": -1}', 'c', 'c', now())`,
      [randomUUID()],
    );
    harness.afterAppend();
    await append('line-bad', 200);
    const letter = await waitFor(async () => (await consumerDb.deadLetters.list()).find((l) => l.reason.startsWith('contract violation')), {
      timeoutMs: 30000,
    });
    expect(letter.reason).toMatch(/widgetId/);
    expect(letter.reason).toMatch(/n: n must not be less than 0/);
    await waitFor(async () => (await effects()).some((r) => r.stream_id === 'line-bad' && r.n === 200), { timeoutMs: 30000 });
  });

  it('keeps every effect exactly once when the reader is killed mid-stream and everything is delivered again', async () => {
    const before = (await effects()).length;
    for (let n = 1; n <= 60; n++) await append(`bulk-${n % 4}`, 1000 + n);
    await waitFor(async () => ((await effects()).length > before + 10 ? true : null), { timeoutMs: 30000 });
    await app.close(); // kill the consumer mid-stream
    const server = await harness.forceRedelivery();
    app = await startConsumer(server);
    const rows = await waitFor(async () => {
      const all = await effects();
      return all.length >= before + 60 ? all : null;
    }, { timeoutMs: 45000, message: 'all 60 bulk events handled' });
    // Give redelivered duplicates time to arrive; the inbox must absorb them.
    await new Promise((r) => setTimeout(r, 1500));
    const final = await effects();
    expect(final.length).toBe(rows.length);
    expect(new Set(final.map((r) => r.event_id)).size).toBe(final.length);
    expect(final.filter((r) => r.stream_id.startsWith('bulk-'))).toHaveLength(60);
    if (transport.name === 'kafka') {
      // The poison message also reached the dead-letter topic.
      const k = new Kafka({ brokers: kafkaBrokers(), clientId: 'dlq-reader' });
      const admin = k.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(deadLetterTopic(consumer));
      await admin.disconnect();
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBeGreaterThanOrEqual(2);
    }
  });
});
