// Killing the delivering service loses nothing: the five producers run in this process on the real
// Kafka broker, notifications as its own OS process (dist/, as deployed). Brands are funded while a
// slow receiver takes their webhooks; the notifications process is killed with SIGKILL mid-delivery and
// started again, and every FundsDeposited reaches its brand's endpoint (a webhook in flight at the kill
// may come twice with the same webhook-id; the receiver keeps it once).
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, waitFor } from '#libs/testing';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { messageIdOf } from '../../apps/notifications/src/member-events/member-events.service.js';
import { ServiceProcess, type ServiceName } from '../chaos/service-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { Members } from './order-lifecycle.scenario.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const ROOT = process.cwd();
const run = promisify(execFile);
const SECRET = 'webhook-kill-e2e-secret-that-is-long-enough-for-hs256';
const OPERATOR = `op_webhook-kill-${randomUUID()}`;
const BRANDS = 3;
const DEPOSITS_PER_BRAND = 15;

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

describe('webhooks when the notifications process is killed with SIGKILL mid-delivery', () => {
  const schemas = freshSchemas('whkill');
  const namespace = `whkill-${randomUUID().slice(0, 8)}`;
  const receiver = new WebhookReceiver();
  let producers: RunningHost;
  let notifications: ServiceProcess;
  let db: pg.Client;
  const brands: Record<string, any>[] = [];
  let pendingAtKill = 0;
  let inFlightAtKill = 0;
  let receivedAtKill = 0;

  beforeAll(async () => {
    // The process runs from dist/, built as `npm run build` builds it.
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
    await run(process.execPath, [join(ROOT, 'scripts/copy-assets.mjs')], { cwd: ROOT });
    const common = {
      ...schemas,
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      MESHFAB_KAFKA_NAMESPACE: namespace,
      ...testSigningEnv(SECRET),
      // Kept across the restart: the endpoints' secrets sealed before the kill open after it.
      MESHFAB_NOTIFICATIONS_SECRET_KEY: randomBytes(32).toString('base64'),
      MESHFAB_OPERATOR_TOKEN: OPERATOR,
      LOG_LEVEL: 'warn',
    };
    producers = await startHost(
      'producers',
      NETWORK_SERVICES.filter((s) => s.name !== 'notifications'),
      {
        embedded: false,
        env: { ...common, PORT: '0', MESHFAB_SETTLEMENT_PROVIDER_SECRETS: `sandbox=whsec_${randomBytes(32).toString('base64')}`, MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true', MESHFAB_SANDBOX_PROVIDER_DELAY_MS: '0' },
      },
    );
    await receiver.start();
    receiver.delayMs = 40;
    const logDir = join(ROOT, '.data/e2e-webhook-kill');
    mkdirSync(logDir, { recursive: true });
    notifications = new ServiceProcess(
      // ServiceProcess names the five producers; notifications runs the same way (dist/apps/notifications/src/main.js).
      'notifications' as unknown as ServiceName,
      'notifications',
      await freePort(),
      {
        ...common,
        MESHFAB_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK: 'true',
        MESHFAB_NOTIFICATIONS_POLL_MS: '50',
        MESHFAB_NOTIFICATIONS_BATCH: '4',
        MESHFAB_NOTIFICATIONS_LEASE_MS: '2000',
        MESHFAB_NOTIFICATIONS_RETRY_INITIAL_MS: '200',
        MESHFAB_NOTIFICATIONS_RETRY_MAX_MS: '1000',
      },
      ROOT,
      join(logDir, `${namespace}.log`),
    );
    await notifications.start(120_000);
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();

    const registry = new MeshfabClient(producers.url);
    const members = new Members(registry, { operator: OPERATOR });
    for (let i = 0; i < BRANDS; i++) {
      const brand = await members.brand(`Kill brand ${i} ${randomUUID().slice(0, 6)}`, 0);
      const path = `/hooks/${brand.id}`;
      const created = await new MeshfabClient(notifications.url).post<Record<string, any>>('/notifications/webhook-endpoints', brand.token as string, {
        url: receiver.url(path),
        eventTypes: ['FundsDeposited'],
      });
      receiver.secrets.set(path, created.secret as string);
      brands.push(brand);
    }
    // Deposits go on while the process is killed and restarted.
    const deposits = (async () => {
      for (let round = 0; round < DEPOSITS_PER_BRAND; round++) await Promise.all(brands.map((b) => members.deposit(b, 1_000 + round)));
    })();
    await waitFor(() => receiver.received.size >= 10, { timeoutMs: 60_000, message: 'ten webhooks received' });
    // The receiver stops answering, so the next deliveries are in flight when the process dies.
    let release = () => undefined as void;
    receiver.hold = new Promise<void>((resolve) => (release = resolve));
    const inFlight = `SELECT count(*)::int AS pending, count(*) FILTER (WHERE claimed_until IS NOT NULL)::int AS in_flight FROM ${schemas.MESHFAB_NOTIFICATIONS_SCHEMA}.webhook_deliveries WHERE status = 'pending'`;
    await waitFor(() => receiver.held > 0, { timeoutMs: 60_000, message: 'a delivery in flight' });
    await notifications.kill();
    receivedAtKill = receiver.received.size;
    const { rows } = await db.query<{ pending: number; in_flight: number }>(inFlight);
    pendingAtKill = rows[0].pending;
    inFlightAtKill = rows[0].in_flight;
    // The receiver answers again (what it held it has read in full, and keeps).
    receiver.hold = undefined;
    release();
    await deposits;
    await notifications.start(120_000);
    await waitFor(() => receiver.received.size >= BRANDS * DEPOSITS_PER_BRAND, { timeoutMs: 60_000, intervalMs: 200, message: 'every webhook after the restart' });
  }, 400_000);

  afterAll(async () => {
    await notifications?.stop();
    notifications?.close();
    await producers?.stop();
    await receiver.stop();
    await db?.end();
    await dropSchemas(schemas);
  });

  it('struck mid-delivery', () => {
    expect(notifications.kills).toBe(1);
    expect(receivedAtKill).toBeLessThan(BRANDS * DEPOSITS_PER_BRAND);
    expect(pendingAtKill).toBeGreaterThan(0);
    // Claimed and sent (or being sent) when the process died: their outcome was never recorded.
    expect(inFlightAtKill).toBeGreaterThan(0);
  });

  it('delivers every FundsDeposited of every brand once per webhook-id, signed', async () => {
    const { rows } = await db.query<{ event_id: string; brand_id: string }>(
      `SELECT event_id::text, data->>'brandId' AS brand_id FROM ${schemas.MESHFAB_SETTLEMENT_SCHEMA}.events WHERE type = 'FundsDeposited'`,
    );
    expect(rows).toHaveLength(BRANDS * DEPOSITS_PER_BRAND);
    const expected = rows.map((r) => `/hooks/${r.brand_id} ${messageIdOf(r.event_id, r.brand_id)}`).sort();
    expect([...receiver.received.keys()].sort()).toEqual(expected);
    expect(receiver.badSignatures).toBe(0);
    const { rows: states } = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ${schemas.MESHFAB_NOTIFICATIONS_SCHEMA}.webhook_deliveries GROUP BY status`);
    expect(states).toEqual([{ status: 'delivered', n: BRANDS * DEPOSITS_PER_BRAND }]);
    process.stdout.write(
      `webhook kill -9 figures: ${JSON.stringify({ webhooks: expected.length, receivedBeforeKill: receivedAtKill, pendingAtKill, inFlightAtKill, duplicatesSuppressedByReceiver: receiver.duplicates })}\n`,
    );
  });
});
