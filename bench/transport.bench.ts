// Publish → handled through the real paths: event store (outbox) → relay → Kafka → consumer with
// inbox, and the embedded transport; reference: raw kafkajs produce → consume of the same payloads
// on the same broker, in the same run.
import { randomUUID } from 'node:crypto';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import { IsInt, IsString } from 'class-validator';
import { Kafka, logLevel } from 'kafkajs';
import { IntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer, KafkaEventConsumer, KafkaOutboxRelay, OnEvent, type EventConsumerServer, type EventContext } from '#libs/messaging';
import { log, machineInfo, median, percentile, printReport, round } from './bench-kit.js';

class BenchTickContract {
  @IsString() tickId!: string;
  @IsInt() sentAt!: number;
  @IsString() note!: string;
}
IntegrationEvent('bench', 'BenchTick')(BenchTickContract);

const NOTE = 'lot 7 of order 1234: 250 units cut, handed to sewing'.padEnd(200, '.');

interface Sink {
  handled: number;
  latencies: number[];
  waitFor(count: number, timeoutMs: number): Promise<void>;
}

function makeSink(): Sink {
  const sink: Sink = {
    handled: 0,
    latencies: [],
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (sink.handled < count) {
        if (Date.now() > deadline) throw new Error(`only ${sink.handled} of ${count} handled in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
  return sink;
}

/** Appends `count` events with `writers` concurrent appenders; or, with `ratePerSec`, paced. */
async function publish(db: ServiceDatabase, count: number, writers: number, ratePerSec?: number): Promise<void> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < count; i = next++) {
        if (ratePerSec) {
          const due = started + (i * 1000) / ratePerSec;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await db.store.append(`tick-${i % 64}`, [{ type: 'BenchTick', data: { tickId: randomUUID(), sentAt: Date.now(), note: NOTE } }], {
          expectedVersion: 'any',
          metadata: { correlationId: 'bench', causationId: 'bench' },
        });
      }
    }),
  );
}

async function ourPath(kind: 'kafka' | 'embedded', args: { databaseUrl: string; brokers: string[]; count: number }): Promise<{ throughput: number; p50: number; p99: number; rate: number }> {
  const id = randomUUID().slice(0, 8);
  const producer = `benchp${id}`;
  const consumer = `benchc${id}`;
  const producerDb = await ServiceDatabase.open({ url: args.databaseUrl, schema: `bench_p_${id}`, poolSize: 20 });
  const consumerDb = await ServiceDatabase.open({ url: args.databaseUrl, schema: `bench_c_${id}`, poolSize: 20 });
  await consumerDb.dataSource.query(`CREATE TABLE "bench_c_${id}".ticks (tick_id text PRIMARY KEY)`);
  let sink = makeSink();

  @Controller()
  class TickConsumer {
    @OnEvent(consumer, 'BenchTick')
    async onTick(@Payload() event: EventEnvelope<BenchTickContract>, @Ctx() ctx: EventContext): Promise<void> {
      await ctx.manager.query(`INSERT INTO "bench_c_${id}".ticks (tick_id) VALUES ($1)`, [event.data.tickId]);
      sink.handled += 1;
      sink.latencies.push(Date.now() - event.data.sentAt);
    }
  }

  let relay: KafkaOutboxRelay | undefined;
  let server: EventConsumerServer;
  if (kind === 'kafka') {
    relay = new KafkaOutboxRelay({ producer, database: producerDb, brokers: args.brokers, pollIntervalMs: 50 });
    await relay.start();
    server = new KafkaEventConsumer({ consumer, producers: [producer], database: consumerDb, brokers: args.brokers, partitionsConsumedConcurrently: 6 });
  } else {
    const bus = new EmbeddedEventBus();
    bus.register(producer, producerDb.log);
    producerDb.onAppend(() => bus.notify(producer));
    server = new EmbeddedEventConsumer({ consumer, producers: [producer], database: consumerDb, bus, pollIntervalMs: 50 });
  }
  const app: INestMicroservice = await NestFactory.createMicroservice(
    { module: class BenchModule {}, controllers: [TickConsumer] },
    { strategy: server, logger: false, abortOnError: false },
  );
  await app.listen();

  // Warm-up, then full-speed throughput, then latency at half that rate.
  await publish(producerDb, 200, 8);
  await sink.waitFor(200, 60000);
  sink = makeSink();
  const t0 = performance.now();
  await publish(producerDb, args.count, 16);
  await sink.waitFor(args.count, 120000);
  const throughput = args.count / ((performance.now() - t0) / 1000);
  sink = makeSink();
  const rate = Math.max(10, Math.floor(throughput / 2));
  const paced = Math.min(args.count, rate * 5);
  await publish(producerDb, paced, 16, rate);
  await sink.waitFor(paced, 120000);
  const result = { throughput, p50: percentile(sink.latencies, 50), p99: percentile(sink.latencies, 99), rate };

  await app.close();
  await relay?.stop();
  await producerDb.dataSource.query(`DROP SCHEMA "bench_p_${id}" CASCADE`);
  await consumerDb.dataSource.query(`DROP SCHEMA "bench_c_${id}" CASCADE`);
  await producerDb.close();
  await consumerDb.close();
  return result;
}

async function rawKafka(args: { brokers: string[]; count: number }): Promise<{ throughput: number; p50: number; p99: number; rate: number }> {
  const kafka = new Kafka({ brokers: args.brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
  const topic = `bench.raw.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let sink = makeSink();
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachMessage: async ({ message }) => {
      const { data } = JSON.parse(message.value!.toString()) as { data: { sentAt: number } };
      const sentAt = data.sentAt;
      sink.handled += 1;
      sink.latencies.push(Date.now() - sentAt);
    },
  });
  const send = async (count: number, writers: number, ratePerSec?: number) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = next++; i < count; i = next++) {
          if (ratePerSec) {
            const wait = started + (i * 1000) / ratePerSec - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
          const value = JSON.stringify({ eventId: randomUUID(), type: 'BenchTick', streamId: `tick-${i % 64}`, data: { tickId: randomUUID(), sentAt: Date.now(), note: NOTE } });
          await producer.send({ topic, acks: -1, messages: [{ key: `tick-${i % 64}`, value, headers: { type: 'BenchTick' } }] });
        }
      }),
    );
  };
  await send(200, 8);
  await sink.waitFor(200, 60000);
  sink = makeSink();
  const t0 = performance.now();
  await send(args.count, 16);
  await sink.waitFor(args.count, 120000);
  const throughput = args.count / ((performance.now() - t0) / 1000);
  sink = makeSink();
  const rate = Math.max(10, Math.floor(throughput / 2));
  const paced = Math.min(args.count, rate * 5);
  await send(paced, 16, rate);
  await sink.waitFor(paced, 120000);
  const result = { throughput, p50: percentile(sink.latencies, 50), p99: percentile(sink.latencies, 99), rate };
  await consumer.disconnect();
  await producer.disconnect();
  return result;
}

export async function transportBench(args: { quick: boolean; databaseUrl: string; brokers: string[] }): Promise<void> {
  const rounds = args.quick ? 1 : 3;
  const count = args.quick ? 1000 : 5000;
  const runs: Record<string, { throughput: number; p50: number; p99: number; rate: number }[]> = { kafka: [], embedded: [], raw: [] };
  for (let r = 0; r < rounds; r++) {
    runs.raw.push(await rawKafka({ brokers: args.brokers, count }));
    log(`raw kafkajs: ${Math.round(runs.raw[r].throughput)}/s`);
    runs.kafka.push(await ourPath('kafka', { ...args, count }));
    log(`outbox→relay→Kafka→inbox: ${Math.round(runs.kafka[r].throughput)}/s`);
    runs.embedded.push(await ourPath('embedded', { ...args, count }));
    log(`embedded: ${Math.round(runs.embedded[r].throughput)}/s`);
  }
  const summary = (name: string) => ({
    throughput: median(runs[name].map((x) => x.throughput)),
    p50: median(runs[name].map((x) => x.p50)),
    p99: median(runs[name].map((x) => x.p99)),
    rate: median(runs[name].map((x) => x.rate)),
  });
  const raw = summary('raw');
  const results = ['kafka', 'embedded'].map((name) => {
    const s = summary(name);
    return {
      case: name === 'kafka' ? 'event store → outbox relay → Kafka → consumer with inbox' : 'event store → embedded transport → consumer with inbox',
      unit: 'events/s',
      value: Math.round(s.throughput),
      reference: Math.round(raw.throughput),
      ratio: round(s.throughput / raw.throughput),
      latencyAtHalfLoad: { ratePerSec: s.rate, p50Ms: s.p50, p99Ms: s.p99, referenceP50Ms: raw.p50, referenceP99Ms: raw.p99 },
      rounds,
      events: count,
    };
  });
  printReport({ bench: 'transport', results, machine: machineInfo({ quick: args.quick, reference: 'raw kafkajs produce (acks=all, idempotent) → consume, same payloads, same broker, 16 producers, 6 partitions' }) });
}
