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

/** A login role of its own in the test cluster, and the URL that connects as it with its password. */
export interface TestDatabaseRole {
  role: string;
  password: string;
  url: string;
  /** Drops the role and what it owns; call it after everything that connected as it has closed. */
  drop(): Promise<void>;
}

/**
 * Creates a role with a random password (allowed to create schemas in the test database) and returns a
 * URL that logs in as it. For tests that need credentials of their own: whatever the server's
 * authentication (a trust-auth machine cluster, the scram-sha-256 embedded cluster, a container), the
 * password in this URL is the role's real password, so nothing depends on the server ignoring it.
 */
export async function testDatabaseRole(prefix: string): Promise<TestDatabaseRole> {
  const admin = testDatabaseUrl();
  const role = `r_${slug(prefix, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  await withClient(admin, async (client) => {
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
    await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${client.escapeLiteral(password)}`);
    await client.query(`GRANT CREATE ON DATABASE ${client.escapeIdentifier(database)} TO ${client.escapeIdentifier(role)}`);
  });
  const url = new URL(admin);
  url.username = role;
  url.password = password;
  return {
    role,
    password,
    url: url.toString(),
    drop: () =>
      withClient(admin, async (client) => {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
        await client.query(`DROP OWNED BY ${client.escapeIdentifier(role)} CASCADE`);
        await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`);
      }),
  };
}

async function withClient(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
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
