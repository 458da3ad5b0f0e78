import { randomUUID } from 'node:crypto';
import { IsString } from 'class-validator';
import { Kafka } from 'kafkajs';
import { IntegrationEvent, eventsTopic } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, kafkaBrokers, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { KafkaOutboxRelay } from './kafka-outbox-relay.js';

class ParcelShippedContract {
  @IsString() parcelId!: string;
}
IntegrationEvent('relay-test', 'ParcelShipped')(ParcelShippedContract);

describe('outbox relay replicas', () => {
  const schema = uniqueSchema('relay');
  const producer = `rl${randomUUID().slice(0, 8)}`;
  let db: ServiceDatabase;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
  });
  afterAll(async () => {
    await db.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const ship = (n: number) =>
    db.store.append(`parcel-${n}`, [{ type: 'ParcelShipped', data: { parcelId: `p${n}` } }], { expectedVersion: 0, metadata: { correlationId: 'c', causationId: 'c' } });

  async function topicSize(): Promise<number> {
    const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'relay-test' }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(eventsTopic(producer));
    await admin.disconnect();
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  }

  it('lets one replica publish while the other stands by, and hands over when the leader stops', async () => {
    const first = new KafkaOutboxRelay({ producer, database: db, brokers: kafkaBrokers(), pollIntervalMs: 20, standbyRetryMs: 200 });
    const second = new KafkaOutboxRelay({ producer, database: db, brokers: kafkaBrokers(), pollIntervalMs: 20, standbyRetryMs: 200 });
    await first.start();
    await second.start();
    expect([first.leading, second.leading]).toEqual([true, false]);

    for (let n = 1; n <= 10; n++) await ship(n);
    await waitFor(async () => (await topicSize()) === 10, { timeoutMs: 20000, message: 'ten events published once' });
    expect(second.published).toBe(0);

    await first.stop();
    for (let n = 11; n <= 15; n++) await ship(n);
    await waitFor(async () => (await topicSize()) === 15, { timeoutMs: 20000, message: 'the standby took over' });
    expect(second.leading).toBe(true);
    expect(second.published).toBe(5);
    await second.stop();
  });
});
