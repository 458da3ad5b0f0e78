// No batch is too large and no event wedges the relay (issue 15, section 2): the relay sizes its
// produce requests below the broker's limit, splits a request the broker refuses as too large, and
// makes an event that the broker refuses on its own visible instead of retrying it silently forever.
import { randomBytes, randomUUID } from 'node:crypto';
import { IsString } from 'class-validator';
import { ConfigResourceTypes, ConfigSource, Kafka, logLevel, type Consumer } from 'kafkajs';
import { IntegrationEvent, eventsTopic } from '#libs/contracts';
import { MAX_EVENT_BYTES, ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, kafkaBrokers, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { KafkaReachability } from './kafka-client.js';
import { KafkaOutboxRelay, relayTallies } from './kafka-outbox-relay.js';

class DrawingAttachedContract {
  @IsString() drawing!: string;
}
IntegrationEvent('relay-size-test', 'DrawingAttached')(DrawingAttachedContract);

/** Random base64: compresses about as badly as data can, so GZIP cannot hide an oversized request. */
const drawing = (bytes: number) => randomBytes(Math.floor((bytes * 3) / 4)).toString('base64');

describe('outbox relay and message size', () => {
  const schema = uniqueSchema('relay_size');
  const namespace = `rs${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'relay-size-test', logLevel: logLevel.NOTHING });
  let db: ServiceDatabase;
  let relay: KafkaOutboxRelay | undefined;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
  });
  afterEach(async () => {
    await relay?.stop();
    await consumer?.disconnect();
    relay = undefined;
    consumer = undefined;
  });
  afterAll(async () => {
    await db.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const attach = (streamId: string, bytes: number, version: number, count = 1) =>
    db.store.append(
      streamId,
      Array.from({ length: count }, () => ({ type: 'DrawingAttached', data: { drawing: drawing(bytes) } })),
      { expectedVersion: version, metadata: { correlationId: streamId, causationId: streamId } },
    );

  /** Every message on the topic, in arrival order per partition: `streamId → eventIds`. */
  async function collect(topic: string, into: Map<string, string[]>): Promise<void> {
    consumer = kafka.consumer({ groupId: `${topic}.reader`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key!.toString();
        into.set(key, [...(into.get(key) ?? []), message.headers!.eventId!.toString()]);
      },
    });
  }

  it('publishes 50 events of the largest size a service accepts, all of them, in order per stream', async () => {
    const producer = 'drawings';
    relay = new KafkaOutboxRelay({ producer, database: db, brokers: kafkaBrokers(), namespace, pollIntervalMs: 20 });
    // Appended before the relay starts: it finds all 50 (about 25 MB) waiting, as after an outage.
    const appended = new Map<string, string[]>();
    for (let n = 0; n < 50; n++) {
      // Five streams: ten events of one stream share a partition (and a produce request, uncut).
      const streamId = `drawing-set-${n % 5}`;
      const { events } = await attach(streamId, MAX_EVENT_BYTES - 1024, Math.floor(n / 5));
      appended.set(streamId, [...(appended.get(streamId) ?? []), events[0].eventId]);
    }
    await relay.start();

    const received = new Map<string, string[]>();
    await collect(eventsTopic(producer, namespace), received);
    await waitFor(() => [...received.values()].flat().length >= 50, { timeoutMs: 50_000, message: 'all 50 large events published' });
    expect(received).toEqual(appended);
    expect(relay.published).toBe(50);
    // Sized right from the start: the broker refused nothing.
    expect(relayTallies().get(producer)).toMatchObject({ splitRequests: 0, refusedEvents: 0 });
  }, 90_000);

  it('splits a request the broker refuses as too large, and shows an event the broker refuses on its own', async () => {
    const producer = 'sketches';
    const topic = eventsTopic(producer, namespace);
    const reachability = new KafkaReachability(kafkaBrokers(), 'relay-size-test-readiness');
    relay = new KafkaOutboxRelay({ producer, database: db, brokers: kafkaBrokers(), namespace, pollIntervalMs: 20, reachability });
    await relay.start();
    // The topic's limit drops below the relay's request size after it started (an operator's change).
    await setTopicMaxMessageBytes(kafka, topic, 200_000);

    const received = new Map<string, string[]>();
    await collect(topic, received);
    // Five events of 100 KB (about 76 KB gzipped) in one transaction, so in one batch of the relay:
    // the 500 KB request is refused, its halves get through.
    await attach('sketch-book', 100_000, 0, 5);
    await waitFor(() => (received.get('sketch-book')?.length ?? 0) >= 5, { timeoutMs: 30_000, message: 'five events published after splitting' });
    expect(relayTallies().get(producer)?.splitRequests).toBeGreaterThan(0);

    // One event of 400 KB (300 KB gzipped) exceeds the topic's limit on its own: it cannot be split.
    const { events } = await attach('sketch-book', 400_000, 5);
    const blocked = events[0].eventId;
    await waitFor(() => relayTallies().get(producer)?.blockedEventId === blocked, { timeoutMs: 30_000, message: 'the refused event is reported' });
    expect(relayTallies().get(producer)?.refusedEvents).toBeGreaterThan(0);
    await expect(reachability.check()).rejects.toThrow(new RegExp(`${blocked}.*too large`));

    // Once the topic takes it again, the relay publishes it and reports nothing any more.
    await setTopicMaxMessageBytes(kafka, topic, 1_048_588);
    await waitFor(() => received.get('sketch-book')?.length === 6, { timeoutMs: 30_000, message: 'the refused event published after the fix' });
    await waitFor(() => relayTallies().get(producer)?.blockedEventId === undefined, { timeoutMs: 5000, message: 'no longer blocked' });
    await reachability.check();
    await reachability.close();
  }, 90_000);
});

async function setTopicMaxMessageBytes(kafka: Kafka, topic: string, bytes: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
    // AlterConfigs replaces every override of the topic: keep the others.
    const overrides = described.resources[0].configEntries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configName !== 'max.message.bytes');
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [...overrides.map((e) => ({ name: e.configName, value: e.configValue })), { name: 'max.message.bytes', value: String(bytes) }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}
