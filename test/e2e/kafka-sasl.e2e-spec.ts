// Kafka with TLS and SASL: the network runs against a broker of this test's own (deploy/local/kafka.sh up
// --sasl --tls, its own ports and data directory, so the shared broker is never touched) through its SASL_SSL
// listener with SCRAM-SHA-512, trusting the broker's CA, its events crossing Kafka between services; wrong
// credentials (SCRAM and PLAIN, on the SASL_PLAINTEXT listener) and a broker certificate it cannot verify are refused.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { KafkaReachability } from '#libs/messaging';
import { RuntimeConfig, startHost, type RunningHost } from '#libs/runtime';
import { loadConfig } from '#libs/platform';
import { testDatabaseUrl, testSigningEnv, testTokens } from '#libs/testing';
import { eventually, MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { joinNetwork } from './order-lifecycle.scenario.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'kafka-sasl-signing-seed'; // the registry's key and the public half, derived from it (libs/testing)
const OPERATOR = 'op_kafka-sasl-operator-token-0123456789';
// Below Linux's ephemeral range, apart from the ports of the other tests' brokers (28092, 29092).
const PORT = 26092;
const SASL_PORT = PORT + 2;
const SASL_SSL_PORT = PORT + 3;
const SASL_BROKERS = `127.0.0.1:${SASL_PORT}`;
const SASL_SSL_BROKERS = `127.0.0.1:${SASL_SSL_PORT}`;
const USER = 'meshfab-sasl';
const PASSWORD = randomBytes(18).toString('base64url');
const dataDir = resolve('.data/kafka-sasl-test');
const brokerEnv = {
  ...process.env,
  KAFKA_PORT: String(PORT),
  KAFKA_CONTROLLER_PORT: String(PORT + 1),
  KAFKA_SASL_PORT: String(SASL_PORT),
  KAFKA_SASL_SSL_PORT: String(SASL_SSL_PORT),
  KAFKA_SASL_USERNAME: USER,
  KAFKA_SASL_PASSWORD: PASSWORD,
  MESHFAB_DATA_DIR: dataDir,
};
const CA_FILE = resolve(dataDir, 'kafka/tls/ca.crt'); // made by kafka.sh --tls
const broker = (...args: string[]) => promisify(execFile)('bash', ['deploy/local/kafka.sh', ...args], { env: brokerEnv, timeout: 180_000 });

function networkEnv(sasl: Record<string, string>): Record<string, string> {
  return {
    ...freshSchemas('sasl'),
    DATABASE_URL: testDatabaseUrl(),
    PORT: '0',
    ...testSigningEnv(SECRET),
    MESHFAB_OPERATOR_TOKEN: OPERATOR,
    LOG_LEVEL: 'error',
    MESHFAB_DATA_DIR: '.data/e2e',
    MESHFAB_SETTLEMENT_PROVIDER_SECRETS: `sandbox=whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`,
    MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true',
    KAFKA_BROKERS: SASL_BROKERS,
    MESHFAB_KAFKA_NAMESPACE: `sasl-${randomUUID().slice(0, 8)}`,
    ...sasl,
  };
}

describe('Kafka over TLS and SASL (a broker of this test)', () => {
  const env = networkEnv({
    KAFKA_BROKERS: SASL_SSL_BROKERS,
    MESHFAB_KAFKA_TLS: 'true',
    MESHFAB_KAFKA_TLS_CA_FILE: CA_FILE,
    MESHFAB_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    MESHFAB_KAFKA_SASL_USERNAME: USER,
    MESHFAB_KAFKA_SASL_PASSWORD: PASSWORD,
  });
  let host: RunningHost | undefined;

  beforeAll(async () => {
    rmSync(dataDir, { recursive: true, force: true }); // SCRAM users are written when the storage is formatted
    await broker('up', '--sasl', '--tls');
  }, 200_000);
  afterAll(async () => {
    await host?.stop();
    await broker('down');
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchemas(env);
  }, 120_000);

  it('runs the network over TLS with SCRAM-SHA-512: an order crosses Kafka from orders to matching and back', async () => {
    host = await startHost('network', NETWORK_SERVICES, { embedded: false, env: { ...env } });
    const client = new MeshfabClient(host.url);
    const actors = { operator: OPERATOR, inspector: await testTokens(SECRET).issue({ sub: `inspector-${randomUUID()}`, role: 'inspector' }) };
    const { members, orders } = await joinNetwork(client, actors);
    const brand = await members.brand('SASL Apparel', 5_000_000);
    const orderId = await orders.submit(brand, 100);
    // Matching planned it from orders' event and orders heard matching's: both ways over SASL.
    const view = await eventually(`order ${orderId} planned`, async () => {
      const order = await client.get<{ lots?: unknown[] }>(`/orders/${orderId}`, brand.token as string);
      return Array.isArray(order.lots) && order.lots.length > 0 ? order : undefined;
    }, 90_000);
    expect(view.lots!.length).toBeGreaterThan(0);
    const ready = (await (await fetch(`${host.url}/health/ready`)).json()) as { checks: Record<string, { status: string }> };
    expect(ready.checks.kafka.status).toBe('ok');
  }, 240_000);

  it('refuses a network with a wrong SCRAM password (SASL_PLAINTEXT listener), naming the authentication failure', async () => {
    const wrong = networkEnv({ MESHFAB_KAFKA_SASL_MECHANISM: 'scram-sha-512', MESHFAB_KAFKA_SASL_USERNAME: USER, MESHFAB_KAFKA_SASL_PASSWORD: `${PASSWORD}-wrong` });
    try {
      await expect(startHost('network', NETWORK_SERVICES, { embedded: false, env: { ...wrong } })).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
    } finally {
      await dropSchemas(wrong);
    }
  }, 120_000);

  it('PLAIN: the readiness probe of the project authenticates with the right password and is refused with a wrong one or none', async () => {
    const probe = (security?: ConstructorParameters<typeof KafkaReachability>[2]) => new KafkaReachability([SASL_BROKERS], 'sasl-test', security);
    const right = probe({ sasl: { mechanism: 'plain', username: USER, password: PASSWORD } });
    const wrong = probe({ sasl: { mechanism: 'plain', username: USER, password: 'not-the-password' } });
    const none = probe();
    try {
      await expect(right.check()).resolves.toBeUndefined();
      await expect(wrong.check()).rejects.toThrow(/SASL PLAIN authentication failed/);
      await expect(none.check()).rejects.toThrow(/no Kafka broker answers/);
    } finally {
      await Promise.all([right.close(), wrong.close(), none.close()]);
    }
  }, 60_000);

  it('TLS: without the broker\'s CA (the system CAs only) the certificate is not trusted', async () => {
    const settings = { KAFKA_BROKERS: SASL_SSL_BROKERS, MESHFAB_KAFKA_TLS: 'true', MESHFAB_KAFKA_SASL_MECHANISM: 'scram-sha-512', MESHFAB_KAFKA_SASL_USERNAME: USER, MESHFAB_KAFKA_SASL_PASSWORD: PASSWORD };
    const untrusting = new KafkaReachability([SASL_SSL_BROKERS], 'tls-test', loadConfig(RuntimeConfig, settings).kafkaSecurity());
    const trusting = new KafkaReachability([SASL_SSL_BROKERS], 'tls-test', loadConfig(RuntimeConfig, { ...settings, MESHFAB_KAFKA_TLS_CA_FILE: CA_FILE }).kafkaSecurity());
    try {
      await expect(untrusting.check()).rejects.toThrow(/certificate/);
      await expect(trusting.check()).resolves.toBeUndefined();
    } finally {
      await Promise.all([untrusting.close(), trusting.close()]);
    }
  }, 60_000);
});
