// The integration-event feed a host serves (issue 15, section 4) against real PostgreSQL: what the
// outbox relay would publish to Kafka, in the log's order, page by page behind an opaque cursor, for the
// operator only; and the HTTP client a consumer rebuilds lost Kafka records with reads all of it.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { IntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { ServiceDatabase, START_OF_LOG } from '#libs/eventsourcing';
import { HttpEventFeed, publishedEvents, readWholeFeed } from '#libs/messaging';
import { BOOTSTRAP_TOKEN_ID, PlatformModule } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testTokens, uniqueSchema } from '#libs/testing';
import { HOSTED_SCHEMAS } from './hosted-databases.js';
import { EventFeedController, type EventFeedResponse } from './event-feed.controller.js';
import { revokedTokensModule } from './revoked-tokens.module.js';

@IntegrationEvent('spindles')
class SpindleSetContract {
  @IsString() spindleId!: string;
  @IsInt() @Min(0) n!: number;
}

const SECRET = 'event-feed-int-spec-secret-0123456789ab';
const BOOTSTRAP = `op_bootstrap-${randomUUID()}`;

describe('GET /admin/event-feed/:service', () => {
  const producer = `fp${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const schema = uniqueSchema('feed_prod');
  let db: ServiceDatabase;
  let http: INestApplication;
  let base: string;
  let operator: string;
  let workshop: string;
  let service: string;

  const get = async (path: string, token: string | null = operator) => {
    const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as EventFeedResponse & { error?: string } };
  };

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
    // Seven integration events on three streams, with internal events (no contract: never published) among them.
    for (let n = 1; n <= 7; n++) {
      const streamId = `spindle-${n % 3}`;
      await db.store.append(streamId, [{ type: 'SpindleSet', data: { spindleId: streamId, n } }], { expectedVersion: 'any', metadata: { correlationId: streamId, causationId: 'test' } });
      if (n % 2 === 0) await db.store.append(`internal-${n}`, [{ type: 'SpindleGreased', data: { n } }], { expectedVersion: 'any', metadata: { correlationId: 'c', causationId: 'test' } });
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: producer, operatorToken: BOOTSTRAP, config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(SECRET), LOG_LEVEL: 'error' } }),
        // The revocation list every host keeps from the registry's events: the bootstrap credential's lands there when disabled.
        revokedTokensModule(producer, schema),
      ],
      controllers: [EventFeedController],
      providers: [
        { provide: HOSTED_SCHEMAS, useValue: { [producer]: schema } },
        { provide: ServiceDatabase, useValue: db },
      ],
    }).compile();
    http = moduleRef.createNestApplication({ logger: false });
    await http.listen(0);
    base = `http://127.0.0.1:${(http.getHttpServer().address() as { port: number }).port}`;
    const tokens = testTokens(SECRET);
    operator = await tokens.issue({ sub: 'op-alice', role: 'operator', audience: producer });
    workshop = await tokens.issue({ sub: 'ws-1', role: 'workshop', audience: producer });
    service = await tokens.issue({ sub: 'svc-orders-host', role: 'service', audience: producer });
  });

  afterAll(async () => {
    await http?.close();
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  /** What the relay publishes of the whole log: the message values, in order. */
  const relayed = async (): Promise<EventEnvelope[]> => publishedEvents(await db.log.readAfter(START_OF_LOG, 1000)).map((p) => p.envelope);

  it('is the operator’s alone', async () => {
    expect((await get(`/admin/event-feed/${producer}`)).status).toBe(200);
    expect((await get(`/admin/event-feed/${producer}`, workshop)).status).toBe(403);
    expect((await get(`/admin/event-feed/${producer}`, null)).status).toBe(401);
  });

  it('answers the events the relay publishes, as it publishes them, page by page to the end', async () => {
    const pages: EventFeedResponse[] = [];
    let after = '';
    for (let guard = 0; guard < 20; guard++) {
      const { status, body } = await get(`/admin/event-feed/${producer}?limit=3${after ? `&after=${after}` : ''}`);
      expect(status).toBe(200);
      pages.push(body);
      if (body.end) break;
      after = body.next;
    }
    // 10 stored events, 3 a page: four pages, the last one short and the end; the internal events left out.
    expect(pages.map((p) => p.end)).toEqual([false, false, false, true]);
    const events = pages.flatMap((p) => p.events);
    expect(events.map((e) => (e.data as unknown as SpindleSetContract).n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(JSON.stringify(events)).toBe(JSON.stringify(await relayed()));
    expect(Object.keys(events[0]).sort()).toEqual(['causationId', 'correlationId', 'data', 'eventId', 'occurredAt', 'schemaVersion', 'streamId', 'streamVersion', 'type']);
    // At the end, the cursor stays where it is until something is appended.
    const last = pages.at(-1)!;
    expect(await get(`/admin/event-feed/${producer}?after=${last.next}`)).toMatchObject({ status: 200, body: { events: [], next: last.next, end: true } });
  });

  it('refuses a cursor it did not make, and a service not hosted here', async () => {
    expect(await get(`/admin/event-feed/${producer}?after=not-a-cursor`)).toMatchObject({ status: 400, body: { error: 'invalid_cursor' } });
    expect(await get(`/admin/event-feed/${producer}?after=${Buffer.from('1.2; DROP').toString('base64url')}`)).toMatchObject({ status: 400, body: { error: 'invalid_cursor' } });
    expect(await get('/admin/event-feed/nowhere')).toMatchObject({ status: 404, body: { error: 'service_not_hosted' } });
  });

  it('is read whole by the HTTP client a consumer rebuilds with, and refuses a member who is not an operator', async () => {
    const read: EventEnvelope[] = [];
    const count = await readWholeFeed(new HttpEventFeed(producer, base, operator), async (event) => {
      read.push(event);
    });
    expect(count).toBe(7);
    expect(JSON.stringify(read)).toBe(JSON.stringify(await relayed()));
    await expect(readWholeFeed(new HttpEventFeed(producer, base, workshop), async () => undefined)).rejects.toThrow(/answered 403/);
  });

  it('is read by a service credential once the bootstrap credential is disabled, which it then refuses', async () => {
    expect((await get(`/admin/event-feed/${producer}`, BOOTSTRAP)).status).toBe(200);
    // What the registry publishes when a named operator disables the bootstrap credential, as this host's list keeps it.
    await db.dataSource.query(`INSERT INTO ${schema}.revoked_tokens (token_id, member_id) VALUES ($1, 'bootstrap')`, [BOOTSTRAP_TOKEN_ID]);
    expect(await get(`/admin/event-feed/${producer}`, BOOTSTRAP)).toMatchObject({ status: 401, body: { error: 'token_revoked' } });
    await expect(readWholeFeed(new HttpEventFeed(producer, base, BOOTSTRAP), async () => undefined)).rejects.toThrow(/answered 401/);
    const read: EventEnvelope[] = [];
    expect(await readWholeFeed(new HttpEventFeed(producer, base, service), async (event) => void read.push(event))).toBe(7);
    expect(JSON.stringify(read)).toBe(JSON.stringify(await relayed()));
  });
});
