/* eslint-disable @typescript-eslint/no-unsafe-return -- HTTP answers are untyped JSON, asserted field by field */
// The registry over HTTP against a real PostgreSQL, with its inspection and matching consumers on the
// embedded transport reading fake 'inspection' and 'matching' producers' logs.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { assertContract, contractOf } from '#libs/contracts';
import { ServiceDatabase, START_OF_LOG, type StoredEvent } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer } from '#libs/messaging';
import { PlatformModule } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testSigning, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { brandStream, inspectorStream, RegistryStreams, workshopStream } from './registry.context.js';
import { RegistryModule } from './registry.module.js';
import { addDays, daysBetween } from './workshop/domain/calendar.js';
import { sharedHoursOn } from './workshop/domain/capacity.js';
import { workshopDecider } from './workshop/domain/workshop.decider.js';
import type { Capability } from './workshop/domain/workshop.events.js';

const secret = 'registry-test-secret-that-is-long-enough-0123456789';
const BOOTSTRAP = `op_bootstrap-${randomUUID()}`;
const NOW = new Date('2030-03-01T08:00:00.000Z');
const schema = uniqueSchema('registry_http');
const inspectionSchema = uniqueSchema('registry_fake_inspection');
const matchingSchema = uniqueSchema('registry_fake_matching');

type Json = Record<string, any>;

describe('registry over HTTP', () => {
  let app: INestApplication;
  let base: string;
  let registryDb: ServiceDatabase;
  let inspectionDb: ServiceDatabase;
  let matchingDb: ServiceDatabase;
  let bus: EmbeddedEventBus;
  let operator: string;

  const call = async (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const events = async (): Promise<StoredEvent[]> => registryDb.log.readVisibleAfter(START_OF_LOG, 100_000, registryDb.dataSource.manager);
  const eventsOf = async (streamId: string) => (await events()).filter((e) => e.streamId === streamId);

  const sewing = { process: 'sewing', parameters: { materials: ['cotton', 'linen'] }, efficiency: 1.2, pricing: 'per_hour', price: { amountMinor: 4000, currency: 'CNY' } };
  const workshopBody = (name: string, region = 'Zhejiang') => ({ name, location: { lat: 29.87, lng: 121.54, region, city: 'Ningbo' }, certifications: ['ISO9001'], capabilities: [sewing] });
  const registerWorkshop = async (name: string, region?: string) => {
    const r = await call('POST', '/registry/workshops', operator, workshopBody(name, region));
    expect(r.status).toBe(201);
    return r.body as { id: string; token: string; tokenId: string };
  };

  beforeAll(async () => {
    operator = await testTokens(secret).issue({ sub: 'operator-1', role: 'operator' });
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'registry', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' }, operatorToken: BOOTSTRAP }),
        RegistryModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env: { MESHFAB_REGISTRY_SCHEMA: schema, MESHFAB_REGISTRY_PAGE_SIZE: '500' }, clock: () => NOW }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    registryDb = app.get(ServiceDatabase);
    inspectionDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: inspectionSchema });
    bus = new EmbeddedEventBus();
    matchingDb = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: matchingSchema });
    bus.register('inspection', inspectionDb.log);
    bus.register('matching', matchingDb.log);
    bus.register('registry', registryDb.log);
    app.connectMicroservice(
      { strategy: new EmbeddedEventConsumer({ consumer: 'registry', producers: ['inspection', 'matching'], database: registryDb, bus, pollIntervalMs: 20, retry: { maxAttempts: 2, initialBackoffMs: 10 } }) },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
  });

  afterAll(async () => {
    await app?.close();
    await inspectionDb?.close();
    await matchingDb?.close();
    await dropSchema(testDatabaseUrl(), schema);
    await dropSchema(testDatabaseUrl(), inspectionSchema);
    await dropSchema(testDatabaseUrl(), matchingSchema);
  });

  it('refuses calls without a token (401) and registration by anyone but an operator (403)', async () => {
    expect((await call('POST', '/registry/brands', undefined, { name: 'x' })).status).toBe(401);
    const brand = await call('POST', '/registry/brands', operator, { name: 'Lumen Apparel' });
    expect(brand.status).toBe(201);
    const denied = await call('POST', '/registry/workshops', brand.body.token, workshopBody('Sneaky Shop'));
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe('forbidden_role');
  });

  it('registers named operators (the first with the bootstrap credential) whose acts carry their id; the bootstrap credential can then be turned off', async () => {
    const first = await call('POST', '/registry/operators', BOOTSTRAP, { name: ' Li Wei ', contactEmail: 'li.wei@meshfab.example' });
    expect(first).toEqual({ status: 201, body: { id: expect.any(String), token: expect.any(String), tokenId: expect.any(String), expiresAt: '2030-03-01T16:00:00.000Z' } });
    const li = first.body as { id: string; token: string; tokenId: string };
    expect(await testTokens(secret).verify(li.token)).toEqual({ sub: li.id, role: 'operator', tokenId: li.tokenId });
    expect((await eventsOf(`operator-${li.id}`)).map((e) => [e.type, e.data])).toEqual([
      ['OperatorRegistered', { operatorId: li.id, name: 'Li Wei', contactEmail: 'li.wei@meshfab.example', registeredBy: 'bootstrap', registeredAt: NOW.toISOString() }],
      ['MemberTokenIssued', { memberId: li.id, role: 'operator', tokenId: li.tokenId, issuedAt: NOW.toISOString(), expiresAt: '2030-03-01T16:00:00.000Z' }],
    ]);
    const second = (await call('POST', '/registry/operators', li.token, { name: 'Zhang Min' })).body as { id: string; token: string; tokenId: string };
    expect((await eventsOf(`operator-${second.id}`))[0].data).toMatchObject({ registeredBy: li.id });
    expect(await call('GET', `/registry/operators/${second.id}`, li.token)).toMatchObject({ status: 200, body: { id: second.id, name: 'Zhang Min' } });

    // What a named operator does is recorded under its id.
    const brand = await call('POST', '/registry/brands', li.token, { name: 'Attributed Brand' });
    expect((await eventsOf(`brand-${brand.body.id}`))[0]).toMatchObject({ causationId: `register-brand:${li.id}` });
    const shop = await registerWorkshop('Attributed Shop');
    await call('POST', `/registry/workshops/${shop.id}/suspend`, second.token, { reason: 'audit' });
    expect((await eventsOf(workshopStream(shop.id))).find((e) => e.type === 'WorkshopSuspended')).toMatchObject({ causationId: `SuspendWorkshop:${second.id}` });

    // Members cannot register operators; an operator's tokens are managed like any member's.
    expect((await call('POST', '/registry/operators', brand.body.token, { name: 'x' })).status).toBe(403);
    const rotated = await call('POST', `/registry/members/${second.id}/tokens`, second.token);
    expect(rotated).toMatchObject({ status: 201, body: { expiresAt: '2030-03-01T16:00:00.000Z' } });
    expect(await call('GET', `/registry/operators/${li.id}`, second.token)).toMatchObject({ status: 401, body: { error: 'token_revoked' } });
    expect((await call('DELETE', `/registry/members/${second.id}/tokens/${rotated.body.tokenId}`, li.token)).status).toBe(204);
    expect((await call('GET', `/registry/operators/${li.id}`, rotated.body.token)).status).toBe(401);

    // The bootstrap credential cannot turn itself off; a named operator can, once, and it is refused from then on.
    expect(await call('POST', '/registry/operators/bootstrap/disable', BOOTSTRAP)).toMatchObject({ status: 403, body: { error: 'named_operator_required' } });
    expect((await call('POST', '/registry/operators/bootstrap/disable', li.token)).status).toBe(204);
    expect((await call('POST', '/registry/operators/bootstrap/disable', li.token)).status).toBe(204);
    expect(await call('POST', '/registry/brands', BOOTSTRAP, { name: 'Too late' })).toMatchObject({ status: 401, body: { error: 'token_revoked' } });
    expect((await eventsOf('bootstrap-credential')).map((e) => [e.type, e.data])).toEqual([
      ['BootstrapCredentialDisabled', { disabledBy: li.id, disabledAt: NOW.toISOString() }],
      ['MemberTokenRevoked', { memberId: 'bootstrap', tokenId: 'bootstrap-credential', revokedAt: NOW.toISOString(), reason: 'revoked' }],
    ]);
    expect(() => assertContract('MemberTokenRevoked', { memberId: 'bootstrap', tokenId: 'bootstrap-credential' })).not.toThrow();
  });

  it('refuses names with bidirectional-override or control characters, naming the field and the character, storing nothing', async () => {
    const before = (await events()).length;
    const attempts: [string, string, unknown, string][] = [
      ['POST', '/registry/brands', { name: 'Lumen \u202Egnp.exe' }, 'name'],
      ['POST', '/registry/operators', { name: 'Li\u2066 Wei' }, 'name'],
      ['POST', '/registry/inspectors', { name: 'Chen', certifications: ['ISO\u200F 2859-1'] }, 'certifications'],
      ['POST', '/registry/workshops', { ...workshopBody('Tab\tShop') }, 'name'],
      ['POST', '/registry/workshops', { ...workshopBody('Fine Shop'), location: { lat: 1, lng: 2, city: 'Ningbo\u0007' } }, 'location.city'],
    ];
    for (const [method, path, body, field] of attempts) {
      const answer = await call(method, path, operator, body);
      expect({ path, field, status: answer.status }).toEqual({ path, field, status: 400 });
      expect(answer.body.fields.map((f: Json) => f.field)).toContain(field);
      expect(JSON.stringify(answer.body)).toMatch(/control or bidirectional-override characters \(found U\+[0-9A-F]{4}\)/);
    }
    expect((await events()).length).toBe(before);
    expect((await call('POST', '/registry/brands', operator, { name: 'Ünïcödé 纺织 ☂ Brand' })).status).toBe(201);
  });

  it('registers a brand: 201 with id and a working token; only the brand itself reads it', async () => {
    const before = (await events()).length;
    const brand = await call('POST', '/registry/brands', operator, { name: 'Lumen Apparel', contactEmail: 'ops@lumen.example' });
    expect(brand.status).toBe(201);
    expect(brand.body).toEqual({ id: expect.any(String), token: expect.any(String), tokenId: expect.any(String), expiresAt: '2030-03-02T08:00:00.000Z' });
    const own = await call('GET', `/registry/brands/${brand.body.id}`, brand.body.token);
    expect(own).toMatchObject({ status: 200, body: { id: brand.body.id, name: 'Lumen Apparel', contactEmail: 'ops@lumen.example' } });
    const other = await call('POST', '/registry/brands', operator, { name: 'Other Brand' });
    expect((await call('GET', `/registry/brands/${brand.body.id}`, other.body.token)).status).toBe(404);
    const published = (await events()).slice(before).map((e) => e.type);
    expect(published).toEqual(['BrandRegistered', 'MemberTokenIssued', 'BrandRegistered', 'MemberTokenIssued']);
  });

  it('answers 400 naming the field, and stores nothing, for a bad registration', async () => {
    const before = (await events()).length;
    const missing = await call('POST', '/registry/workshops', operator, { name: 'No Location' });
    expect(missing.status).toBe(400);
    expect(missing.body.fields.map((f: Json) => f.field)).toContain('location');
    const unknownField = await call('POST', '/registry/workshops', operator, { ...workshopBody('x'), rating: 5 });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.message).toContain('rating');
    const badMoney = await call('POST', '/registry/workshops', operator, { ...workshopBody('x'), capabilities: [{ ...sewing, price: { amountMinor: 1.5, currency: 'CNY' } }] });
    expect(badMoney.status).toBe(400);
    expect(badMoney.body.fields.map((f: Json) => f.field)).toContain('capabilities.0.price.amountMinor');
    const unknownProcess = await call('POST', '/registry/workshops', operator, { ...workshopBody('x'), capabilities: [{ ...sewing, process: 'sewwing' }] });
    expect(unknownProcess).toMatchObject({ status: 400, body: { error: 'validation_failed', details: { field: 'capabilities.0.process', closeMatches: ['sewing'] } } });
    expect((await events()).length).toBe(before);
  });

  it('creates a workshop once per Idempotency-Key; another body with the same key is a 409', async () => {
    const key = randomUUID();
    const first = await call('POST', '/registry/workshops', operator, workshopBody('Once Only'), { 'idempotency-key': key });
    const second = await call('POST', '/registry/workshops', operator, workshopBody('Once Only'), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second).toEqual(first);
    const registered = (await events()).filter((e) => e.type === 'WorkshopRegistered' && e.data.name === 'Once Only');
    expect(registered).toHaveLength(1);
    const reused = await call('POST', '/registry/workshops', operator, workshopBody('Twice'), { 'idempotency-key': key });
    expect(reused).toMatchObject({ status: 409, body: { error: 'idempotency_key_reused' } });
  });

  it('lets a workshop change its own profile and capacity, and nobody else but an operator', async () => {
    const mine = await registerWorkshop('Ningbo Stitch');
    const theirs = await registerWorkshop('Other Stitch');
    const brand = await call('POST', '/registry/brands', operator, { name: 'Curious Brand' });

    const patched = await call('PATCH', `/registry/workshops/${mine.id}`, mine.token, { name: 'Ningbo Stitch Co.' });
    expect(patched).toMatchObject({ status: 200, body: { name: 'Ningbo Stitch Co.', location: { lat: 29.87 } } });
    expect((await call('PATCH', `/registry/workshops/${mine.id}`, theirs.token, { name: 'Hijacked' })).status).toBe(403);
    expect((await call('PATCH', `/registry/workshops/${mine.id}`, brand.body.token, { name: 'Hijacked' })).status).toBe(403);
    expect((await call('POST', `/registry/workshops/${mine.id}/capacity`, theirs.token, { action: 'declare', process: 'sewing', hoursPerDay: 8, from: '2030-03-02' })).status).toBe(403);
    expect((await call('PUT', `/registry/workshops/${mine.id}/capabilities`, theirs.token, { capabilities: [] })).status).toBe(403);
    expect((await call('POST', `/registry/workshops/${mine.id}/suspend`, mine.token, { reason: 'self' })).status).toBe(403);

    // Other members see the public profile only: no coordinates, pricing, capacity or tokens.
    const seenByOther = await call('GET', `/registry/workshops/${mine.id}`, theirs.token);
    expect(seenByOther.status).toBe(200);
    expect(seenByOther.body.capabilities).toEqual([{ process: 'sewing', parameters: sewing.parameters }]);
    expect(seenByOther.body).not.toHaveProperty('location');
    expect(seenByOther.body).not.toHaveProperty('capacity');
    const seenBySelf = await call('GET', `/registry/workshops/${mine.id}`, mine.token);
    expect(seenBySelf.body.capabilities).toEqual([sewing]);
    expect((await call('GET', `/registry/workshops/${randomUUID()}`, mine.token)).status).toBe(404);

    const stream = (await eventsOf(workshopStream(mine.id))).map((e) => e.type);
    expect(stream).toEqual(['WorkshopRegistered', 'WorkshopCapabilitiesChanged', 'MemberTokenIssued', 'WorkshopProfileUpdated']);
  });

  it('declares and withdraws capacity, publishing both with their contracts', async () => {
    const shop = await registerWorkshop('Capacity Shop');
    const declared = await call('POST', `/registry/workshops/${shop.id}/capacity`, shop.token, {
      action: 'declare', process: 'sewing', hoursPerDay: 8, from: '2030-03-02', until: '2030-03-31', exceptions: [{ date: '2030-03-03', hours: 0 }],
    });
    expect(declared.status).toBe(200);
    expect(declared.body.capacity.next14Days[0].days.slice(0, 3)).toEqual([
      { date: '2030-03-01', hours: 0 }, { date: '2030-03-02', hours: 8 }, { date: '2030-03-03', hours: 0 },
    ]);
    const withdrawn = await call('POST', `/registry/workshops/${shop.id}/capacity`, shop.token, { action: 'withdraw', process: 'sewing', from: '2030-03-04', until: '2030-03-05' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.capacity.next14Days[0].days.slice(3, 6).map((d: Json) => d.hours)).toEqual([0, 0, 8]);
    const badDeclare = await call('POST', `/registry/workshops/${shop.id}/capacity`, shop.token, { action: 'declare', process: 'anodizing', hoursPerDay: 8, from: '2030-03-02' });
    expect(badDeclare).toMatchObject({ status: 422, body: { error: 'process_not_offered' } });
    const noHours = await call('POST', `/registry/workshops/${shop.id}/capacity`, shop.token, { action: 'declare', process: 'sewing', from: '2030-03-02' });
    expect(noHours.status).toBe(400);
    expect(noHours.body.fields.map((f: Json) => f.field)).toEqual(['hoursPerDay']);
    const past = await call('POST', `/registry/workshops/${shop.id}/capacity`, shop.token, { action: 'declare', process: 'sewing', hoursPerDay: 8, from: '2030-02-01' });
    expect(past).toMatchObject({ status: 400, body: { details: { field: 'from' } } });

    const published = (await eventsOf(workshopStream(shop.id))).filter((e) => e.type.startsWith('Capacity'));
    expect(published.map((e) => [e.type, e.data])).toEqual([
      ['CapacityDeclared', { workshopId: shop.id, process: 'sewing', hoursPerDay: 8, from: '2030-03-02', until: '2030-03-31', exceptions: [{ date: '2030-03-03', hours: 0 }] }],
      ['CapacityWithdrawn', { workshopId: shop.id, process: 'sewing', from: '2030-03-04', until: '2030-03-05', reason: 'withdrawn by the workshop' }],
    ]);
    for (const e of published) {
      expect(contractOf(e.type)?.producer).toBe('registry');
      expect(() => assertContract(e.type, e.data)).not.toThrow();
    }
  });

  it('suspends and reinstates a workshop (operator, with reason); a suspended shop is not found by search', async () => {
    const shop = await registerWorkshop('Suspect Shop', 'Anhui');
    expect((await call('POST', `/registry/workshops/${shop.id}/suspend`, operator, {})).status).toBe(400);
    const suspended = await call('POST', `/registry/workshops/${shop.id}/suspend`, operator, { reason: 'quality audit' });
    expect(suspended).toMatchObject({ status: 200, body: { status: 'suspended', suspendedReason: 'quality audit' } });
    expect((await call('POST', `/registry/workshops/${shop.id}/suspend`, operator, { reason: 'again' })).status).toBe(409);
    const search = await call('GET', '/registry/workshops?process=sewing&region=anhui', shop.token);
    expect(search.body.items.map((w: Json) => w.id)).not.toContain(shop.id);
    expect((await call('POST', `/registry/workshops/${shop.id}/reinstate`, operator, { reason: 'audit passed' })).body.status).toBe('active');
    const again = await call('GET', '/registry/workshops?process=sewing&region=anhui', shop.token);
    expect(again.body.items.map((w: Json) => w.id)).toContain(shop.id);
    const types = (await eventsOf(workshopStream(shop.id))).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['WorkshopSuspended', 'WorkshopReinstated']);
  });

  it('freezes a suspended workshop: reads and its appeal only, no new token from anyone; reinstatement restores; both audited with the operator', async () => {
    const shop = await registerWorkshop('Frozen Shop');
    expect((await call('POST', `/registry/workshops/${shop.id}/appeal`, shop.token, { reason: 'nothing to appeal' })).status).toBe(409);
    await call('POST', `/registry/workshops/${shop.id}/suspend`, operator, { reason: 'payout fraud check' });

    const today = NOW.toISOString().slice(0, 10);
    const writes: [string, string, unknown][] = [
      ['PATCH', `/registry/workshops/${shop.id}`, { name: 'Renamed' }],
      ['PUT', `/registry/workshops/${shop.id}/capabilities`, { capabilities: [sewing] }],
      ['POST', `/registry/workshops/${shop.id}/capacity`, { action: 'declare', process: 'sewing', hoursPerDay: 8, from: today }],
      ['POST', `/registry/members/${shop.id}/tokens`, undefined],
      ['DELETE', `/registry/members/${shop.id}/tokens/${shop.tokenId}`, undefined],
    ];
    for (const [method, path, body] of writes) {
      expect({ method, path, ...(await call(method, path, shop.token, body)) }).toMatchObject({ method, path, status: 403, body: { error: 'member_suspended' } });
    }
    expect(await call('POST', `/registry/members/${shop.id}/tokens`, operator)).toMatchObject({ status: 403, body: { error: 'member_suspended' } });
    expect(await call('GET', `/registry/workshops/${shop.id}`, shop.token)).toMatchObject({ status: 200, body: { status: 'suspended', name: 'Frozen Shop' } });
    expect((await call('GET', `/registry/members/${shop.id}/tokens`, shop.token)).status).toBe(200);
    expect(await call('POST', `/registry/workshops/${shop.id}/appeal`, shop.token, { reason: 'the defects came from the brand’s fabric' })).toMatchObject({ status: 200 });

    await call('POST', `/registry/workshops/${shop.id}/reinstate`, operator, { reason: 'appeal upheld' });
    expect((await call('PATCH', `/registry/workshops/${shop.id}`, shop.token, { name: 'Thawed Shop' })).status).toBe(200);
    expect((await call('POST', `/registry/members/${shop.id}/tokens`, shop.token)).status).toBe(201);

    const audit = (await eventsOf(workshopStream(shop.id))).filter((e) => ['WorkshopSuspended', 'WorkshopSuspensionAppealed', 'WorkshopReinstated'].includes(e.type));
    expect(audit.map((e) => [e.type, e.data])).toEqual([
      ['WorkshopSuspended', { workshopId: shop.id, reason: 'payout fraud check', suspendedAt: NOW.toISOString(), suspendedBy: 'operator-1' }],
      ['WorkshopSuspensionAppealed', { workshopId: shop.id, reason: 'the defects came from the brand’s fabric', appealedAt: NOW.toISOString() }],
      ['WorkshopReinstated', { workshopId: shop.id, reason: 'appeal upheld', reinstatedAt: NOW.toISOString(), reinstatedBy: 'operator-1' }],
    ]);
    for (const e of audit) if (contractOf(e.type)) expect(() => assertContract(e.type, e.data)).not.toThrow();
  });

  it('freezes a suspended brand or inspector like a workshop: reads and its appeal only, no new token; reinstatement restores; audited', async () => {
    const brand = (await call('POST', '/registry/brands', operator, { name: 'Frozen Brand' })).body as { id: string; token: string; tokenId: string };
    const inspector = (await call('POST', '/registry/inspectors', operator, { name: 'Frozen Inspector', processes: ['sewing'] })).body as { id: string; token: string; tokenId: string };
    for (const [member, stream, get, write] of [
      [brand, brandStream(brand.id), `/registry/brands/${brand.id}`, ['POST', `/registry/members/${brand.id}/tokens`, undefined]],
      [inspector, inspectorStream(inspector.id), `/registry/inspectors/${inspector.id}`, ['PUT', `/registry/inspectors/${inspector.id}/profile`, { processes: ['cutting'] }]],
    ] as const) {
      expect(await call('POST', `/registry/members/${member.id}/appeal`, member.token, { reason: 'nothing to appeal' })).toMatchObject({ status: 409, body: { error: 'member_not_suspended' } });
      expect((await call('POST', `/registry/members/${member.id}/suspend`, member.token, { reason: 'self' })).status).toBe(403);
      expect(await call('POST', `/registry/members/${member.id}/suspend`, operator, { reason: 'chargeback review' })).toMatchObject({ status: 200, body: { id: member.id, suspended: true } });
      expect(await call('POST', `/registry/members/${member.id}/suspend`, operator, { reason: 'again' })).toMatchObject({ status: 409, body: { error: 'member_already_suspended' } });

      const [method, path, body] = write;
      expect(await call(method, path, member.token, body)).toMatchObject({ status: 403, body: { error: 'member_suspended' } });
      expect(await call('DELETE', `/registry/members/${member.id}/tokens/${member.tokenId}`, member.token)).toMatchObject({ status: 403, body: { error: 'member_suspended' } });
      expect(await call('POST', `/registry/members/${member.id}/tokens`, operator)).toMatchObject({ status: 403, body: { error: 'member_suspended' } });
      expect((await call('GET', get, member.token)).status).toBe(200);
      expect((await call('POST', `/registry/members/${member.id}/appeal`, operator, { reason: 'not mine' })).status).toBe(404);
      expect(await call('POST', `/registry/members/${member.id}/appeal`, member.token, { reason: 'the chargebacks were the bank’s error' })).toMatchObject({ status: 200 });

      expect(await call('POST', `/registry/members/${member.id}/reinstate`, operator, { reason: 'appeal upheld' })).toMatchObject({ status: 200, body: { suspended: false } });
      expect((await call(method, path, member.token, body)).status).toBeLessThan(300);

      const audit = (await eventsOf(stream)).filter((e) => e.type.startsWith('MemberSuspen') || e.type === 'MemberReinstated');
      const role = member === brand ? 'brand' : 'inspector';
      expect(audit.map((e) => [e.type, e.data])).toEqual([
        ['MemberSuspended', { memberId: member.id, role, reason: 'chargeback review', suspendedAt: NOW.toISOString(), suspendedBy: 'operator-1' }],
        ['MemberSuspensionAppealed', { memberId: member.id, role, reason: 'the chargebacks were the bank’s error', appealedAt: NOW.toISOString() }],
        ['MemberReinstated', { memberId: member.id, role, reason: 'appeal upheld', reinstatedAt: NOW.toISOString(), reinstatedBy: 'operator-1' }],
      ]);
      for (const e of audit) if (contractOf(e.type)) expect(() => assertContract(e.type, e.data)).not.toThrow();
    }
    // The one route serves a workshop too (its own events), and refuses an operator.
    const shop = await registerWorkshop('Routed Shop');
    expect(await call('POST', `/registry/members/${shop.id}/suspend`, operator, { reason: 'audit' })).toMatchObject({ status: 200, body: { role: 'workshop', suspended: true } });
    expect(await call('GET', `/registry/workshops/${shop.id}`, shop.token)).toMatchObject({ status: 200, body: { status: 'suspended' } });
    expect((await call('POST', `/registry/members/${shop.id}/reinstate`, operator, { reason: 'ok' })).status).toBe(200);
    expect((await call('POST', `/registry/members/${randomUUID()}/suspend`, operator, { reason: 'who' })).status).toBe(404);
  });

  it('issues service credentials (role service) to operators only: refused on every member route, rotated and revoked like any token', async () => {
    const brand = (await call('POST', '/registry/brands', operator, { name: 'Service Test Brand' })).body as { token: string };
    expect((await call('POST', '/registry/service-credentials', brand.token, { name: 'orders host' })).status).toBe(403);
    expect((await call('POST', '/registry/service-credentials', operator, { name: 'orders \u202Ehost' })).status).toBe(400);
    const created = await call('POST', '/registry/service-credentials', operator, { name: 'orders host, eu-1' });
    expect(created).toMatchObject({ status: 201, body: { id: expect.any(String), token: expect.any(String), expiresAt: new Date(NOW.getTime() + 30 * 86_400_000).toISOString() } });
    const credential = created.body as { id: string; token: string; tokenId: string };
    expect(await call('GET', `/registry/service-credentials/${credential.id}`, operator)).toMatchObject({ status: 200, body: { name: 'orders host, eu-1' } });
    // No member route takes it: not those any member may call, not its own tokens' (an operator manages them).
    for (const [method, path] of [
      ['GET', '/registry/workshops'],
      ['GET', `/registry/members/${credential.id}/tokens`],
      ['POST', `/registry/members/${credential.id}/tokens`],
    ] as const) {
      expect({ path, ...(await call(method, path, credential.token)) }).toMatchObject({ path, status: 403, body: { error: 'forbidden_role' } });
    }
    expect(await call('POST', `/registry/members/${credential.id}/suspend`, operator, { reason: 'no' })).toMatchObject({ status: 422, body: { error: 'member_not_suspendable' } });
    const rotated = await call('POST', `/registry/members/${credential.id}/tokens`, operator);
    expect(rotated.status).toBe(201);
    expect((await call('GET', '/registry/workshops', credential.token)).body).toMatchObject({ error: 'token_revoked' });
    const types = (await eventsOf(`service-credential-${credential.id}`)).map((e) => [e.type, (e.data as { role?: string; registeredBy?: string }).role ?? (e.data as { registeredBy?: string }).registeredBy]);
    expect(types.slice(0, 2)).toEqual([
      ['ServiceCredentialRegistered', 'operator-1'],
      ['MemberTokenIssued', 'service'],
    ]);
  });

  it('refuses a revoked token (401) and old tokens after a rotation, and publishes MemberTokenRevoked', async () => {
    const shop = await registerWorkshop('Token Shop');
    expect((await call('GET', `/registry/workshops/${shop.id}`, shop.token)).status).toBe(200);
    const rotated = await call('POST', `/registry/members/${shop.id}/tokens`, shop.token);
    expect(rotated.status).toBe(201);
    const old = await call('GET', `/registry/workshops/${shop.id}`, shop.token);
    expect(old).toMatchObject({ status: 401, body: { error: 'token_revoked' } });
    expect((await call('GET', `/registry/workshops/${shop.id}`, rotated.body.token)).status).toBe(200);

    const other = await registerWorkshop('Meddler');
    expect((await call('DELETE', `/registry/members/${shop.id}/tokens/${rotated.body.tokenId}`, other.token)).status).toBe(403);
    expect((await call('DELETE', `/registry/members/${shop.id}/tokens/${rotated.body.tokenId}`, operator)).status).toBe(204);
    expect((await call('GET', `/registry/workshops/${shop.id}`, rotated.body.token)).status).toBe(401);
    expect((await call('DELETE', `/registry/members/${shop.id}/tokens/nope`, operator)).status).toBe(404);

    const revoked = (await eventsOf(workshopStream(shop.id))).filter((e) => e.type === 'MemberTokenRevoked');
    expect(revoked.map((e) => e.data)).toEqual([
      { memberId: shop.id, tokenId: shop.tokenId, revokedAt: NOW.toISOString(), reason: 'rotated' },
      { memberId: shop.id, tokenId: rotated.body.tokenId, revokedAt: NOW.toISOString(), reason: 'revoked' },
    ]);
    const tokens = await call('GET', `/registry/members/${shop.id}/tokens`, operator);
    expect(tokens.body.items.every((t: Json) => t.revokedAt !== null)).toBe(true);
  });

  it('registers an inspector as a member: 201 with a token in the inspector role; InspectorRegistered published with its contract', async () => {
    const before = (await events()).length;
    const declared = { processes: ['sewing'], regions: ['Zhejiang'], affiliations: ['ws-kin'] };
    const registered = await call('POST', '/registry/inspectors', operator, { name: ' Chen Jing ', certifications: ['ISO 2859-1', 'ASQ CQI'], ...declared });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), token: expect.any(String), tokenId: expect.any(String), expiresAt: '2030-03-02T08:00:00.000Z' });
    const { id, token, tokenId } = registered.body as { id: string; token: string; tokenId: string };
    expect(await testTokens(secret).verify(token)).toEqual({ sub: id, role: 'inspector', tokenId });

    const own = await call('GET', `/registry/inspectors/${id}`, token);
    const fresh = { resultsRecorded: 0, resultsDisputed: 0, resultsOverturned: 0, reinspections: 0, score: 0.9 };
    expect(own).toEqual({ status: 200, body: { id, name: 'Chen Jing', certifications: ['ISO 2859-1', 'ASQ CQI'], ...declared, registeredAt: NOW.toISOString(), quality: fresh } });
    expect((await call('GET', `/registry/inspectors/${id}`, operator)).body.name).toBe('Chen Jing');

    const published = (await events()).slice(before);
    expect(published.map((e) => [e.type, e.streamId])).toEqual([
      ['InspectorRegistered', `inspector-${id}`],
      ['MemberTokenIssued', `inspector-${id}`],
    ]);
    expect(published[0].data).toEqual({ inspectorId: id, name: 'Chen Jing', certifications: ['ISO 2859-1', 'ASQ CQI'], ...declared, registeredAt: NOW.toISOString() });
    expect(contractOf('InspectorRegistered')?.producer).toBe('registry');
    expect(() => assertContract('InspectorRegistered', published[0].data)).not.toThrow();
    expect(published[1].data).toMatchObject({ memberId: id, role: 'inspector', tokenId });

    // The inspector declares a new tie itself (published for inspection's assignments); another inspector may not.
    const changed = { processes: ['sewing', 'cutting'], regions: [], affiliations: ['ws-kin', 'brand-old-employer'] };
    const update = await call('PUT', `/registry/inspectors/${id}/profile`, token, { certifications: ['ISO 2859-1'], ...changed });
    expect(update).toEqual({ status: 200, body: { id, name: 'Chen Jing', certifications: ['ISO 2859-1'], ...changed, registeredAt: NOW.toISOString(), quality: fresh } });
    const [profile] = (await events()).slice(before + 2);
    expect(profile).toMatchObject({ type: 'InspectorProfileUpdated', data: { inspectorId: id, ...changed, by: id } });
    expect(() => assertContract('InspectorProfileUpdated', profile.data)).not.toThrow();
    expect((await call('PUT', `/registry/inspectors/${id}/profile`, token, { processes: ['sewwing'] })).body).toMatchObject({ error: 'validation_failed', details: { field: 'processes.0' } });
  });

  it('lets only an operator register inspectors, and shows an inspector only to itself and operators (others: 404)', async () => {
    const brand = await call('POST', '/registry/brands', operator, { name: 'Prying Brand' });
    const shop = await registerWorkshop('Prying Shop');
    const inspector = (await call('POST', '/registry/inspectors', operator, { name: 'Wang Lei' })).body as { id: string; token: string };
    const other = (await call('POST', '/registry/inspectors', operator, { name: 'Li Na' })).body as { id: string; token: string };

    expect((await call('POST', '/registry/inspectors', brand.body.token, { name: 'x' })).status).toBe(403);
    expect((await call('POST', '/registry/inspectors', shop.token, { name: 'x' })).status).toBe(403);
    expect((await call('POST', '/registry/inspectors', inspector.token, { name: 'x' })).status).toBe(403);
    expect((await call('POST', '/registry/inspectors', undefined, { name: 'x' })).status).toBe(401);

    for (const token of [other.token, brand.body.token, shop.token]) {
      const denied = await call('GET', `/registry/inspectors/${inspector.id}`, token);
      expect(denied).toMatchObject({ status: 404, body: { error: 'inspector_not_found' } });
    }
    // An inspector is not a brand, nor a brand an inspector, even to an operator.
    expect((await call('GET', `/registry/brands/${inspector.id}`, operator)).status).toBe(404);
    expect((await call('GET', `/registry/inspectors/${brand.body.id}`, operator)).status).toBe(404);
    expect((await call('GET', '/registry/inspectors/nobody', operator)).status).toBe(404);
    expect((await call('GET', `/registry/inspectors/${inspector.id}`, inspector.token)).body.certifications).toEqual([]);
  });

  it('refuses a bad inspector registration with a 400 naming the field, storing nothing; Idempotency-Key replays the same answer', async () => {
    const before = (await events()).length;
    const unknownField = await call('POST', '/registry/inspectors', operator, { name: 'Zhao', level: 'senior' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.message).toContain('level');
    const noName = await call('POST', '/registry/inspectors', operator, { certifications: ['ISO 2859-1'] });
    expect(noName.status).toBe(400);
    expect(noName.body.fields.map((f: Json) => f.field)).toContain('name');
    const twice = await call('POST', '/registry/inspectors', operator, { name: 'Zhao', certifications: ['ISO 2859-1', 'iso 2859-1'] });
    expect(twice).toMatchObject({ status: 400, body: { error: 'validation_failed', details: { field: 'certifications.1' } } });
    const blankName = await call('POST', '/registry/inspectors', operator, { name: '   ' });
    expect(blankName).toMatchObject({ status: 400, body: { details: { field: 'name' } } });
    expect((await events()).length).toBe(before);

    const key = randomUUID();
    const first = await call('POST', '/registry/inspectors', operator, { name: 'Once Inspector' }, { 'idempotency-key': key });
    const again = await call('POST', '/registry/inspectors', operator, { name: 'Once Inspector' }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again).toEqual(first);
    expect((await events()).filter((e) => e.type === 'InspectorRegistered' && e.data.name === 'Once Inspector')).toHaveLength(1);
    // The kept answer holds the token sealed, never in plain text (nor its signature).
    const [kept]: { response: string }[] = await registryDb.dataSource.query(`SELECT response::text AS response FROM "${schema}".idempotency_keys WHERE key = $1`, [key]);
    expect(kept.response).not.toContain(first.body.token);
    expect(kept.response).not.toContain(first.body.token.split('.')[2]);
    expect(JSON.parse(kept.response)).toEqual({ id: first.body.id, tokenId: first.body.tokenId, expiresAt: first.body.expiresAt, sealedToken: expect.stringMatching(/^v1\./) });
    expect((await call('POST', '/registry/inspectors', operator, { name: 'Other Inspector' }, { 'idempotency-key': key })).status).toBe(409);
  });

  it("rotates and revokes an inspector's tokens through the member token routes, publishing MemberTokenRevoked", async () => {
    const inspector = (await call('POST', '/registry/inspectors', operator, { name: 'Rotating Inspector' })).body as { id: string; token: string; tokenId: string };
    const other = (await call('POST', '/registry/inspectors', operator, { name: 'Meddling Inspector' })).body as { id: string; token: string };
    expect((await call('POST', `/registry/members/${inspector.id}/tokens`, other.token)).status).toBe(403);

    const rotated = await call('POST', `/registry/members/${inspector.id}/tokens`, inspector.token);
    expect(rotated).toMatchObject({ status: 201, body: { id: inspector.id, token: expect.any(String), tokenId: expect.any(String) } });
    expect(await testTokens(secret).verify(rotated.body.token)).toMatchObject({ sub: inspector.id, role: 'inspector' });
    expect(await call('GET', `/registry/inspectors/${inspector.id}`, inspector.token)).toMatchObject({ status: 401, body: { error: 'token_revoked' } });
    expect((await call('GET', `/registry/inspectors/${inspector.id}`, rotated.body.token)).status).toBe(200);

    expect((await call('DELETE', `/registry/members/${inspector.id}/tokens/${rotated.body.tokenId}`, other.token)).status).toBe(403);
    expect((await call('DELETE', `/registry/members/${inspector.id}/tokens/${rotated.body.tokenId}`, operator)).status).toBe(204);
    expect((await call('GET', `/registry/inspectors/${inspector.id}`, rotated.body.token)).status).toBe(401);

    const revoked = (await eventsOf(`inspector-${inspector.id}`)).filter((e) => e.type === 'MemberTokenRevoked');
    expect(revoked.map((e) => [e.data.tokenId, e.data.reason])).toEqual([
      [inspector.tokenId, 'rotated'],
      [rotated.body.tokenId, 'revoked'],
    ]);
    for (const e of revoked) expect(() => assertContract(e.type, e.data)).not.toThrow();
    const tokens = await call('GET', `/registry/members/${inspector.id}/tokens`, operator);
    expect(tokens.body.items.map((t: Json) => t.tokenId)).toEqual(expect.arrayContaining([inspector.tokenId, rotated.body.tokenId]));
    expect(tokens.body.items.every((t: Json) => t.revokedAt !== null)).toBe(true);
  });

  it('keeps a quality record from inspection results and publishes WorkshopQualityRecordUpdated', async () => {
    const shop = await registerWorkshop('Inspected Shop');
    const facts = { subtaskId: 's-1', orderId: 'o-1', brandId: 'b-1', stepId: 'sew', process: 'sewing', workshopId: shop.id, lotSize: 500, sampleSize: 50, severity: 'normal' };
    const append = async (type: string, data: Json) => {
      const [stored] = (await inspectionDb.store.append(`inspection-lot-${String(data.inspectionLotId)}`, [{ type, data }], { expectedVersion: 'any', metadata: { correlationId: 'o-1', causationId: 'test' } })).events;
      bus.notify('inspection');
      return stored;
    };
    await append('InspectionPassed', { ...facts, inspectionLotId: 'il-1', passedQuantity: 500, inspectedAt: '2030-03-05T10:00:00.000Z' });
    // Two lots' streams are consumed concurrently (lanes): the second result is published once the first is
    // recorded, so the two updates below come in this order (under load the failure could overtake the pass).
    await waitFor(async () => ((await call('GET', `/registry/workshops/${shop.id}`, shop.token)).body.quality?.[0]?.lotsInspected === 1 ? true : null), {
      timeoutMs: 15_000,
      message: 'the first lot in the quality record',
    });
    const failed = await append('InspectionFailed', {
      ...facts, inspectionLotId: 'il-2', criticalDefects: 1, majorDefects: 3, minorDefects: 1, disposition: 'rework', inspectedAt: '2030-03-06T10:00:00.000Z',
    });
    const record = await waitFor(async () => {
      const view = await call('GET', `/registry/workshops/${shop.id}`, shop.token);
      return view.body.quality?.[0]?.lotsInspected === 2 ? view.body.quality[0] : null;
    }, { timeoutMs: 15_000, message: 'quality record of two lots' });
    expect(record).toMatchObject({ process: 'sewing', lotsInspected: 2, lotsPassed: 1, lotsWithCriticalDefects: 1, unitsSampled: 100, defectRate: 0.05, score: 0.73, deliveries: 0, onTimeRate: 0 });
    expect(record.formula).toContain('lotsPassed');

    const updates = (await events()).filter((e) => e.type === 'WorkshopQualityRecordUpdated' && e.data.workshopId === shop.id);
    expect(updates.map((e) => [e.data.lotsInspected, e.data.lotsPassed, e.data.score])).toEqual([[1, 1, 0.9133], [2, 1, 0.73]]);
    expect(updates[1]).toMatchObject({ correlationId: 'o-1', causationId: failed.eventId });
    for (const e of updates) expect(() => assertContract(e.type, e.data)).not.toThrow();
    const publicView = await call('GET', `/registry/workshops/${shop.id}`, operator);
    expect(publicView.body.quality[0].score).toBe(0.73);
  });

  it('feeds a dispute that overturns a pass into the workshop record (disputes, overturned, passes corrected) and both inspectors\' records', async () => {
    const shop = await registerWorkshop('Disputed Shop');
    const original = (await call('POST', '/registry/inspectors', operator, { name: 'Original Inspector', processes: ['sewing'] })).body;
    const second = (await call('POST', '/registry/inspectors', operator, { name: 'Second Inspector', processes: ['sewing'] })).body;
    const facts = { subtaskId: 's-d', orderId: 'o-d', brandId: 'b-d', stepId: 'sew', process: 'sewing', workshopId: shop.id, lotSize: 500, sampleSize: 50, severity: 'normal', inspectionLotId: 'il-d' };
    const append = async (type: string, data: Json) => {
      expect(() => assertContract(type, data)).not.toThrow();
      await inspectionDb.store.append('inspection-lot-il-d', [{ type, data }], { expectedVersion: 'any', metadata: { correlationId: 'o-d', causationId: 'test' } });
      bus.notify('inspection');
    };
    await append('InspectionPassed', { ...facts, inspectorId: original.id, passedQuantity: 500, inspectedAt: '2030-03-05T10:00:00.000Z', disputeWindowEndsAt: '2030-03-08T10:00:00.000Z' });
    await append('InspectionDisputed', {
      ...facts, party: 'brand', disputedBy: 'b-d', reason: 'seams open', originalOutcome: 'passed', originalInspectorId: original.id, disputeWindowEndsAt: '2030-03-08T10:00:00.000Z', disputedAt: '2030-03-06T10:00:00.000Z',
    });
    await append('InspectionDisputeResolved', {
      ...facts, party: 'brand', disputedBy: 'b-d', originalOutcome: 'passed', finalOutcome: 'failed', overturned: true, originalInspectorId: original.id, reinspectorId: second.id,
      criticalDefects: 0, majorDefects: 9, minorDefects: 0, passedQuantity: 0, resolvedAt: '2030-03-07T10:00:00.000Z',
    });
    const record = await waitFor(async () => {
      const view = await call('GET', `/registry/workshops/${shop.id}`, operator);
      return view.body.quality?.[0]?.overturnedResults === 1 ? view.body.quality[0] : null;
    }, { timeoutMs: 15_000, message: 'the overturned pass in the record' });
    expect(record).toMatchObject({ lotsInspected: 1, lotsPassed: 0, disputes: 1, overturnedResults: 1 });
    expect(record.score).toBeLessThan(0.9);
    expect((await call('GET', `/registry/inspectors/${original.id}`, operator)).body.quality).toMatchObject({ resultsRecorded: 1, resultsDisputed: 1, resultsOverturned: 1, reinspections: 0 });
    expect((await call('GET', `/registry/inspectors/${second.id}`, operator)).body.quality).toMatchObject({ resultsRecorded: 0, resultsOverturned: 0, reinspections: 1, score: 0.9 });
    const published = (await events()).filter((e) => e.type === 'InspectorQualityRecordUpdated' && e.data.inspectorId === original.id);
    expect(published.map((e) => e.data.resultsOverturned)).toEqual([0, 0, 1]);
    for (const e of published) expect(() => assertContract(e.type, e.data)).not.toThrow();
  });

  it("counts matching's completions as deliveries (on time when completedAt ≤ dueAt; rework rounds not counted) in the record, the score and WorkshopQualityRecordUpdated", async () => {
    const shop = await registerWorkshop('Punctual Shop');
    const other = await registerWorkshop('Curious Shop');
    const facts = { orderId: 'o-9', brandId: 'b-9', stepId: 'sew', process: 'sewing', workshopId: shop.id, quantity: 100, price: { amountMinor: 50_000, currency: 'CNY' } };
    const completed = async (subtaskId: string, completedAt: string, dueAt: string, reworkRound?: number) => {
      const data = { ...facts, subtaskId, goodQuantity: 98, scrapQuantity: 2, completedAt, dueAt, inspection: { level: 'II', aql: 2.5 }, ...(reworkRound !== undefined ? { reworkRound } : {}) };
      expect(() => assertContract('SubtaskCompleted', data)).not.toThrow();
      const [stored] = (await matchingDb.store.append(`subtask-${subtaskId}`, [{ type: 'SubtaskCompleted', data }], { expectedVersion: 'any', metadata: { correlationId: 'o-9', causationId: 'test' } })).events;
      bus.notify('matching');
      return stored;
    };
    await completed('st-1', '2030-03-05T10:00:00.000Z', '2030-03-05T12:00:00.000Z', 0); // early
    await completed('st-2', '2030-03-06T12:00:00.000Z', '2030-03-06T12:00:00.000Z'); // exactly due, no reworkRound
    await completed('st-3', '2030-03-08T09:00:00.000Z', '2030-03-07T18:00:00.000Z', 0); // late
    await completed('st-1', '2030-03-09T10:00:00.000Z', '2030-03-05T12:00:00.000Z', 1); // rework round: not a delivery
    const last = await completed('st-4', '2030-03-09T11:00:00.000Z', '2030-03-10T00:00:00.000Z', 0); // early
    await completed('st-4', '2030-03-09T11:00:00.000Z', '2030-03-10T00:00:00.000Z', 0); // the same completion again: counted once

    const record = await waitFor(async () => {
      const view = await call('GET', `/registry/workshops/${shop.id}`, shop.token);
      return view.body.quality?.[0]?.deliveries === 4 ? view.body.quality[0] : null;
    }, { timeoutMs: 15_000, message: 'four deliveries in the record' });
    // inspection (0 + 4.5) / 5 = 0.9; deliveries (3 + 4.5) / (4 + 5) = 0.8333; 0.8 × 0.9 + 0.2 × 0.8333 = 0.8867
    expect(record).toMatchObject({ process: 'sewing', lotsInspected: 0, deliveries: 4, onTimeDeliveries: 3, onTimeRate: 0.75, inspectionScore: 0.9, deliveryScore: 0.8333, score: 0.8867 });
    expect(record.formula).toContain('onTimeDeliveries');
    const publicView = await call('GET', `/registry/workshops/${shop.id}`, other.token);
    expect(publicView.body.quality).toEqual([{ process: 'sewing', lotsInspected: 0, lotsPassed: 0, deliveries: 4, onTimeDeliveries: 3, onTimeRate: 0.75, disputes: 0, overturnedResults: 0, score: 0.8867 }]);

    const updates = (await events()).filter((e) => e.type === 'WorkshopQualityRecordUpdated' && e.data.workshopId === shop.id);
    // One update per delivery (subtasks are separate streams: the consumer may take them in any order).
    expect(updates.map((e) => e.data.deliveries)).toEqual([1, 2, 3, 4]);
    expect(updates[3].data).toMatchObject({ deliveries: 4, onTimeDeliveries: 3, onTimeRate: 0.75, score: 0.8867 });
    expect(updates.find((e) => e.causationId === last.eventId)).toMatchObject({ correlationId: 'o-9' });
    for (const e of updates) expect(() => assertContract(e.type, e.data)).not.toThrow();
    expect(await registryDb.deadLetters.list()).toEqual([]);
  });

  it('finds workshops by process, region, certification and shared hours exactly as a brute-force filter does', async () => {
    const streams = app.get(RegistryStreams);
    const regions = ['Zhejiang', 'Jiangsu', 'Guangdong'];
    const processes = ['sewing', 'cutting', 'cnc-milling'];
    const day = '2030-03-10';
    const capability = (process: string): Capability => ({ process, parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 100, currency: 'CNY' } });
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const shops: { id: string; state: ReturnType<typeof workshopDecider.initialState> }[] = [];
    const at = NOW.toISOString();
    for (let i = 0; i < 150; i++) {
      const id = `bulk-${i}-${randomUUID().slice(0, 6)}`;
      const offered = processes.filter(() => random() < 0.6);
      const metadata = { correlationId: id, causationId: 'bulk' };
      await streams.workshops.handle(workshopStream(id), {
        type: 'RegisterWorkshop', workshopId: id, name: `Bulk ${i}`, location: { lat: 30, lng: 120, region: pick(regions) }, certifications: random() < 0.5 ? ['ISO9001'] : [],
        capabilities: offered.map(capability), token: { tokenId: randomUUID(), issuedAt: at, expiresAt: '2030-04-01T00:00:00.000Z' }, at,
      }, { metadata });
      for (const process of offered) {
        const from = addDays('2030-03-01', Math.floor(random() * 15));
        const exceptions = random() < 0.4 ? [{ date: day, hours: pick([0, 4, 12]) }].filter((e) => e.date >= from) : [];
        await streams.workshops.handle(workshopStream(id), { type: 'DeclareCapacity', workshopId: id, process, hoursPerDay: pick([4, 6, 8, 10]), from, exceptions, at }, { metadata });
        if (random() < 0.3) await streams.workshops.handle(workshopStream(id), { type: 'WithdrawCapacity', workshopId: id, process, from: pick(['2030-03-09', '2030-03-10', '2030-03-11']), until: '2030-03-12', at }, { metadata });
      }
      shops.push({ id, state: (await streams.workshops.load(workshopStream(id))).state });
    }
    const reader = await registerWorkshop('Reader');
    const cases = [
      { process: 'sewing', region: 'Zhejiang', from: day, to: day, min: 8 },
      { process: 'cutting', region: 'Jiangsu', from: '2030-03-08', to: '2030-03-12', min: 20, certification: 'ISO9001' },
      { process: 'cnc-milling', region: 'Guangdong', from: day, to: day, min: 0.5 },
    ];
    for (const c of cases) {
      const expected = shops
        .filter(({ state }) => state.status === 'active' && state.location.region === c.region && state.capabilities.some((k) => k.process === c.process))
        .filter(({ state }) => !c.certification || (state.status !== 'unregistered' && state.certifications.includes(c.certification)))
        .map(({ id, state }) => ({ id, free: state.status === 'unregistered' ? 0 : daysBetween(c.from, c.to).reduce((sum, d) => sum + sharedHoursOn(state.capacity, c.process, d), 0) }))
        .filter(({ free }) => free >= c.min && free > 0)
        .map(({ id }) => id)
        .sort();
      const query = `process=${c.process}&region=${c.region}&freeHoursFrom=${c.from}&freeHoursTo=${c.to}&minFreeHours=${c.min}${c.certification ? `&certification=${c.certification}` : ''}`;
      const found = await call('GET', `/registry/workshops?${query}`, reader.token);
      expect(found.status).toBe(200);
      const ids = found.body.items.map((w: Json) => w.id as string).filter((id: string) => id.startsWith('bulk-')).sort();
      expect(ids).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    }
    const noProcess = await call('GET', '/registry/workshops?minFreeHours=8&freeHoursFrom=2030-03-10', reader.token);
    expect(noProcess).toMatchObject({ status: 400, body: { details: { field: 'process' } } });
    // Paged with a cursor (by name; by free hours when searching capacity): page by page, the same workshops as at once.
    for (const search of ['process=sewing', `process=${cases[0].process}&freeHoursFrom=${cases[0].from}&freeHoursTo=${cases[0].to}&minFreeHours=1`]) {
      const all = await call('GET', `/registry/workshops?${search}&limit=500`, reader.token);
      expect(all.body).toMatchObject({ hasMore: false, nextCursor: null, total: all.body.items.length });
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: Json } = await call('GET', `/registry/workshops?${search}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, reader.token);
        expect(page).toMatchObject({ status: 200, body: { total: all.body.total } });
        paged.push(...page.body.items.map((w: Json) => w.id as string));
        cursor = page.body.hasMore ? (page.body.nextCursor as string) : null;
      } while (cursor);
      expect(paged).toEqual(all.body.items.map((w: Json) => w.id as string));
    }
    expect(await call('GET', '/registry/workshops?cursor=forged', reader.token)).toMatchObject({ status: 400, body: { details: { field: 'cursor' } } });
    const wrongKind = Buffer.from(JSON.stringify(['not-a-number', 'x'])).toString('base64url');
    const capacity = `process=sewing&freeHoursFrom=2030-03-10&minFreeHours=1&cursor=${wrongKind}`;
    expect(await call('GET', `/registry/workshops?${capacity}`, reader.token)).toMatchObject({ status: 400, body: { details: { field: 'cursor' } } });
  });
});
