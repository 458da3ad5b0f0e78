// Every change the registry makes is published and reaches a test consumer through both transports:
// the Kafka one (the registry's outbox → KafkaOutboxRelay → real Apache Kafka → KafkaEventConsumer) and
// the embedded one (EmbeddedEventBus → EmbeddedEventConsumer), with each message's contract checked.
import { randomUUID } from 'node:crypto';
import { Controller, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { assertContract, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer, EventContext, KafkaEventConsumer, KafkaOutboxRelay, OnEvent, type EventConsumerServer } from '#libs/messaging';
import { PlatformModule } from '#libs/platform';
import { dropSchema, kafkaBrokers, testDatabaseUrl, testPublicKeys, testSigning, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { qualityRecordStream, RegistryStreams } from './registry.context.js';
import { RegistryModule } from './registry.module.js';

const secret = 'registry-transport-secret-that-is-long-enough-0123456789';
const NOW = new Date('2030-03-01T08:00:00.000Z');
const registrySchema = uniqueSchema('registry_transport');
const kafkaConsumerSchema = uniqueSchema('registry_kafka_consumer');
const embeddedConsumerSchema = uniqueSchema('registry_embedded_consumer');
const namespace = `rt${randomUUID().slice(0, 8)}`;
const kafkaConsumer = `rk${randomUUID().slice(0, 8)}`;
const embeddedConsumer = `re${randomUUID().slice(0, 8)}`;

/** Every change type the registry publishes. */
const CHANGE_TYPES = [
  'BrandRegistered',
  'WorkshopRegistered',
  'WorkshopCapabilitiesChanged',
  'WorkshopProfileUpdated',
  'CapacityDeclared',
  'CapacityWithdrawn',
  'WorkshopSuspended',
  'WorkshopReinstated',
  'MemberTokenRevoked',
  'WorkshopQualityRecordUpdated',
  'InspectorRegistered',
] as const;

type Json = Record<string, any>;
type Received = EventEnvelope<Json>[];

/** A test consumer named `consumer` handling every registry change type, recording what it received. */
function recorderFor(consumer: string, received: Received) {
  @Controller()
  class RegistryEventsRecorder {
    private record(event: EventEnvelope<Json>, ctx: EventContext): void {
      expect(ctx.envelope.eventId).toBe(event.eventId);
      received.push(event);
    }
    @OnEvent(consumer, 'BrandRegistered') brand(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'WorkshopRegistered') registered(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'WorkshopCapabilitiesChanged') capabilities(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'WorkshopProfileUpdated') profile(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'CapacityDeclared') declared(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'CapacityWithdrawn') withdrawn(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'WorkshopSuspended') suspended(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'WorkshopReinstated') reinstated(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'MemberTokenRevoked') revoked(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'WorkshopQualityRecordUpdated') quality(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
    @OnEvent(consumer, 'InspectorRegistered') inspector(@Payload() e: EventEnvelope<Json>, @Ctx() c: EventContext): void {
      this.record(e, c);
    }
  }
  return RegistryEventsRecorder;
}

describe('registry events through the Kafka and the embedded transports', () => {
  let app: INestApplication;
  let base: string;
  let registryDb: ServiceDatabase;
  let kafkaConsumerDb: ServiceDatabase;
  let embeddedConsumerDb: ServiceDatabase;
  let relay: KafkaOutboxRelay;
  const consumers: INestMicroservice[] = [];
  const viaKafka: Received = [];
  const viaEmbedded: Received = [];
  let operator: string;

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
  };

  const startConsumer = async (strategy: EventConsumerServer, controller: new (...args: never[]) => unknown) => {
    const moduleRef = await Test.createTestingModule({ controllers: [controller] }).compile();
    const microservice = moduleRef.createNestMicroservice({ strategy, logger: false });
    await microservice.listen();
    consumers.push(microservice);
  };

  beforeAll(async () => {
    operator = await testTokens(secret).issue({ sub: 'operator-1', role: 'operator' });
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'registry', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } }),
        RegistryModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env: { MESHFAB_REGISTRY_SCHEMA: registrySchema }, clock: () => NOW }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
    registryDb = app.get(ServiceDatabase);
    kafkaConsumerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: kafkaConsumerSchema });
    embeddedConsumerDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: embeddedConsumerSchema });

    // Kafka: the registry's outbox relayed to `<namespace>.registry.events`, read by a consumer group of its own.
    relay = new KafkaOutboxRelay({ producer: 'registry', database: registryDb, brokers: kafkaBrokers(), namespace, pollIntervalMs: 20 });
    await relay.start();
    await startConsumer(
      new KafkaEventConsumer({ consumer: kafkaConsumer, producers: ['registry'], database: kafkaConsumerDb, brokers: kafkaBrokers(), namespace, retry: { maxAttempts: 2, initialBackoffMs: 10 }, sessionTimeoutMs: 10_000 }),
      recorderFor(kafkaConsumer, viaKafka),
    );

    // Embedded: the registry's event log on the in-process bus.
    const bus = new EmbeddedEventBus();
    bus.register('registry', registryDb.log);
    registryDb.onAppend(() => bus.notify('registry'));
    await startConsumer(
      new EmbeddedEventConsumer({ consumer: embeddedConsumer, producers: ['registry'], database: embeddedConsumerDb, bus, pollIntervalMs: 20, retry: { maxAttempts: 2, initialBackoffMs: 10 } }),
      recorderFor(embeddedConsumer, viaEmbedded),
    );
  }, 60_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.close();
    await relay?.stop();
    await app?.close();
    await kafkaConsumerDb?.close();
    await embeddedConsumerDb?.close();
    for (const schema of [registrySchema, kafkaConsumerSchema, embeddedConsumerSchema]) await dropSchema(testDatabaseUrl(), schema);
  });

  it('delivers every change type, with its contract, to a test consumer through Kafka and through the embedded transport', async () => {
    // One of each change, through the registry's routes (and its quality-record command path).
    const brand = await call('POST', '/registry/brands', operator, { name: 'Transport Brand' });
    expect(brand.status).toBe(201);
    const sewing = { process: 'sewing', parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 1200, currency: 'CNY' } };
    const shop = await call('POST', '/registry/workshops', operator, {
      name: 'Transport Shop', location: { lat: 29.87, lng: 121.54, region: 'Zhejiang', city: 'Ningbo' }, certifications: [], capabilities: [sewing],
    });
    expect(shop.status).toBe(201);
    const id = shop.body.id as string;
    const steps = [
      await call('PATCH', `/registry/workshops/${id}`, shop.body.token, { name: 'Transport Shop Co.' }),
      await call('PUT', `/registry/workshops/${id}/capabilities`, shop.body.token, { capabilities: [sewing, { ...sewing, process: 'cutting' }] }),
      await call('POST', `/registry/workshops/${id}/capacity`, shop.body.token, { action: 'declare', process: 'sewing', hoursPerDay: 8, from: '2030-03-02' }),
      await call('POST', `/registry/workshops/${id}/capacity`, shop.body.token, { action: 'withdraw', process: 'sewing', from: '2030-03-04', until: '2030-03-05' }),
      await call('POST', `/registry/workshops/${id}/suspend`, operator, { reason: 'audit' }),
      await call('POST', `/registry/workshops/${id}/reinstate`, operator, { reason: 'audit passed' }),
      await call('DELETE', `/registry/members/${id}/tokens/${String(shop.body.tokenId)}`, operator),
      await call('POST', '/registry/inspectors', operator, { name: 'Transport Inspector' }),
    ];
    expect(steps.map((s) => s.status)).toEqual([200, 200, 200, 200, 200, 200, 204, 201]);
    await app.get(RegistryStreams).qualityRecords.handle(
      qualityRecordStream(id, 'sewing'),
      { type: 'RecordDelivery', workshopId: id, process: 'sewing', subtaskId: 'st-1', completedAt: '2030-03-05T10:00:00.000Z', dueAt: '2030-03-06T10:00:00.000Z' },
      { metadata: { correlationId: 'transport-test', causationId: 'transport-test' } },
    );
    relay.notify();

    const ours = (received: Received) => received.filter((e) => e.data.workshopId === id || e.data.memberId === id || e.data.brandId === brand.body.id || e.data.name === 'Transport Inspector');
    for (const [name, received] of [['kafka', viaKafka], ['embedded', viaEmbedded]] as const) {
      const got = await waitFor(() => {
        const mine = ours(received);
        return CHANGE_TYPES.every((type) => mine.some((e) => e.type === type)) ? mine : null;
      }, { timeoutMs: 45_000, message: `every change type through the ${name} transport` });
      expect(new Set(got.map((e) => e.type))).toEqual(new Set(CHANGE_TYPES));
      for (const e of got) expect(() => assertContract(e.type, e.data)).not.toThrow();
      // One aggregate's events arrive in the order they were committed (one stream, one partition / lane).
      const workshopVersions = got.filter((e) => e.streamId === `workshop-${id}`).map((e) => e.streamVersion);
      expect(workshopVersions).toEqual([...workshopVersions].sort((a, b) => a - b));
      expect(got.find((e) => e.type === 'WorkshopQualityRecordUpdated')?.data).toMatchObject({ workshopId: id, process: 'sewing', deliveries: 1, onTimeDeliveries: 1, onTimeRate: 1 });
      expect(got.find((e) => e.type === 'MemberTokenRevoked')?.data).toMatchObject({ memberId: id, tokenId: shop.body.tokenId });
    }
    expect(relay.published).toBeGreaterThanOrEqual(CHANGE_TYPES.length);
    expect(await kafkaConsumerDb.deadLetters.list()).toEqual([]);
    expect(await embeddedConsumerDb.deadLetters.list()).toEqual([]);
  });
});
