// Members' webhook endpoints through the API on the embedded network: what registration refuses
// (SSRF, plain http, types a role may not get), isolation between members, an endpoint disabled after
// repeated failures with its member told, re-enabled to get what it missed, and secret rotation.
import { randomUUID } from 'node:crypto';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, waitFor } from '#libs/testing';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { Members } from './order-lifecycle.scenario.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const OPERATOR = `op_endpoints-e2e-${randomUUID()}`;
type Json = Record<string, any>;

describe('webhook endpoints', () => {
  const schemas = freshSchemas('endpoints');
  const receiver = new WebhookReceiver();
  let host: RunningHost;
  let client: MeshfabClient;
  let members: Members;
  let brand: Json;
  let workshop: Json;

  beforeAll(async () => {
    await receiver.start();
    host = await startHost('network', NETWORK_SERVICES, {
      embedded: true,
      env: {
        ...schemas,
        DATABASE_URL: testDatabaseUrl(),
        PORT: '0',
        ...testSigningEnv('endpoints-e2e-secret-that-is-long-enough-for-hs256'),
        MESHFAB_OPERATOR_TOKEN: OPERATOR,
        LOG_LEVEL: 'error',
        MESHFAB_DATA_DIR: '.data/e2e-endpoints',
        MESHFAB_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK: 'true',
        MESHFAB_NOTIFICATIONS_POLL_MS: '50',
        MESHFAB_NOTIFICATIONS_RETRY_INITIAL_MS: '50',
        MESHFAB_NOTIFICATIONS_RETRY_MAX_MS: '100',
        MESHFAB_NOTIFICATIONS_DISABLE_AFTER_FAILURES: '3',
        MESHFAB_NOTIFICATIONS_DISABLE_AFTER_MS: '0',
      },
    });
    client = new MeshfabClient(host.url);
    members = new Members(client, { operator: OPERATOR });
    brand = await members.brand(`Endpoints brand ${randomUUID().slice(0, 6)}`, 0);
    workshop = await members.workshop(`Endpoints workshop ${randomUUID().slice(0, 6)}`, 'sewing', 'per_unit', 100, 121.5);
  }, 120_000);

  afterAll(async () => {
    await host?.stop();
    await receiver.stop();
    await dropSchemas(schemas);
  });

  const register = async (who: Json, path: string, eventTypes: string[]) => {
    const created = await client.post<Json>('/notifications/webhook-endpoints', who.token as string, { url: receiver.url(path), eventTypes });
    receiver.secrets.set(path, created.secret as string);
    return created;
  };

  it.each([
    ['http://hooks.example.com/in', ['FundsDeposited'], /url: must use https/],
    ['https://169.254.169.254/latest/meta-data', ['FundsDeposited'], /url: must not point at a private/],
    ['https://10.0.0.7/hook', ['FundsDeposited'], /url: must not point at a private/],
    ['https://hooks.example.com/in', ['SubtaskOffered'], /eventTypes: a brand cannot receive SubtaskOffered/],
    ['https://hooks.example.com/in', [], /eventTypes/],
  ])('refuses %s for %j with a 400 naming the problem', async (url, eventTypes, message) => {
    const refused = await client.call<Json>('POST', '/notifications/webhook-endpoints', { token: brand.token as string, body: { url, eventTypes }, expect: [400] });
    expect(refused.body.message).toMatch(message);
  });

  it("lets only brands and workshops register, shows the secret once, and hides one member's endpoints from another", async () => {
    const byOperator = await client.call('POST', '/notifications/webhook-endpoints', { token: OPERATOR, body: { url: 'https://hooks.example.com/in', eventTypes: ['*'] }, expect: [403] });
    expect(byOperator.status).toBe(403);
    const created = await client.post<Json>('/notifications/webhook-endpoints', workshop.token as string, { url: 'https://hooks.example.com/w', eventTypes: ['SubtaskOffered'] });
    expect(created.secret).toMatch(/^whsec_/);
    const read = await client.get<Json>(`/notifications/webhook-endpoints/${created.id}`, workshop.token as string);
    expect(read).not.toHaveProperty('secret');
    expect(JSON.stringify(read)).not.toContain((created.secret as string).slice(6));
    for (const [method, path] of [
      ['GET', `/notifications/webhook-endpoints/${created.id}`],
      ['PATCH', `/notifications/webhook-endpoints/${created.id}`],
      ['DELETE', `/notifications/webhook-endpoints/${created.id}`],
      ['POST', `/notifications/webhook-endpoints/${created.id}/rotate-secret`],
      ['GET', `/notifications/webhook-endpoints/${created.id}/deliveries`],
    ]) {
      const other = await client.call(method, path, { token: brand.token as string, body: method === 'PATCH' ? { description: 'x' } : undefined, expect: [404] });
      expect([method, path, other.status]).toEqual([method, path, 404]);
    }
    const list = await client.get<Json>('/notifications/webhook-endpoints', brand.token as string);
    expect((list.items as Json[]).map((e) => e.id as string)).not.toContain(created.id);
    await client.call('DELETE', `/notifications/webhook-endpoints/${created.id}`, { token: workshop.token as string, expect: [204] });
    await client.call('GET', `/notifications/webhook-endpoints/${created.id}`, { token: workshop.token as string, expect: [404] });
  });

  it('disables an endpoint after repeated failures, tells the member on its other endpoint, and delivers what it missed once re-enabled', async () => {
    const failing = await register(brand, '/broken', ['FundsDeposited']);
    const watcher = await register(brand, '/watcher', ['WebhookEndpointDisabled']);
    receiver.failing.add('/broken');
    await members.deposit(brand, 50_000);
    const told = await waitFor(() => receiver.ofType('WebhookEndpointDisabled', '/watcher')[0], { timeoutMs: 20_000, message: 'the member told' });
    expect(told.body.data).toMatchObject({ endpointId: failing.id, url: failing.url });
    const disabled = await client.get<Json>(`/notifications/webhook-endpoints/${failing.id}`, brand.token as string);
    expect(disabled).toMatchObject({ status: 'disabled', consecutiveFailures: 3 });
    expect(disabled.disabledReason).toMatch(/3 failed attempts in a row .*answered 500/);
    expect(receiver.ofType('FundsDeposited')).toEqual([]);
    const log = await client.get<Json>(`/notifications/webhook-endpoints/${failing.id}/deliveries`, brand.token as string);
    expect(log.items).toEqual([expect.objectContaining({ type: 'FundsDeposited', status: 'pending', attempts: 3, lastStatusCode: 500, lastError: 'answered 500' })]);

    receiver.failing.delete('/broken');
    const enabled = await client.call<Json>('PATCH', `/notifications/webhook-endpoints/${failing.id}`, { token: brand.token as string, body: { status: 'enabled' } });
    expect(enabled.body).toMatchObject({ status: 'enabled', consecutiveFailures: 0, disabledReason: null });
    const delivered = await waitFor(() => receiver.ofType('FundsDeposited', '/broken')[0], { timeoutMs: 20_000, message: 'the missed webhook delivered' });
    expect(delivered.body.data).toMatchObject({ amount: { amountMinor: 50_000 } });
    expect(receiver.ofType('WebhookEndpointDisabled', '/watcher')).toHaveLength(1);
    expect(watcher.status).toBe('enabled');
  });

  it('signs with the new and the previous secret for a day after a rotation', async () => {
    const endpoint = await register(brand, '/rotating', ['FundsDeposited']);
    const oldSecret = receiver.secrets.get('/rotating')!;
    const rotated = await client.post<Json>(`/notifications/webhook-endpoints/${endpoint.id}/rotate-secret`, brand.token as string);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(oldSecret);
    expect(Date.parse(rotated.previousSecretValidUntil as string) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    receiver.secrets.set('/rotating', rotated.secret as string); // the receiver verifies with the new secret only
    await members.deposit(brand, 10_000);
    const got = await waitFor(() => receiver.ofType('FundsDeposited', '/rotating')[0], { timeoutMs: 20_000, message: 'the webhook after rotation' });
    expect(got.signatures).toBe(2);
    expect(receiver.badSignatures).toBe(0);
  });
});

describe('readiness with a webhook backlog', () => {
  const schemas = freshSchemas('backlog');
  let host: RunningHost;

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, {
      embedded: true,
      env: {
        ...schemas,
        DATABASE_URL: testDatabaseUrl(),
        PORT: '0',
        ...testSigningEnv('backlog-e2e-secret-that-is-long-enough-for-hs256'),
        MESHFAB_OPERATOR_TOKEN: OPERATOR,
        LOG_LEVEL: 'error',
        MESHFAB_DATA_DIR: '.data/e2e-backlog',
        // Nobody delivers in this process: the deliveries stay due.
        MESHFAB_NOTIFICATIONS_DELIVER: 'false',
        MESHFAB_NOTIFICATIONS_BACKLOG_READY_MAX: '2',
        MESHFAB_READY_MAX_BACKLOG: '100000',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await host?.stop();
    await dropSchemas(schemas);
  });

  it('reports webhook-backlog failing once more deliveries are due than the threshold', async () => {
    const client = new MeshfabClient(host.url);
    const members = new Members(client, { operator: OPERATOR });
    const brand = await members.brand(`Backlog brand ${randomUUID().slice(0, 6)}`, 0);
    await client.post('/notifications/webhook-endpoints', brand.token as string, { url: 'https://hooks.example.com/backlog', eventTypes: ['FundsDeposited'] });
    const ready = async () => {
      const response = await fetch(`${host.url}/health/ready`);
      return { status: response.status, body: (await response.json()) as Json };
    };
    const before = await ready();
    expect(before.body.checks['webhook-backlog']).toEqual({ status: 'ok' });
    expect(before.body.checks['event-backlog']).toEqual({ status: 'ok' });
    for (let i = 0; i < 3; i++) await members.deposit(brand, 1_000 + i);
    const after = await waitFor(
      async () => {
        const r = await ready();
        return r.body.checks['webhook-backlog']?.status === 'failing' ? r : undefined;
      },
      { timeoutMs: 20_000, message: 'webhook-backlog failing' },
    );
    expect(after.status).toBe(503);
    expect(after.body.checks['webhook-backlog'].message).toMatch(/^3 webhook deliveries are due \(MESHFAB_NOTIFICATIONS_BACKLOG_READY_MAX 2\)$/);
  });
});
