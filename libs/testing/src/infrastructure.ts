import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL that the integration global setup provided (see global-setup.ts). */
export function testDatabaseUrl(): string {
  return requiredEnv('DATABASE_URL');
}

/** The Kafka bootstrap brokers that the integration global setup provided, as kafkajs wants them. */
export function kafkaBrokers(): string[] {
  return requiredEnv('KAFKA_BROKERS')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/**
 * A fresh PostgreSQL schema name for one test file, e.g. `t_event_store_3f9a1c2b`, so files never
 * see each other's tables. Drop it in `afterAll` with {@link dropSchema}.
 */
export function uniqueSchema(prefix: string): string {
  return `t_${slug(prefix, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`;
}

/** Drops a schema made for a test, with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A Kafka topic name no other test uses, e.g. `test.relay.5be2e0c1`. */
export function createTopicName(prefix: string): string {
  return `test.${slug(prefix, '-').slice(0, 100)}.${randomBytes(4).toString('hex')}`;
}

function slug(text: string, separator: '_' | '-'): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator)
    .replace(new RegExp(`^\\${separator}+|\\${separator}+$`, 'g'), '');
  return cleaned || 'test';
}

function requiredEnv(name: 'DATABASE_URL' | 'KAFKA_BROKERS'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set. The integration Jest project's global setup (libs/testing/src/global-setup.ts) ` +
        'provides it: run this file as an *.int-spec.ts or *.e2e-spec.ts through `npm test`, or set it yourself.',
    );
  }
  return value;
}
