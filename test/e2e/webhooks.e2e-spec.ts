// Push, not poll: a demo-sized run of the embedded network with every brand and workshop registered for
// webhooks at a real HTTP receiver that verifies each signature. Half the workshops' receiver is down
// until their first deliveries have been retried; one workshop also watches its SSE stream.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, testTokens, waitFor } from '#libs/testing';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { runDemo, type DemoResult } from '../../apps/network/src/demo/scenario.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { messageIdOf } from '../../apps/notifications/src/member-events/member-events.service.js';
import { EventStreamClient, WebhookReceiver } from '../support/webhook-receiver.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'webhooks-e2e-secret-that-is-long-enough-for-hs256';
const OPERATOR = `op_webhooks-e2e-${randomUUID()}`;
type Json = Record<string, any>;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

describe('webhooks and the event stream over a demo-sized run', () => {
  const schemas = freshSchemas('webhooks');
  const receiver = new WebhookReceiver();
  const lateReceiver = new WebhookReceiver();
  const endpoints = new Map<string, { endpointId: string; role: string; token: string; late: boolean; createdBy: Date }>();
  let host: RunningHost;
  let client: MeshfabClient;
  let db: pg.Client;
  let result: DemoResult;
  // Every workshop watches its stream too, as a dashboard would.
  const streams = new Map<string, EventStreamClient>();
  const s = schemas.MESHFAB_NOTIFICATIONS_SCHEMA;

  beforeAll(async () => {
    await receiver.start();
    await lateReceiver.start();
    await lateReceiver.stop(); // down from the start: its port refuses connections
    host = await startHost('network', NETWORK_SERVICES, {
      embedded: true,
      env: {
        ...schemas,
        DATABASE_URL: testDatabaseUrl(),
        PORT: '0',
        ...testSigningEnv(SECRET),
        MESHFAB_OPERATOR_TOKEN: OPERATOR,
        LOG_LEVEL: 'warn',
        MESHFAB_DATA_DIR: '.data/e2e-webhooks',
        MESHFAB_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK: 'true',
        MESHFAB_NOTIFICATIONS_POLL_MS: '100',
        MESHFAB_NOTIFICATIONS_RETRY_INITIAL_MS: '200',
        MESHFAB_NOTIFICATIONS_RETRY_MAX_MS: '1000',
        MESHFAB_NOTIFICATIONS_HEARTBEAT_MS: '1000',
      },
    });
    client = new MeshfabClient(host.url);
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    let workshopsJoined = 0;
    const onMemberJoined = async (member: { role: 'brand' | 'workshop'; id: string; token: string }) => {
      // Every other workshop's receiver is the one that is down for a while.
      const late = member.role === 'workshop' && workshopsJoined++ % 2 === 1;
      const target = late ? lateReceiver : receiver;
      const path = `/hooks/${member.id}`;
      // The stream opens first: it then carries everything a webhook carries (and perhaps a few events
      // recorded before the endpoint existed, which no webhook carries).
      if (member.role === 'workshop') {
        const stream = new EventStreamClient(`${host.url}/events/stream`, member.token);
        await stream.open();
        streams.set(member.id, stream);
      }
      const created = await client.post<Json>('/notifications/webhook-endpoints', member.token, { url: target.url(path), eventTypes: ['*'], description: 'e2e' });
      target.secrets.set(path, created.secret as string);
      endpoints.set(member.id, { endpointId: created.id as string, role: member.role, token: member.token, late, createdBy: new Date() });
    };
    const signInspectorTokens = (keys: readonly string[]) => Promise.all(keys.map((k) => testTokens(SECRET).issue({ sub: `inspector-wh-${k}`, role: 'inspector' })));
    // The late receiver comes up once a delivery to it has been tried (and refused) at least three times.
    const revive = (async () => {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${s}.webhook_deliveries WHERE endpoint_id = ANY($1) AND attempts >= 3`,
            [[...endpoints.values()].filter((e) => e.late).map((e) => e.endpointId)],
          );
          return rows[0].n > 0;
        },
        { timeoutMs: 150_000, intervalMs: 200, message: 'a delivery to the late receiver retried three times' },
      );
      await lateReceiver.start();
    })();
    result = await runDemo(client, { operatorToken: OPERATOR, signInspectorTokens }, { workshops: 12, orders: 4, seed: 7, runId: randomUUID().slice(0, 8), timeoutMs: 150_000, onMemberJoined });
    await revive;
    // Everything the run produced reaches the receivers: every delivery delivered, and no new one for a
    // second (events of the finished orders, such as their settlement, may still be on their way).
    let last = { deliveries: -1, since: Date.now() };
    await waitFor(
      async () => {
        const { rows } = await db.query<{ n: number; open: number }>(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'delivered')::int AS open FROM ${s}.webhook_deliveries`,
        );
        if (rows[0].n !== last.deliveries) last = { deliveries: rows[0].n, since: Date.now() };
        return rows[0].open === 0 && Date.now() - last.since >= 1000;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'every webhook delivered, and no new one for a second' },
    );
  }, 300_000);

  afterAll(async () => {
    for (const stream of streams.values()) await stream.close();
    await host?.stop();
    await receiver.stop();
    await lateReceiver.stop();
    await db?.end();
    await dropSchemas(schemas);
  });

  it('runs the demo to the end', () => {
    expect(result.summary).toMatchObject({ ordersSubmitted: 4, ordersCompleted: 4 });
  });

  it('delivers every offer of the run exactly once per event id, signed, to the offered workshop only', async () => {
    const { rows: offers } = await db.query<{ event_id: string; workshop_id: string }>(
      `SELECT event_id::text, data->>'workshopId' AS workshop_id FROM ${schemas.MESHFAB_MATCHING_SCHEMA}.events WHERE type = 'SubtaskOffered'`,
    );
    expect(offers.length).toBeGreaterThan(12);
    const expected = offers.map((o) => `${messageIdOf(o.event_id, o.workshop_id)} /hooks/${o.workshop_id}`).sort();
    const got = [...receiver.ofType('SubtaskOffered'), ...lateReceiver.ofType('SubtaskOffered')].map((w) => `${w.id} ${w.path}`).sort();
    expect(got).toEqual(expected);
    expect(receiver.badSignatures + lateReceiver.badSignatures).toBe(0);
    for (const offer of [...receiver.ofType('SubtaskOffered'), ...lateReceiver.ofType('SubtaskOffered')]) {
      expect(offer.body.data).not.toHaveProperty('brandId');
      expect(offer.body.data).toEqual(expect.objectContaining({ subtaskId: expect.any(String), expiresAt: expect.any(String), price: expect.any(Object) }));
    }
    // Both receivers got offers: the one that was down got its share later.
    expect(lateReceiver.ofType('SubtaskOffered').length).toBeGreaterThan(0);
    expect(receiver.ofType('SubtaskOffered').length).toBeGreaterThan(0);
  });

  it('retried what the down receiver missed and delivered it once it came back', async () => {
    const late = [...endpoints.values()].filter((e) => e.late).map((e) => e.endpointId);
    const { rows } = await db.query<{ retried: number; undelivered: number }>(
      `SELECT count(*) FILTER (WHERE attempts > 1)::int AS retried, count(*) FILTER (WHERE status <> 'delivered')::int AS undelivered FROM ${s}.webhook_deliveries WHERE endpoint_id = ANY($1)`,
      [late],
    );
    expect(rows[0]).toEqual({ retried: expect.any(Number), undelivered: 0 });
    expect(rows[0].retried).toBeGreaterThan(0);
    const { rows: refused } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.webhook_attempts a JOIN ${s}.webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = ANY($1) AND a.status_code IS NULL`, [late]);
    expect(refused[0].n).toBeGreaterThan(0);
  });

  it("tells brands of their orders' plan, inspection, completion and money, and workshops of their funding, inspection and payments", () => {
    const all = [...receiver.received.values(), ...lateReceiver.received.values()];
    const typesOf = (role: string) => new Set(all.filter((w) => endpoints.get(w.path.slice('/hooks/'.length))?.role === role).map((w) => w.type));
    expect([...typesOf('brand')]).toEqual(expect.arrayContaining(['OrderPlanned', 'EscrowFunded', 'InspectionPassed', 'PaymentReleased', 'OrderCompleted', 'OrderSettled', 'FundsDeposited']));
    expect([...typesOf('workshop')]).toEqual(expect.arrayContaining(['SubtaskOffered', 'EscrowFunded', 'InspectionPassed', 'PaymentReleased']));
    // A brand never hears of a workshop's net pay, a workshop never of the brand.
    for (const w of all.filter((x) => x.type === 'PaymentReleased' && endpoints.get(x.path.slice(7))?.role === 'brand')) expect(w.body.data).not.toHaveProperty('net');
    for (const w of all.filter((x) => endpoints.get(x.path.slice(7))?.role === 'workshop')) expect(JSON.stringify(w.body.data)).not.toMatch(/brandId/);
  });

  it('streams the same events live over SSE, and resumes after Last-Event-ID', async () => {
    const all = [...receiver.received.values(), ...lateReceiver.received.values()];
    for (const [workshopId, stream] of streams) {
      expect(stream.status).toBe(200);
      // Quiet for a second: a heartbeat comment keeps the connection open.
      expect(stream.heartbeats).toBeGreaterThan(0);
      const viaWebhook = all.filter((w) => w.path === `/hooks/${workshopId}`).map((w) => w.id);
      await waitFor(() => viaWebhook.every((id) => stream.events.some((e) => e.data.id === id)), { timeoutMs: 10_000, message: `the stream of ${workshopId} caught up` });
      const ids = stream.events.map((e) => e.data.id);
      expect(new Set(ids).size).toBe(ids.length);
      // What the stream carried beyond the webhooks was recorded before the endpoint existed.
      const extra = ids.filter((id) => !viaWebhook.includes(id));
      const { rows: extraRecorded } = await db.query<{ recorded_at: Date }>(`SELECT recorded_at FROM ${s}.member_events WHERE message_id = ANY($1)`, [extra]);
      expect(extraRecorded.length).toBe(extra.length);
      for (const row of extraRecorded) expect(row.recorded_at.getTime()).toBeLessThanOrEqual(endpoints.get(workshopId)!.createdBy.getTime());
      expect(stream.events.every((e) => e.event === e.data.type)).toBe(true);
    }
    const [workshopId, busiest] = [...streams].sort((a, b) => b[1].events.length - a[1].events.length)[0];
    expect(busiest.events.length).toBeGreaterThan(3);
    const from = Math.floor(busiest.events.length / 2);
    const resumed = new EventStreamClient(`${host.url}/events/stream`, endpoints.get(workshopId)!.token, busiest.events[from - 1].id);
    await resumed.open();
    await waitFor(() => resumed.events.length >= busiest.events.length - from, { timeoutMs: 10_000, message: 'the resumed stream caught up' });
    await resumed.close();
    expect(resumed.events.map((e) => e.id)).toEqual(busiest.events.slice(from).map((e) => e.id));
    // Another member's stream never carries this workshop's events.
    const others = [...streams].filter(([id]) => id !== workshopId).flatMap(([, st]) => st.events.map((e) => e.data.id));
    expect(others.filter((id) => busiest.events.some((e) => e.data.id === id))).toEqual([]);
  });

  it('keeps a delivery log per endpoint, paged with a cursor, and redelivers by hand with the same webhook-id', async () => {
    const [memberId, endpoint] = [...endpoints.entries()].find(([, e]) => e.role === 'brand')!;
    const seen: string[] = [];
    let cursor: string | null = null;
    let total = 0;
    do {
      const page: Json = await client.get(`/notifications/webhook-endpoints/${endpoint.endpointId}/deliveries?limit=7${cursor ? `&cursor=${cursor}` : ''}`, endpoint.token);
      seen.push(...(page.items as Json[]).map((d) => d.id as string));
      total = page.total as number;
      cursor = page.nextCursor as string | null;
      expect(page.hasMore).toBe(cursor !== null);
    } while (cursor);
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect(total).toBe([...receiver.received.values()].filter((w) => w.path === `/hooks/${memberId}`).length);
    // Another member cannot see it.
    const other = [...endpoints.values()].find((e) => e.role === 'workshop')!;
    const refused = await client.call('GET', `/notifications/webhook-endpoints/${endpoint.endpointId}/deliveries`, { token: other.token, expect: [404] });
    expect(refused.status).toBe(404);

    const first: Json = await client.get(`/notifications/webhook-endpoints/${endpoint.endpointId}/deliveries?limit=1`, endpoint.token);
    const delivery = (first.items as Json[])[0];
    const before = receiver.received.get(`/hooks/${memberId} ${delivery.messageId}`)!.times;
    const again: Json = await client.post(`/notifications/webhook-endpoints/${endpoint.endpointId}/deliveries/${delivery.id}/redeliver`, endpoint.token);
    expect(again).toMatchObject({ id: delivery.id, status: 'pending' });
    await waitFor(() => receiver.received.get(`/hooks/${memberId} ${delivery.messageId}`)!.times === before + 1, { message: 'the redelivery arrived' });
    const after: Json = await client.get(`/notifications/webhook-endpoints/${endpoint.endpointId}/deliveries?limit=1`, endpoint.token);
    expect((after.items as Json[])[0]).toMatchObject({ id: delivery.id, status: 'delivered', attempts: (delivery.attempts as number) + 1 });
  });

  it('shows the delivery outcomes, the consumers caught up and no dead letters in /metrics', async () => {
    const response = await fetch(`${host.url}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    const value = (name: string, label: string) => Number(text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label))?.split(' ').pop());
    const { rows } = await db.query<{ delivered: number }>(
      `SELECT count(*)::int AS delivered FROM ${s}.webhook_attempts WHERE status_code BETWEEN 200 AND 299`,
    );
    expect(value('meshfab_webhook_attempts_total', 'outcome="delivered"')).toBe(rows[0].delivered);
    expect(value('meshfab_webhook_attempts_total', 'outcome="failed"')).toBeGreaterThan(0);
    const lags = text.split('\n').filter((l) => l.startsWith('meshfab_consumer_lag_events{'));
    expect(lags.some((l) => l.includes('consumer="notifications"') && l.includes('producer="matching"'))).toBe(true);
    expect(lags.filter((l) => l.includes('consumer="notifications"') && !l.endsWith(' 0'))).toEqual([]);
    expect(text.split('\n').filter((l) => l.startsWith('meshfab_dead_letters{'))).toEqual([]);
  });

  it('reports the delivery figures', async () => {
    const { rows } = await db.query<{ deliveries: number; attempts: number; ms: number[] }>(
      `SELECT count(*)::int AS deliveries, sum(d.attempts)::int AS attempts,
              array_agg(extract(epoch FROM d.delivered_at - m.recorded_at) * 1000 ORDER BY d.delivered_at - m.recorded_at) AS ms
         FROM ${s}.webhook_deliveries d JOIN ${s}.member_events m ON m.seq = d.event_seq`,
    );
    const late = new Set([...endpoints.values()].filter((e) => e.late).map((e) => e.endpointId));
    const { rows: onTime } = await db.query<{ ms: number[] }>(
      `SELECT array_agg(extract(epoch FROM d.delivered_at - m.recorded_at) * 1000 ORDER BY d.delivered_at - m.recorded_at) AS ms
         FROM ${s}.webhook_deliveries d JOIN ${s}.member_events m ON m.seq = d.event_seq WHERE d.attempts = 1 AND NOT (d.endpoint_id = ANY($1))`,
      [[...late]],
    );
    const ms = rows[0].ms.map(Number);
    const upMs = onTime[0].ms.map(Number);
    const figures = {
      deliveries: rows[0].deliveries,
      distinctWebhookIds: receiver.received.size + lateReceiver.received.size,
      offers: receiver.ofType('SubtaskOffered').length + lateReceiver.ofType('SubtaskOffered').length,
      attempts: rows[0].attempts,
      retries: rows[0].attempts - rows[0].deliveries,
      duplicatesSuppressedByReceivers: receiver.duplicates + lateReceiver.duplicates,
      badSignatures: receiver.badSignatures + lateReceiver.badSignatures,
      timeToDeliverMs: { p50: Math.round(quantile(ms, 0.5)), p95: Math.round(quantile(ms, 0.95)), max: Math.round(ms[ms.length - 1]) },
      timeToDeliverUpReceiverMs: { p50: Math.round(quantile(upMs, 0.5)), p95: Math.round(quantile(upMs, 0.95)), max: Math.round(upMs[upMs.length - 1]) },
      sseEvents: [...streams.values()].reduce((n, st) => n + st.events.length, 0),
    };
    process.stdout.write(`webhook delivery figures: ${JSON.stringify(figures)}\n`);
    expect(figures.distinctWebhookIds).toBe(figures.deliveries);
  });
});
