// Publish → handled through the real paths: event store (outbox) → relay → Kafka → consumer with
// inbox, and the embedded transport; reference: raw kafkajs produce → consume of the same payloads
// on the same broker, in the same run.
import { randomUUID } from 'node:crypto';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import { IsInt, IsString } from 'class-validator';
import { IntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { ConcurrencyError, ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer, KafkaEventConsumer, KafkaOutboxRelay, OnEvent, type EventConsumerServer, type EventContext } from '#libs/messaging';
import { log, machineInfo, median, printReport, round } from './bench-kit.js';
import { kafkaPerfTools, makeSink, measure, paced, rawKafkaBatched, type TransportFigures } from './kafka-references.js';

class BenchTickContract {
  @IsString() tickId!: string;
  @IsInt() sentAt!: number;
  @IsString() note!: string;
}
IntegrationEvent('bench', 'BenchTick')(BenchTickContract);

const NOTE = 'lot 7 of order 1234: 250 units cut, handed to sewing'.padEnd(200, '.');

/** Appends `count` events with `writers` concurrent appenders; or, with `ratePerSec`, paced. */
function publish(db: ServiceDatabase, count: number, writers: number, ratePerSec?: number): Promise<void> {
  return paced(
    count,
    writers,
    async (i) => {
      for (;;) {
        try {
          await db.store.append(`tick-${i % 64}`, [{ type: 'BenchTick', data: { tickId: randomUUID(), sentAt: Date.now(), note: NOTE } }], {
            expectedVersion: 'any',
            metadata: { correlationId: 'bench', causationId: 'bench' },
          });
          return;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error; // two writers raced on one stream: append again
        }
      }
    },
    ratePerSec,
  );
}

async function ourPath(kind: 'kafka' | 'embedded', args: { databaseUrl: string; brokers: string[]; count: number }): Promise<TransportFigures> {
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

  const result = await measure((count, rate) => publish(producerDb, count, 16, rate), () => sink, () => (sink = makeSink()), args.count);

  await app.close();
  await relay?.stop();
  await producerDb.dataSource.query(`DROP SCHEMA "bench_p_${id}" CASCADE`);
  await consumerDb.dataSource.query(`DROP SCHEMA "bench_c_${id}" CASCADE`);
  await producerDb.close();
  await consumerDb.close();
  return result;
}

/**
 * The producers on their own: the same appends (16 writers, one event per transaction, same payload) into
 * a store nobody reads, events/s. Our paths start with these appends, so they cannot beat this rate; the
 * part of the gap to raw Kafka that is the store's own write rate shows here.
 */
async function appendsAlone(args: { databaseUrl: string; count: number }): Promise<number> {
  const id = randomUUID().slice(0, 8);
  const db = await ServiceDatabase.open({ url: args.databaseUrl, schema: `bench_a_${id}`, poolSize: 20 });
  const started = performance.now();
  await publish(db, args.count, 16);
  const rate = args.count / ((performance.now() - started) / 1000);
  await db.dataSource.query(`DROP SCHEMA "bench_a_${id}" CASCADE`);
  await db.close();
  return rate;
}

/**
 * The relay on its own: `count` events already committed in the outbox (appended in batches of 100),
 * then the relay starts and publishes them; events/s from its first to its last acknowledged request.
 */
async function relayDrain(args: { databaseUrl: string; brokers: string[]; count: number }): Promise<number> {
  const id = randomUUID().slice(0, 8);
  const db = await ServiceDatabase.open({ url: args.databaseUrl, schema: `bench_r_${id}`, poolSize: 4 });
  for (let i = 0; i < args.count; i += 100) {
    const events = Array.from({ length: Math.min(100, args.count - i) }, () => ({ type: 'BenchTick', data: { tickId: randomUUID(), sentAt: Date.now(), note: NOTE } }));
    await db.store.append(`tick-${(i / 100) % 64}`, events, { expectedVersion: 'any', metadata: { correlationId: 'bench', causationId: 'bench' } });
  }
  const relay = new KafkaOutboxRelay({ producer: `benchr${id}`, database: db, brokers: args.brokers, pollIntervalMs: 50 });
  await relay.start();
  const started = performance.now();
  while (relay.published < args.count) await new Promise((r) => setTimeout(r, 2));
  const rate = args.count / ((performance.now() - started) / 1000);
  await relay.stop();
  await db.dataSource.query(`DROP SCHEMA "bench_r_${id}" CASCADE`);
  await db.close();
  return rate;
}

/** The message value of the raw references: the envelope our relay publishes, same size. */
const rawValue = () =>
  JSON.stringify({
    eventId: randomUUID(),
    type: 'BenchTick',
    schemaVersion: 1,
    streamId: 'tick-1',
    streamVersion: 1,
    occurredAt: new Date().toISOString(),
    correlationId: 'bench',
    causationId: 'bench',
    data: { tickId: randomUUID(), sentAt: Date.now(), note: NOTE },
  });

export async function transportBench(args: { quick: boolean; databaseUrl: string; brokers: string[] }): Promise<void> {
  const rounds = args.quick ? 1 : 3;
  const count = args.quick ? 2000 : 5000;
  const runs: Record<string, TransportFigures[]> = { kafka: [], embedded: [], raw: [] };
  const drains: number[] = [];
  const appends: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // More events for the reference: at its rate a couple of thousand are gone in a fraction of a second.
    runs.raw.push(await rawKafkaBatched({ brokers: args.brokers, count: count * 10, value: rawValue }));
    log(`raw kafkajs (batched): ${Math.round(runs.raw[r].throughput)}/s`);
    runs.kafka.push(await ourPath('kafka', { ...args, count }));
    log(`outbox→relay→Kafka→inbox: ${Math.round(runs.kafka[r].throughput)}/s`);
    runs.embedded.push(await ourPath('embedded', { ...args, count }));
    log(`embedded: ${Math.round(runs.embedded[r].throughput)}/s`);
    drains.push(await relayDrain({ ...args, count: count * 5 }));
    log(`relay draining a committed backlog: ${Math.round(drains[r])}/s`);
    appends.push(await appendsAlone({ ...args, count }));
    log(`the producers' appends alone: ${Math.round(appends[r])}/s`);
  }
  const perfCount = args.quick ? 20_000 : 100_000;
  const perf = await kafkaPerfTools({ brokers: args.brokers, count: perfCount, recordSize: Buffer.byteLength(rawValue()) });
  if (perf) log(`Kafka's perf tools: produce ${Math.round(perf.produce)}/s, consume ${Math.round(perf.consume)}/s`);
  const summary = (name: string) => ({
    throughput: median(runs[name].map((x) => x.throughput)),
    p50: median(runs[name].map((x) => x.p50)),
    p99: median(runs[name].map((x) => x.p99)),
    rate: median(runs[name].map((x) => x.rate)),
  });
  const raw = summary('raw');
  const results: Record<string, unknown>[] = ['kafka', 'embedded'].map((name) => {
    const s = summary(name);
    return {
      case: name === 'kafka' ? 'event store → outbox relay → Kafka → consumer with inbox' : 'event store → embedded transport → consumer with inbox',
      unit: 'events/s',
      value: Math.round(s.throughput),
      reference: Math.round(raw.throughput),
      ratio: round(s.throughput / raw.throughput),
      target: name === 'kafka' ? 0.5 : undefined,
      // The same appends with no transport behind them (same run): the rate our path starts from.
      appendsAlone: Math.round(median(appends)),
      ratioToAppendsAlone: round(s.throughput / median(appends)),
      latencyAtHalfLoad: { ratePerSec: s.rate, p50Ms: s.p50, p99Ms: s.p99, targetP99Ms: 50, referenceRatePerSec: raw.rate, referenceP50Ms: raw.p50, referenceP99Ms: raw.p99 },
      rounds,
      events: count,
    };
  });
  results.push({
    case: 'outbox relay alone: a committed backlog → Kafka (acks=all, gzip), published events/s',
    unit: 'events/s',
    value: Math.round(median(drains)),
    reference: Math.round(raw.throughput),
    ratio: round(median(drains) / raw.throughput),
    events: count * 5,
  });
  results.push({ case: 'raw kafkajs, batched produce → eachBatch consume (reference)', unit: 'events/s', value: Math.round(raw.throughput), latencyAtHalfLoad: { ratePerSec: raw.rate, p50Ms: raw.p50, p99Ms: raw.p99 } });
  if (perf) {
    results.push({
      case: "Kafka's own kafka-producer-perf-test / kafka-consumer-perf-test (org.apache.kafka.tools, same broker)",
      unit: 'records/s',
      produce: Math.round(perf.produce),
      produceP99Ms: perf.produceP99Ms,
      consume: Math.round(perf.consume),
      records: perfCount,
      ratioOfOursToSlowerSide: round(summary('kafka').throughput / Math.min(perf.produce, perf.consume), 3),
    });
  }
  printReport({
    bench: 'transport',
    results,
    machine: machineInfo({
      quick: args.quick,
      reference:
        'raw kafkajs: acks=all, idempotent producer, each send carrying every message queued while the previous was in flight (up to 1,000), eachBatch consumer, same payload size, same broker, 16 producers, 6 partitions',
    }),
  });
}
