// Parked streams (issue 15 §5), on both transports against real PostgreSQL and real Kafka: a consumer
// whose effects must not skip an event parks the stream of an event that keeps failing; later events of
// that stream wait (held) while other streams flow; the operator lists parked streams and dead letters,
// replays one once its cause is fixed (the held events follow, in order) or discards one with a reason,
// over HTTP, and each resolution names who made it. On Kafka the parked letter reaches the dead-letter
// topic through the dead-letter table (its outbox).
import { randomUUID } from 'node:crypto';
import { Controller, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { Kafka } from 'kafkajs';
import { IntegrationEvent, deadLetterTopic, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer, EventContext, KafkaEventConsumer, KafkaOutboxRelay, OnEvent, type EventConsumerServer } from '#libs/messaging';
import { PlatformModule } from '#libs/platform';
import { dropSchema, kafkaBrokers, testDatabaseUrl, testPublicKeys, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { DeadLettersController } from './dead-letters.controller.js';
import { HOSTED_SCHEMAS } from './hosted-databases.js';

@IntegrationEvent('ledgerlines')
class LedgerLineWrittenContract {
  @IsString() lineId!: string;
  @IsInt() @Min(0) n!: number;
}

const SECRET = 'dead-letters-int-spec-secret-0123456789';
const letters = (n: number) => Array.from(randomUUID().replaceAll('-', '').slice(0, n), (c) => String.fromCharCode(97 + (parseInt(c, 16) % 26))).join('');

interface Transport {
  name: string;
  consumerFor(ctx: { producer: string; consumer: string; producerDb: ServiceDatabase; consumerDb: ServiceDatabase }): Promise<{ server: EventConsumerServer; notify(): void; stop(): Promise<void> }>;
}

const embedded: Transport = {
  name: 'embedded',
  async consumerFor({ producer, consumer, producerDb, consumerDb }) {
    const bus = new EmbeddedEventBus();
    bus.register(producer, producerDb.log);
    const server = new EmbeddedEventConsumer({ consumer, producers: [producer], database: consumerDb, bus, pollIntervalMs: 20, retry: { maxAttempts: 2, initialBackoffMs: 10 }, parksStreams: true });
    return { server, notify: () => bus.notify(producer), stop: async () => undefined };
  },
};

const kafka: Transport = {
  name: 'kafka',
  async consumerFor({ producer, consumer, producerDb, consumerDb }) {
    const brokers = kafkaBrokers();
    const relay = new KafkaOutboxRelay({ producer, database: producerDb, brokers, pollIntervalMs: 20 });
    await relay.start();
    const server = new KafkaEventConsumer({ consumer, producers: [producer], database: consumerDb, brokers, retry: { maxAttempts: 2, initialBackoffMs: 10 }, sessionTimeoutMs: 10000, parksStreams: true });
    return { server, notify: () => relay.notify(), stop: () => relay.stop() };
  },
};

describe.each([embedded, kafka])('parked streams on the $name transport', (transport) => {
  const producer = `pp${letters(8)}`;
  const consumer = `pc${letters(8)}`;
  const producerSchema = uniqueSchema('park_prod');
  const consumerSchema = uniqueSchema('park_cons');
  let producerDb: ServiceDatabase;
  let consumerDb: ServiceDatabase;
  let stopTransport: () => Promise<void>;
  let notify: () => void;
  let microservice: INestMicroservice;
  let http: INestApplication;
  let base: string;
  let operatorToken: string;
  /** The cause of the poison: fixed by the test before the replay. */
  let broken = true;

  @Controller()
  class LedgerConsumer {
    @OnEvent(consumer, 'LedgerLineWritten')
    async onLine(@Payload() event: EventEnvelope<LedgerLineWrittenContract>, @Ctx() ctx: EventContext): Promise<void> {
      if (event.data.lineId === 'poison' && broken) throw new Error('the ledger cannot book this line yet');
      await ctx.manager.query(`INSERT INTO "${consumerSchema}".applied (stream_id, n) VALUES ($1, $2)`, [event.streamId, event.data.n]);
    }
  }

  const append = async (streamId: string, n: number, lineId = `line-${n}`) => {
    await producerDb.store.append(streamId, [{ type: 'LedgerLineWritten', data: { lineId, n } }], { expectedVersion: 'any', metadata: { correlationId: streamId, causationId: 'test' } });
    notify();
  };
  const applied = async (streamId: string): Promise<number[]> =>
    (await consumerDb.dataSource.query<{ n: number }[]>(`SELECT n FROM "${consumerSchema}".applied WHERE stream_id = $1 ORDER BY id`, [streamId])).map((r) => r.n);
  const call = async (method: string, path: string, body?: unknown, token = operatorToken) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any }; // response bodies, read by assertions
  };
  const lettersOf = async () => ((await call('GET', '/admin/dead-letters')).body as { service: string; deadLetters: { id: string; streamId: string; status: string; resolvedBy: string | null; resolution: string | null }[] }[])[0].deadLetters;

  beforeAll(async () => {
    producerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: producerSchema });
    consumerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: consumerSchema });
    await consumerDb.dataSource.query(`CREATE TABLE "${consumerSchema}".applied (id bigserial, stream_id text, n int)`);
    const started = await transport.consumerFor({ producer, consumer, producerDb, consumerDb });
    stopTransport = started.stop;
    notify = started.notify;
    const consumerModule = await Test.createTestingModule({ controllers: [LedgerConsumer] }).compile();
    microservice = consumerModule.createNestMicroservice({ strategy: started.server, logger: false });
    await microservice.listen();
    // The operator's endpoints as a host serves them, for one service (the consumer) in its schema.
    const adminModule = await Test.createTestingModule({
      imports: [PlatformModule.forRoot({ serviceName: consumer, config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(SECRET), LOG_LEVEL: 'error' } })],
      controllers: [DeadLettersController],
      providers: [
        { provide: HOSTED_SCHEMAS, useValue: { [consumer]: consumerSchema } },
        { provide: ServiceDatabase, useValue: consumerDb },
      ],
    }).compile();
    http = adminModule.createNestApplication({ logger: false });
    await http.listen(0);
    base = `http://127.0.0.1:${(http.getHttpServer().address() as { port: number }).port}`;
    operatorToken = await testTokens(SECRET).issue({ sub: 'op-alice', role: 'operator', audience: consumer });
  }, 60_000);

  afterAll(async () => {
    await http?.close();
    await microservice?.close();
    await stopTransport?.();
    await producerDb?.close();
    await consumerDb?.close();
    await dropSchema(testDatabaseUrl(), producerSchema);
    await dropSchema(testDatabaseUrl(), consumerSchema);
  });

  it('parks the stream of a poison event: later events of it wait, other streams flow', async () => {
    await append('account-a', 1, 'poison');
    await append('account-a', 2);
    await append('account-b', 10);
    await append('account-a', 3);
    await append('account-b', 11);
    await waitFor(async () => ((await applied('account-b')).length === 2 ? true : null), { timeoutMs: 30_000, message: 'account-b flowed' });
    const waiting = await waitFor(
      async () => {
        const all = (await lettersOf()).filter((l) => l.streamId === 'account-a');
        return all.filter((l) => l.status === 'held').length === 2 ? all : null;
      },
      { timeoutMs: 30_000, message: 'two events of account-a held behind the parked one' },
    );
    expect(waiting.map((l) => l.status).sort()).toEqual(['held', 'held', 'parked']);
    expect(await applied('account-a')).toEqual([]); // nothing of the parked stream was applied past the poison
    expect(await applied('account-b')).toEqual([10, 11]);
    const parked = (await call('GET', '/admin/parked-streams')).body as { service: string; parkedStreams: { streamId: string; heldEvents: number; reason: string }[] }[];
    expect(parked[0].parkedStreams).toEqual([expect.objectContaining({ streamId: 'account-a', heldEvents: 2, reason: expect.stringContaining('cannot book this line') })]);
  });

  it('refuses to replay a held event before the parked one, and a workshop token, and an unknown id', async () => {
    const held = (await lettersOf()).find((l) => l.streamId === 'account-a' && l.status === 'held')!;
    expect(await call('POST', `/admin/dead-letters/${held.id}/replay`)).toMatchObject({ status: 409, body: { error: 'dead_letter_held' } });
    expect((await call('POST', `/admin/dead-letters/${consumer}-999999/replay`)).status).toBe(404);
    expect((await call('POST', '/admin/dead-letters/nonsense/replay')).status).toBe(404);
    const workshop = await testTokens(SECRET).issue({ sub: 'ws-1', role: 'workshop', audience: consumer });
    expect((await call('POST', `/admin/dead-letters/${held.id}/replay`, undefined, workshop)).status).toBe(403);
    expect(await applied('account-a')).toEqual([]);
  });

  it('replays the parked event once its cause is fixed, then the held ones in order; the stream flows again', async () => {
    const parked = (await lettersOf()).find((l) => l.streamId === 'account-a' && l.status === 'parked')!;
    expect(await call('POST', `/admin/dead-letters/${parked.id}/replay`)).toMatchObject({ status: 200, body: { outcome: 'failed', reason: expect.stringContaining('cannot book') } });
    broken = false;
    expect(await call('POST', `/admin/dead-letters/${parked.id}/replay`)).toMatchObject({ status: 200, body: { letterId: parked.id, outcome: 'replayed', released: 2 } });
    expect(await applied('account-a')).toEqual([1, 2, 3]);
    const after = (await lettersOf()).filter((l) => l.streamId === 'account-a');
    expect(after.map((l) => [l.status, l.resolvedBy]).sort()).toEqual([
      ['replayed', 'op-alice'],
      ['replayed', 'stream released'],
      ['replayed', 'stream released'],
    ]);
    expect((await call('POST', `/admin/dead-letters/${parked.id}/replay`)).body).toMatchObject({ error: 'dead_letter_resolved' });
    await append('account-a', 4);
    await waitFor(async () => ((await applied('account-a')).length === 4 ? true : null), { timeoutMs: 30_000, message: 'account-a flows again' });
    expect(await applied('account-a')).toEqual([1, 2, 3, 4]);
  });

  it('discards a parked event with a reason; the held ones follow', async () => {
    broken = true;
    await append('account-c', 1, 'poison');
    await append('account-c', 2);
    const parked = await waitFor(
      async () => {
        const all = (await lettersOf()).filter((l) => l.streamId === 'account-c');
        return all.some((l) => l.status === 'held') ? all.find((l) => l.status === 'parked') : null;
      },
      { timeoutMs: 30_000, message: 'account-c parked with one held event' },
    );
    expect((await call('POST', `/admin/dead-letters/${parked.id}/discard`, { reason: '' })).status).toBe(400);
    expect(await call('POST', `/admin/dead-letters/${parked.id}/discard`, { reason: 'booked by hand in the bank portal' })).toMatchObject({ status: 200, body: { outcome: 'discarded', released: 1 } });
    expect(await applied('account-c')).toEqual([2]);
    const letter = (await lettersOf()).find((l) => l.id === parked.id)!;
    expect(letter).toMatchObject({ status: 'discarded', resolvedBy: 'op-alice', resolution: 'booked by hand in the bank portal' });
    if (transport.name === 'kafka') {
      // Both parked letters reached the dead-letter topic from the table (its outbox), once each.
      await waitFor(async () => {
        const rows: { n: number }[] = await consumerDb.dataSource.query(`SELECT count(*)::int AS n FROM "${consumerSchema}".dead_letters WHERE published_at IS NOT NULL`);
        return rows[0].n === 2 ? true : null;
      }, { timeoutMs: 30_000, message: 'both parked letters published' });
      const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'dlq-reader' }).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(deadLetterTopic(consumer));
      await admin.disconnect();
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(2);
    }
  });
});
