// The references of the transport bench: what Kafka itself does on the same broker, in the same run.
// - raw kafkajs as a user would tune it: acks=all, idempotent producer, every send carrying all the
//   messages queued while the previous one was in flight (a linger of one round trip, like Kafka's own
//   producer), no compression (local broker: gzip costs CPU and saves no network), eachBatch consumer;
// - Kafka's own ProducerPerformance / ConsumerPerformance (kafka-producer-perf-test / kafka-consumer-perf-test),
//   from the kafka-tools jar of the broker's version on Maven Central (bench/kafka-tools.sh).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { log, percentile } from './bench-kit.js';

const run = promisify(execFile);

export interface TransportFigures {
  throughput: number;
  p50: number;
  p99: number;
  rate: number;
}

export interface Sink {
  handled: number;
  latencies: number[];
  waitFor(count: number, timeoutMs: number): Promise<void>;
}

export function makeSink(): Sink {
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

/** Full speed with `count` events, then latency at half that rate: the figures every path reports. */
export async function measure(
  send: (count: number, ratePerSec?: number) => Promise<void>,
  sinkOf: () => Sink,
  resetSink: () => void,
  count: number,
): Promise<TransportFigures> {
  await send(200);
  await sinkOf().waitFor(200, 60000);
  resetSink();
  const t0 = performance.now();
  await send(count);
  await sinkOf().waitFor(count, 120000);
  const throughput = count / ((performance.now() - t0) / 1000);
  resetSink();
  const rate = Math.max(10, Math.floor(throughput / 2));
  const paced = Math.min(count, rate * 5);
  await send(paced, rate);
  await sinkOf().waitFor(paced, 120000);
  const latencies = sinkOf().latencies;
  return { throughput, p50: percentile(latencies, 50), p99: percentile(latencies, 99), rate };
}

/** Runs `produce(i)` for i < count on `writers` concurrent loops, paced to `ratePerSec` if given. */
export async function paced(count: number, writers: number, produce: (i: number) => Promise<void>, ratePerSec?: number): Promise<void> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < count; i = next++) {
        if (ratePerSec) {
          const wait = started + (i * 1000) / ratePerSec - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await produce(i);
      }
    }),
  );
}

export async function rawKafkaBatched(args: { brokers: string[]; count: number; value: (i: number) => string }): Promise<TransportFigures> {
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
    eachBatch: async (payload) => {
      for (const message of payload.batch.messages) {
        const { data } = JSON.parse(message.value!.toString()) as { data: { sentAt: number } };
        sink.handled += 1;
        sink.latencies.push(Date.now() - data.sentAt);
        payload.resolveOffset(message.offset);
      }
      await payload.heartbeat();
    },
  });

  // Writers queue messages; one sender sends everything queued while the previous request was in flight.
  let queue: Message[] = [];
  let sending: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, 1000);
      queue = queue.slice(batch.length);
      await producer.send({ topic, acks: -1, messages: batch });
    }
    sending = undefined;
  };
  // A writer hands its message over and goes on (as an appender goes on once its event is committed;
  // the relay publishes it later): the producer's queue, not the writers, bounds what is in flight.
  const enqueue = (message: Message) => {
    queue.push(message);
    sending ??= flush();
    return Promise.resolve();
  };
  const send = async (count: number, ratePerSec?: number) => {
    await paced(count, 16, (i) => enqueue({ key: `tick-${i % 64}`, value: args.value(i), headers: { type: 'BenchTick' } }), ratePerSec);
    await sending;
  };
  const figures = await measure(send, () => sink, () => (sink = makeSink()), args.count);
  await consumer.disconnect();
  await producer.disconnect();
  return figures;
}

/** Kafka's own perf tools, the jar directory from bench/kafka-tools.sh; undefined when Java or Maven is missing. */
export async function kafkaPerfTools(args: { brokers: string[]; count: number; recordSize: number }): Promise<{ produce: number; consume: number; produceP99Ms: number } | undefined> {
  let libs: string;
  try {
    libs = (await run('bash', ['bench/kafka-tools.sh'], { timeout: 600_000 })).stdout.trim();
  } catch (error) {
    log(`kafka-tools unavailable, Kafka's perf tools skipped: ${String(error)}`);
    return undefined;
  }
  const topic = `bench.perf.${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ brokers: args.brokers, clientId: 'bench-perf', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const java = (main: string, ...rest: string[]) => run('java', ['-Xmx512m', '-cp', `${libs}/*`, `org.apache.kafka.tools.${main}`, ...rest], { timeout: 300_000 });
  const produced = await java(
    'ProducerPerformance',
    '--topic', topic,
    '--num-records', String(args.count),
    '--record-size', String(args.recordSize),
    '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${args.brokers.join(',')}`, 'acks=all', 'enable.idempotence=true',
  );
  // "N records sent, X records/sec (… MB/sec), … ms avg latency, … ms max latency, a ms 50th, b ms 95th, c ms 99th, …"
  const summary = produced.stdout.trim().split('\n').pop() ?? '';
  const produce = Number(/([\d.]+) records\/sec/.exec(summary)?.[1]);
  const produceP99Ms = Number(/([\d.]+) ms 99th/.exec(summary)?.[1]);
  const consumed = await java('ConsumerPerformance', '--bootstrap-server', args.brokers.join(','), '--topic', topic, '--num-records', String(args.count), '--timeout', '60000');
  // CSV: start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const row = consumed.stdout.trim().split('\n').pop()!.split(',').map((x) => x.trim());
  const consume = Number(row[9]);
  return { produce, consume, produceP99Ms };
}
