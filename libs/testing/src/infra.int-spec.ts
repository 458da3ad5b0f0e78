import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import pg from 'pg';
import { createTopicName, dropSchema, kafkaBrokers, testDatabaseUrl, uniqueSchema, waitFor } from './index.js';

// Checks that the global setup really provided PostgreSQL and Kafka, and that the helpers work on them.

describe('test infrastructure', () => {
  describe('PostgreSQL', () => {
    const schema = uniqueSchema('infra');
    let client: pg.Client;

    beforeAll(async () => {
      client = new pg.Client({ connectionString: testDatabaseUrl() });
      await client.connect();
    });

    afterAll(async () => {
      await client.end();
    });

    it('answers, and a schema made for a test is dropped with its tables', async () => {
      const { rows } = await client.query<{ version: string }>('SELECT version()');
      expect(rows[0].version).toMatch(/^PostgreSQL \d+/);

      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`CREATE TABLE ${schema}.lot (id int PRIMARY KEY)`);
      await client.query(`INSERT INTO ${schema}.lot VALUES (1), (2)`);
      const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.lot`);
      expect(count.rows[0].n).toBe('2');

      await dropSchema(testDatabaseUrl(), schema);
      const left = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
      expect(left.rowCount).toBe(0);
    });
  });

  describe('Kafka', () => {
    const kafka = new Kafka({ clientId: 'meshfab-infra-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const topic = createTopicName('infra');
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;

    beforeAll(async () => {
      await admin.connect();
    });

    afterAll(async () => {
      await consumer?.disconnect();
      await producer?.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    });

    it('creates a topic, and a message produced to it is consumed with its key and headers', async () => {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).toBe(true);
      expect(await admin.listTopics()).toContain(topic);

      const eventId = randomUUID();
      const received: { key: string; value: string; eventId: string }[] = [];
      consumer = kafka.consumer({ groupId: `${topic}.group` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            eventId: message.headers?.eventId?.toString() ?? '',
          });
        },
      });

      producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: [{ key: 'order-1', value: '{"type":"OrderSubmitted"}', headers: { eventId } }],
      });

      await waitFor(() => received.length > 0, { timeoutMs: 30_000, message: `a message on ${topic}` });
      expect(received).toEqual([{ key: 'order-1', value: '{"type":"OrderSubmitted"}', eventId }]);
    });
  });
});
