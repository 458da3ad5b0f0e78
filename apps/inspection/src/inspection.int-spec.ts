// The inspection service over HTTP and events against a real PostgreSQL: a fake 'matching' producer
// (its own event store on another schema, on an embedded event bus) reports completed lots; the
// inspection service opens lots, records results and switches severity.
import { createHash, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { SubtaskCompletedContract } from '#libs/contracts';
import { ServiceDatabase, type StoredEvent } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer } from '#libs/messaging';
import { PlatformModule, type PlatformConfig } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testSigning, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { InspectionLotsService, inspectionLotIdFor, inspectionLotStreamId } from './inspection-lot/inspection-lots.service.js';
import { InspectionModule } from './inspection.module.js';
import { switchingStreamId } from './switching-state/domain/switching-state.decider.js';

const secret = 'inspection-int-spec-secret-0123456789abcdef';
const schema = uniqueSchema('inspection');
const matchingSchema = uniqueSchema('fake_matching');
const registrySchema = uniqueSchema('fake_registry');
const tokens = testTokens(secret);
const ids = (lots: unknown): string[] => (lots as { id: string }[]).map((l) => l.id);

describe('inspection service (HTTP + events, real PostgreSQL)', () => {
  let app: INestApplication;
  let base: string;
  let matching: ServiceDatabase;
  let registry: ServiceDatabase;
  let now = new Date('2026-03-01T08:00:00.000Z');
  let inspection: ServiceDatabase;
  let bus: EmbeddedEventBus;
  const token: Record<string, string> = {};

  const call = async (method: string, path: string, who?: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(who ? { authorization: `Bearer ${token[who]}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  const complete = async (overrides: Partial<SubtaskCompletedContract> = {}): Promise<string> => {
    const data: SubtaskCompletedContract = {
      subtaskId: `st-${randomUUID().slice(0, 8)}`,
      orderId: 'order-1',
      brandId: 'brand-1',
      stepId: 'sew',
      process: 'sewing',
      workshopId: 'ws-1',
      quantity: 1000,
      price: { amountMinor: 100000, currency: 'CNY' },
      goodQuantity: 1000,
      scrapQuantity: 4,
      completedAt: '2026-03-01T08:00:00.000Z',
      dueAt: '2026-03-05T00:00:00.000Z',
      inspection: { level: 'II', aql: 2.5, criticalAql: 0, minorAql: 4.0 },
      reworkRound: 0,
      ...overrides,
    };
    await matching.store.append(`subtask-${data.subtaskId}`, [{ type: 'SubtaskCompleted', data }], {
      expectedVersion: 'any',
      metadata: { correlationId: data.orderId, causationId: 'test' },
    });
    bus.notify('matching');
    const lotId = inspectionLotIdFor(data.subtaskId, data.reworkRound ?? 0);
    await waitFor(async () => ((await call('GET', `/inspection/lots/${lotId}`, 'operator')).status === 200 ? true : null), {
      timeoutMs: 15000,
      message: `inspection lot for ${data.subtaskId} opened`,
    });
    return lotId;
  };
  const lotEvents = (lotId: string): Promise<StoredEvent[]> => inspection.store.readStream(inspectionLotStreamId(lotId));

  beforeAll(async () => {
    matching = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: matchingSchema });
    registry = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: registrySchema });
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'inspection', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } satisfies PlatformConfig }),
        InspectionModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), clock: () => now, env: { MESHFAB_INSPECTION_SCHEMA: schema, MESHFAB_INSPECTION_ASSIGNMENT_TIMEOUT_SECONDS: '3600', MESHFAB_INSPECTION_DISPUTE_WINDOW_SECONDS: '86400', MESHFAB_INSPECTION_EVIDENCE_MAX_BYTES: '2048' } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    inspection = app.get(ServiceDatabase);
    bus = new EmbeddedEventBus();
    bus.register('matching', matching.log);
    bus.register('registry', registry.log);
    app.connectMicroservice(
      {
        strategy: new EmbeddedEventConsumer({ consumer: 'inspection', producers: ['matching', 'registry'], database: inspection, bus, pollIntervalMs: 20, retry: { maxAttempts: 3, initialBackoffMs: 10 } }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
    for (const [name, sub, role] of [
      ['inspector', 'insp-1', 'inspector'],
      ['tied', 'insp-tied', 'inspector'],
      ['welder1', 'insp-weld-1', 'inspector'],
      ['welder2', 'insp-weld-2', 'inspector'],
      ['emb1', 'insp-emb-1', 'inspector'],
      ['emb2', 'insp-emb-2', 'inspector'],
      ['operator', 'op-1', 'operator'],
      ['ws1', 'ws-1', 'workshop'],
      ['ws2', 'ws-2', 'workshop'],
      ['ws3', 'ws-3', 'workshop'],
      ['brand', 'brand-1', 'brand'],
    ] as const) {
      token[name] = await tokens.issue({ sub, role });
    }
    // The registry publishes its inspectors: insp-1 inspects everything the tests make; insp-tied declared ties to
    // ws-1 and brand-1 (and has no load: the network would pick it first were it not tied); two welders.
    const inspectors = [
      { inspectorId: 'insp-1', name: 'One', certifications: [], processes: ['sewing', 'cutting', 'anodizing'], regions: [], affiliations: [] },
      { inspectorId: 'insp-tied', name: 'Tied', certifications: [], processes: ['sewing', 'cutting', 'anodizing'], regions: [], affiliations: ['ws-1', 'brand-1'] },
      { inspectorId: 'insp-weld-1', name: 'Welder 1', certifications: [], processes: ['welding'], regions: ['zhejiang'], affiliations: [] },
      { inspectorId: 'insp-weld-2', name: 'Welder 2', certifications: [], processes: ['welding'], regions: [], affiliations: [] },
      { inspectorId: 'insp-emb-1', name: 'Embroidery 1', certifications: [], processes: ['embroidery'], regions: [], affiliations: [] },
      { inspectorId: 'insp-emb-2', name: 'Embroidery 2', certifications: [], processes: ['embroidery'], regions: [], affiliations: [] },
    ];
    for (const data of inspectors) {
      await registry.store.append(`inspector-${data.inspectorId}`, [{ type: 'InspectorRegistered', data }], { expectedVersion: 'any', metadata: { correlationId: data.inspectorId, causationId: 'test' } });
    }
    await registry.store.append('workshop-ws-9', [{ type: 'WorkshopRegistered', data: { workshopId: 'ws-9', name: 'Nine', location: { lat: 29, lng: 121, region: 'Zhejiang' }, certifications: [] } }], {
      expectedVersion: 'any',
      metadata: { correlationId: 'ws-9', causationId: 'test' },
    });
    bus.notify('registry');
    await waitFor(async () => {
      const [row] = await inspection.dataSource.query(`SELECT count(*)::int AS n FROM ${schema}.inspectors`);
      const [region] = await inspection.dataSource.query(`SELECT count(*)::int AS n FROM ${schema}.workshop_regions`);
      return row.n === inspectors.length && region.n === 1 ? true : null;
    }, { timeoutMs: 15000, message: 'the registry\'s inspectors in inspection\'s read model' });
  });

  afterAll(async () => {
    await app?.close();
    await matching?.close();
    await registry?.close();
    await dropSchema(testDatabaseUrl(), schema);
    await dropSchema(testDatabaseUrl(), matchingSchema);
    await dropSchema(testDatabaseUrl(), registrySchema);
  });

  describe('GET /inspection/sampling-plans', () => {
    it('answers the plan for any authenticated member', async () => {
      const normal = await call('GET', '/inspection/sampling-plans?lotSize=1000&level=II&aql=2.5&severity=normal', 'ws2');
      expect(normal.status).toBe(200);
      expect(normal.body).toMatchObject({ codeLetter: 'J', sampleSize: 80, ac: 5, re: 6 });
      const tightened = await call('GET', '/inspection/sampling-plans?lotSize=1000&level=II&aql=2.5&severity=tightened', 'brand');
      expect(tightened.body).toMatchObject({ codeLetter: 'J', sampleSize: 80, ac: 3, re: 4 });
      const reduced = await call('GET', '/inspection/sampling-plans?lotSize=1000&level=II&aql=2.5&severity=reduced', 'inspector');
      expect(reduced.body).toMatchObject({ codeLetter: 'J', sampleSize: 32, ac: 3, re: 4 });
      const full = await call('GET', '/inspection/sampling-plans?lotSize=9&level=II&aql=1.0', 'inspector');
      expect(full.body).toMatchObject({ codeLetter: 'B', sampleSize: 9, ac: 0, re: 1, fullInspection: true });
    });

    it('refuses a request without a token with 401', async () => {
      expect((await call('GET', '/inspection/sampling-plans?lotSize=1000&level=II&aql=2.5')).status).toBe(401);
    });

    it.each([
      ['lotSize', 'level=II&aql=2.5'],
      ['lotSize', 'lotSize=1&level=II&aql=2.5'],
      ['lotSize', 'lotSize=abc&level=II&aql=2.5'],
      ['level', 'lotSize=100&level=IV&aql=2.5'],
      ['aql', 'lotSize=100&level=II&aql=3'],
      ['aql', 'lotSize=100&level=II'],
      ['severity', 'lotSize=100&level=II&aql=2.5&severity=lenient'],
    ])('answers 400 naming %s for ?%s', async (param, query) => {
      const response = await call('GET', `/inspection/sampling-plans?${query}`, 'inspector');
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('validation_failed');
      expect(response.body.message).toMatch(new RegExp(`^${param}:`));
      expect(response.body.details).toMatchObject({ field: param });
    });
  });

  describe('a completed lot from matching', () => {
    let lotId: string;

    beforeAll(async () => {
      lotId = await complete({ subtaskId: 'st-pass' });
    });

    it('opens an inspection lot with the plan for its good quantity, level, AQLs and severity', async () => {
      const lot = await call('GET', `/inspection/lots/${lotId}`, 'inspector');
      expect(lot.body).toMatchObject({ id: lotId, subtaskId: 'st-pass', workshopId: 'ws-1', lotSize: 1000, scrapQuantity: 4, status: 'pending', severity: 'normal', sampleSize: 80 });
      expect(lot.body.plan).toMatchObject({ codeLetter: 'J', table: 'normal', classes: { critical: { ac: 0, re: 1 }, major: { aql: '2.5', ac: 5, re: 6 }, minor: { aql: '4.0', ac: 7, re: 8 } } });
      const pending = await call('GET', '/inspection/lots?status=pending', 'inspector');
      expect(ids(pending.body.items)).toContain(lotId);
      const [opened, assigned] = await lotEvents(lotId);
      expect(opened).toMatchObject({ type: 'InspectionLotOpened', correlationId: 'order-1' });
      expect(assigned).toMatchObject({ type: 'InspectorAssigned', data: { inspectorId: 'insp-1', by: 'network', eligible: 1 } });
      expect(lot.body).toMatchObject({ assignedInspectorId: 'insp-1' });
    });

    it('never assigns the inspector tied to the workshop and brand, which neither sees the lot nor may record its result', async () => {
      expect((await call('GET', '/inspection/lots', 'tied')).body.items).toEqual([]);
      expect((await call('GET', `/inspection/lots/${lotId}`, 'tied')).status).toBe(404);
      expect((await call('GET', `/inspection/lots/${lotId}/trace`, 'tied')).status).toBe(404);
      const refused = await call('POST', `/inspection/lots/${lotId}/results`, 'tied', { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } });
      expect(refused.status).toBe(404);
      expect(refused.body.error).toBe('inspection_lot_not_found');
      expect(await lotEvents(lotId)).toHaveLength(2); // nothing recorded
    });

    it('pages lots with a cursor: each lot once, in the order of the whole list, the last page saying so', async () => {
      for (let i = 0; i < 3; i++) await complete({ orderId: 'order-paged' });
      const all = (await call('GET', '/inspection/lots?orderId=order-paged&limit=1000', 'inspector')).body;
      expect(all).toMatchObject({ hasMore: false, nextCursor: null });
      expect(all.items).toHaveLength(3);
      const paged: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: any = (await call('GET', `/inspection/lots?orderId=order-paged&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 'inspector')).body;
        paged.push(...ids(page.items));
        cursor = page.hasMore ? page.nextCursor : null;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(paged).toEqual(ids(all.items));
    });

    it('shows a workshop its own lots and not other shops’', async () => {
      expect(ids((await call('GET', '/inspection/lots', 'ws1')).body.items)).toContain(lotId);
      expect((await call('GET', '/inspection/lots', 'ws2')).body.items).toEqual([]);
      expect((await call('GET', `/inspection/lots/${lotId}`, 'ws1')).status).toBe(200);
      expect((await call('GET', `/inspection/lots/${lotId}`, 'ws2')).status).toBe(404);
      expect((await call('GET', `/inspection/lots/${lotId}`, 'brand')).status).toBe(200);
    });

    it('lets only the assigned inspector record a result (not even the operator)', async () => {
      const result = { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } };
      expect((await call('POST', `/inspection/lots/${lotId}/results`, 'operator', result)).status).toBe(403);
      expect((await call('POST', `/inspection/lots/${lotId}/results`, 'ws1', result)).status).toBe(403);
      expect((await call('POST', `/inspection/lots/${lotId}/results`, 'brand', result)).status).toBe(403);
      expect((await call('POST', `/inspection/lots/${lotId}/results`, undefined, result)).status).toBe(401);
    });

    it('refuses a result with fewer samples than the plan, naming the field', async () => {
      const response = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', { sampled: 50, defects: { critical: 0, major: 0, minor: 0 } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'validation_failed', details: { field: 'sampled', required: 80 } });
      const bad = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', { sampled: 80, defects: { critical: -1, major: 0, minor: 0 } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/defects\.critical/);
    });

    it('records a pass as InspectionPassed with traceability, once', async () => {
      const response = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', {
        sampled: 80,
        defects: { critical: 0, major: 5, minor: 7 },
        rejectedUnits: 3,
        evidence: [{ kind: 'photo', ref: 'img-42' }],
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ type: 'InspectionPassed', passedQuantity: 997 });
      const events = await lotEvents(lotId);
      expect(events.map((e) => e.type)).toEqual(['InspectionLotOpened', 'InspectorAssigned', 'InspectionPassed']);
      expect(events[2].data).toMatchObject({ inspectionLotId: lotId, subtaskId: 'st-pass', inspectorId: 'insp-1', sampled: 80, sampleSize: 80, majorDefects: 5, minorDefects: 7, passedQuantity: 997, severity: 'normal' });
      const lot = await call('GET', `/inspection/lots/${lotId}`, 'ws1');
      expect(lot.body).toMatchObject({ status: 'passed', inspectedBy: 'insp-1', result: { evidence: [{ kind: 'photo', ref: 'img-42' }] } });
      const again = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } });
      expect(again.status).toBe(409);
      expect(again.body.error).toBe('lot_already_inspected');
    });

    it('answers 404 for a lot that does not exist', async () => {
      expect((await call('POST', '/inspection/lots/il_nope/results', 'inspector', { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } })).status).toBe(404);
    });
  });

  it('fails a lot with a critical defect → rework; the reworked lot is re-inspected on tightened → replan', async () => {
    const first = await complete({ subtaskId: 'st-fail', workshopId: 'ws-2', process: 'cutting' });
    const failed = await call('POST', `/inspection/lots/${first}/result`, 'inspector', { sampled: 80, defects: { critical: 1, major: 0, minor: 0 } });
    expect(failed.body).toMatchObject({ type: 'InspectionFailed', disposition: 'rework', criticalDefects: 1 });
    expect((await lotEvents(first)).map((e) => e.type)).toEqual(['InspectionLotOpened', 'InspectorAssigned', 'InspectionFailed']);

    const second = await complete({ subtaskId: 'st-fail', workshopId: 'ws-2', process: 'cutting', reworkRound: 1 });
    const lot = await call('GET', `/inspection/lots/${second}`, 'operator');
    expect(lot.body).toMatchObject({ reworkRound: 1, plan: { table: 'tightened', classes: { major: { ac: 3, re: 4 } } } });
    const refused = await call('POST', `/inspection/lots/${second}/results`, 'inspector', { sampled: 80, defects: { critical: 0, major: 4, minor: 0 } });
    expect(refused.body).toMatchObject({ type: 'InspectionFailed', disposition: 'replan', reworkRound: 1 });
    const trace = await call('GET', `/inspection/lots/${second}/trace`, 'inspector');
    expect((trace.body.inspectionsOfThisSubtask as { reworkRound: number; status: string }[]).map((l) => [l.reworkRound, l.status])).toEqual([[0, 'failed'], [1, 'failed']]);
  });

  it('switches a workshop+process to tightened after 2 of 5 lots not accepted, visible to the workshop', async () => {
    const process = 'anodizing';
    for (let i = 0; i < 2; i++) {
      const lotId = await complete({ workshopId: 'ws-3', process });
      const r = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', { sampled: 80, defects: { critical: 0, major: 6, minor: 0 } });
      expect(r.body.type).toBe('InspectionFailed');
    }
    const switching = await inspection.store.readStream(switchingStreamId('ws-3', process));
    const changes = switching.filter((e) => e.type === 'InspectionSeverityChanged');
    expect(changes).toHaveLength(1);
    expect(changes[0].data).toMatchObject({ workshopId: 'ws-3', process, from: 'normal', to: 'tightened' });

    const severity = await call('GET', '/inspection/workshops/ws-3/severity', 'ws3');
    expect(severity.status).toBe(200);
    expect(severity.body.processes).toEqual([expect.objectContaining({ process, severity: 'tightened', switchingScore: 0 })]);
    expect((await call('GET', '/inspection/workshops/ws-3/severity', 'ws1')).status).toBe(404);
    expect((await call('GET', '/inspection/workshops/ws-3/severity', 'operator')).status).toBe(200);

    const next = await complete({ workshopId: 'ws-3', process });
    const lot = await call('GET', `/inspection/lots/${next}`, 'inspector');
    expect(lot.body).toMatchObject({ severity: 'tightened', plan: { table: 'tightened', classes: { major: { ac: 3, re: 4 } } } });
  });

  it('balances welding lots between the two welders, and reassigns a lot whose inspector timed out; the late result is refused', async () => {
    const first = await complete({ workshopId: 'ws-9', process: 'welding', brandId: 'brand-9' });
    const second = await complete({ workshopId: 'ws-9', process: 'welding', brandId: 'brand-9' });
    const holder = async (lot: string) => (await call('GET', `/inspection/lots/${lot}`, 'operator')).body.assignedInspectorId as string;
    const [a, b] = [await holder(first), await holder(second)];
    expect(new Set([a, b])).toEqual(new Set(['insp-weld-1', 'insp-weld-2']));
    const other = a === 'insp-weld-1' ? 'welder2' : 'welder1';
    const mine = a === 'insp-weld-1' ? 'welder1' : 'welder2';
    expect(ids((await call('GET', '/inspection/lots', mine)).body.items)).toEqual([first]);

    now = new Date(now.getTime() + 3600_000);
    await app.get(InspectionLotsService).sweep();
    const types = (await lotEvents(first)).map((e) => e.type);
    expect(types).toEqual(['InspectionLotOpened', 'InspectorAssigned', 'InspectorAssignmentExpired', 'InspectorAssigned']);
    expect(await holder(first)).toBe(b);
    expect(ids((await call('GET', '/inspection/lots', mine)).body.items)).not.toContain(first);
    const late = await call('POST', `/inspection/lots/${first}/results`, mine, { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } });
    expect(late.status).toBe(404);
    const onTime = await call('POST', `/inspection/lots/${first}/results`, other, { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } });
    expect(onTime.status).toBe(201);
  });

  it("lets a brand name its own inspector, refused when tied to the brand, passed over for a workshop it is tied to", async () => {
    token.brand9 = await tokens.issue({ sub: 'brand-9', role: 'brand' });
    const tied = await call('PUT', '/inspection/brands/brand-1/inspector', 'brand', { inspectorId: 'insp-tied' });
    expect(tied.status).toBe(422);
    expect(tied.body).toMatchObject({ error: 'inspector_affiliated', details: { field: 'inspectorId' } });
    expect((await call('PUT', '/inspection/brands/brand-1/inspector', 'brand9', { inspectorId: 'insp-weld-1' })).status).toBe(404);
    expect((await call('PUT', '/inspection/brands/brand-9/inspector', 'brand9', { inspectorId: 'insp-nobody' })).status).toBe(404);
    // weld-2 carries more open lots than weld-1 after the test above, yet is the brand's nominee
    const named = await call('PUT', '/inspection/brands/brand-9/inspector', 'brand9', { inspectorId: 'insp-weld-2' });
    expect(named.status).toBe(200);
    await complete({ workshopId: 'ws-9', process: 'welding', brandId: 'brand-9' });
    await complete({ workshopId: 'ws-9', process: 'welding', brandId: 'brand-9' });
    const lots = (await call('GET', '/inspection/lots?status=pending', 'operator')).body.items as { brandId: string; assignedInspectorId: string; openedAt: string }[];
    const brand9 = lots.filter((l) => l.brandId === 'brand-9').slice(-2);
    expect(brand9.map((l) => l.assignedInspectorId)).toEqual(['insp-weld-2', 'insp-weld-2']);
    const [event] = (await inspection.store.readStream('brand-inspector-brand-9')).map((e) => e.type);
    expect(event).toBe('BrandInspectorNamed');
  });

  it("lets an operator reassign a lot under the conflict rules, and gives a suspended inspector's lots to others until it is reinstated", async () => {
    const knitters = [
      { inspectorId: 'insp-knit-1', name: 'Knit 1', certifications: [], processes: ['knitting'], regions: [], affiliations: [] },
      { inspectorId: 'insp-knit-2', name: 'Knit 2', certifications: [], processes: ['knitting'], regions: [], affiliations: [] },
      { inspectorId: 'insp-knit-tied', name: 'Knit tied', certifications: [], processes: ['knitting'], regions: [], affiliations: ['ws-1'] },
    ];
    const publish = async (streamId: string, type: string, data: object) => {
      await registry.store.append(streamId, [{ type, data }], { expectedVersion: 'any', metadata: { correlationId: streamId, causationId: 'test' } });
      bus.notify('registry');
    };
    for (const data of knitters) await publish(`inspector-${data.inspectorId}`, 'InspectorRegistered', data);
    await waitFor(async () => ((await inspection.dataSource.query(`SELECT 1 FROM ${schema}.inspectors WHERE inspector_id = 'insp-knit-tied'`)).length ? true : null), {
      timeoutMs: 15000,
      message: 'the knitting inspectors in the pool',
    });
    token.knit1 = await tokens.issue({ sub: 'insp-knit-1', role: 'inspector' });
    const lot = await complete({ process: 'knitting' });
    const holder = async () => (await call('GET', `/inspection/lots/${lot}`, 'operator')).body.assignedInspectorId as string;
    expect(await holder()).toBe('insp-knit-1');

    const reassign = (inspectorId: string, who = 'operator') => call('POST', `/inspection/lots/${lot}/reassign`, who, { inspectorId, reason: 'knit-1 is on leave' });
    expect((await reassign('insp-knit-2', 'brand')).status).toBe(403);
    expect(await reassign('insp-knit-tied')).toMatchObject({ status: 409, body: { error: 'inspector_not_eligible', details: { reason: 'affiliated' } } });
    expect(await reassign('insp-weld-1')).toMatchObject({ status: 409, body: { details: { reason: 'not_certified_or_suspended' } } });
    expect((await call('POST', '/inspection/lots/il_missing/reassign', 'operator', { inspectorId: 'insp-knit-2', reason: 'x' })).status).toBe(404);
    expect((await call('POST', `/inspection/lots/${lot}/reassign`, 'operator', { inspectorId: 'insp-knit-2' })).status).toBe(400);
    expect(await reassign('insp-knit-2')).toMatchObject({ status: 200, body: { assignedInspectorId: 'insp-knit-2' } });
    const withdrawn = (await lotEvents(lot)).slice(-2);
    expect(withdrawn.map((e) => [e.type, e.data])).toMatchObject([
      ['InspectorAssignmentWithdrawn', { inspectorId: 'insp-knit-1', withdrawnBy: 'op-1', reason: 'knit-1 is on leave', cause: 'operator' }],
      ['InspectorAssigned', { inspectorId: 'insp-knit-2', by: 'operator' }],
    ]);
    // The inspector it was taken from neither sees the lot nor may answer.
    expect((await call('GET', `/inspection/lots/${lot}`, 'knit1')).status).toBe(404);
    expect((await call('POST', `/inspection/lots/${lot}/results`, 'knit1', { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } })).status).toBe(404);

    // The registry suspends knit-2: its lot goes to knit-1 (the other eligible one), and it gets no new lot.
    await publish('inspector-insp-knit-2', 'MemberSuspended', { memberId: 'insp-knit-2', role: 'inspector', reason: 'undeclared tie', suspendedBy: 'op-2', suspendedAt: now.toISOString() });
    await waitFor(async () => ((await holder()) === 'insp-knit-1' ? true : null), { timeoutMs: 15000, message: "the suspended inspector's lot reassigned" });
    expect((await lotEvents(lot)).at(-2)).toMatchObject({ type: 'InspectorAssignmentWithdrawn', data: { inspectorId: 'insp-knit-2', withdrawnBy: 'op-2', cause: 'inspector-suspended' } });
    expect(await reassign('insp-knit-2')).toMatchObject({ status: 409, body: { details: { reason: 'not_certified_or_suspended' } } });
    const next = await complete({ process: 'knitting' });
    expect((await call('GET', `/inspection/lots/${next}`, 'operator')).body.assignedInspectorId).toBe('insp-knit-1');

    await publish('inspector-insp-knit-2', 'MemberReinstated', { memberId: 'insp-knit-2', role: 'inspector', reason: 'cleared', reinstatedBy: 'op-2', reinstatedAt: now.toISOString() });
    await waitFor(async () => ((await reassign('insp-knit-2')).status === 200 ? true : null), { timeoutMs: 15000, message: 'the reinstated inspector assignable again' });
    expect(await holder()).toBe('insp-knit-2');
  });

  describe('disputes', () => {
    const clean = { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } };

    it('lets the brand dispute a pass; another inspector re-inspects, fails it, and that outcome is final (every step an event)', async () => {
      const lotId = await complete({ process: 'embroidery', workshopId: 'ws-1', brandId: 'brand-1' });
      const holder = (await call('GET', `/inspection/lots/${lotId}`, 'operator')).body.assignedInspectorId as string;
      const [first, second] = holder === 'insp-emb-1' ? ['emb1', 'emb2'] : ['emb2', 'emb1'];
      const passed = await call('POST', `/inspection/lots/${lotId}/results`, first, clean);
      expect(passed.body).toMatchObject({ type: 'InspectionPassed', disputeWindowEndsAt: new Date(now.getTime() + 86_400_000).toISOString() });

      expect((await call('POST', `/inspection/lots/${lotId}/disputes`, 'ws2', { reason: 'not my lot' })).status).toBe(404);
      expect((await call('POST', `/inspection/lots/${lotId}/disputes`, first, { reason: 'me' })).status).toBe(403);
      expect((await call('POST', `/inspection/lots/${lotId}/disputes`, 'brand', { reason: '' })).status).toBe(400);
      const disputed = await call('POST', `/inspection/lots/${lotId}/disputes`, 'brand', { reason: 'the logo is stitched crooked on a third of the pieces', evidence: [{ kind: 'photo', ref: 'img-77' }] });
      expect(disputed.status).toBe(201);
      expect(disputed.body).toMatchObject({ type: 'InspectionDisputed', party: 'brand', originalOutcome: 'passed', reinspectorId: `insp-${second === 'emb1' ? 'emb-1' : 'emb-2'}` });
      const again = await call('POST', `/inspection/lots/${lotId}/disputes`, 'ws1', { reason: 'the workshop too' });
      expect([again.status, again.body.error]).toEqual([409, 'lot_already_disputed']);
      expect((await call('GET', `/inspection/lots/${lotId}`, second)).body).toMatchObject({ status: 'disputed', dispute: { party: 'brand', originalOutcome: 'passed' } });

      expect((await call('POST', `/inspection/lots/${lotId}/results`, first, clean)).status).toBe(409);
      const resolved = await call('POST', `/inspection/lots/${lotId}/results`, second, { sampled: 80, defects: { critical: 0, major: 9, minor: 0 } });
      expect(resolved.status).toBe(201);
      expect(resolved.body).toMatchObject({ type: 'InspectionDisputeResolved', originalOutcome: 'passed', finalOutcome: 'failed', overturned: true, passedQuantity: 0 });
      const types = (await lotEvents(lotId)).map((e) => e.type);
      expect(types).toEqual(['InspectionLotOpened', 'InspectorAssigned', 'InspectionPassed', 'InspectionDisputed', 'InspectorAssigned', 'InspectionDisputeResolved', 'InspectionResultFinal']);
      const lot = await call('GET', `/inspection/lots/${lotId}`, 'brand');
      expect(lot.body).toMatchObject({ status: 'failed', final: true, dispute: { resolution: { finalOutcome: 'failed', overturned: true } } });
    });

    it('refuses a dispute after the window (422 naming its end); the sweep makes the result final', async () => {
      const lotId = await complete({ process: 'embroidery', workshopId: 'ws-1', brandId: 'brand-1' });
      const holder = (await call('GET', `/inspection/lots/${lotId}`, 'operator')).body.assignedInspectorId as string;
      await call('POST', `/inspection/lots/${lotId}/results`, holder === 'insp-emb-1' ? 'emb1' : 'emb2', clean);
      now = new Date(now.getTime() + 86_400_000);
      const late = await call('POST', `/inspection/lots/${lotId}/disputes`, 'ws1', { reason: 'too late now' });
      expect(late.status).toBe(422);
      expect(late.body).toMatchObject({ error: 'dispute_window_closed', details: { disputeWindowEndsAt: expect.any(String) } });
      await app.get(InspectionLotsService).sweep();
      const events = await lotEvents(lotId);
      expect(events.at(-1)).toMatchObject({ type: 'InspectionResultFinal', data: { outcome: 'passed', finalBecause: 'dispute_window_closed', overturned: false } });
      expect((await call('GET', `/inspection/lots/${lotId}`, 'ws1')).body).toMatchObject({ status: 'passed', final: true });
    });
  });

  it('keeps evidence files hashed and size-limited, cited by the result with measured values, visible to the brand, the workshop and the assigned inspector only', async () => {
    const lotId = await complete({ process: 'sewing', workshopId: 'ws-1', brandId: 'brand-1' });
    const photo = Buffer.from('\u00ff\u00d8 a photo of seam 3 '.repeat(20));
    const upload = (who: string, content: Buffer, extra: object = {}) =>
      call('POST', `/inspection/lots/${lotId}/evidence`, who, { kind: 'photo', fileName: 'seam-3.jpg', contentType: 'image/jpeg', contentBase64: content.toString('base64'), ...extra });
    const tooLarge = await upload('inspector', Buffer.alloc(2049, 1));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ error: 'evidence_too_large', details: { limitBytes: 2048 } });
    expect(tooLarge.body.message).toContain('2048');
    expect((await upload('tied', photo)).status).toBe(404);
    expect((await upload('ws2', photo)).status).toBe(404);
    expect((await upload('operator', photo)).status).toBe(403);
    expect((await upload('inspector', photo, { contentType: 'text/html' })).status).toBe(400);

    const stored = await upload('inspector', photo);
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ sha256: createHash('sha256').update(photo).digest('hex'), sizeBytes: photo.length, uploadedBy: 'insp-1', kind: 'photo' });
    expect((await upload('inspector', photo)).body.fileId).toBe(stored.body.fileId); // the same bytes: the same file

    const unknown = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', { sampled: 80, defects: { critical: 0, major: 0, minor: 0 }, fileIds: ['ev_nope'] });
    expect(unknown.body).toMatchObject({ error: 'validation_failed', details: { field: 'fileIds.0' } });
    const badSample = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', { sampled: 80, defects: { critical: 0, major: 0, minor: 0 }, measurements: [{ sample: 81, characteristic: 'seam', value: 1, unit: 'mm' }] });
    expect(badSample.body).toMatchObject({ error: 'validation_failed', details: { field: 'measurements.0.sample' } });
    const measurements = [{ sample: 1, characteristic: 'seam allowance', value: 10.2, unit: 'mm' }, { sample: 2, characteristic: 'seam allowance', value: 9.8, unit: 'mm' }];
    const passed = await call('POST', `/inspection/lots/${lotId}/results`, 'inspector', { sampled: 80, defects: { critical: 0, major: 0, minor: 0 }, fileIds: [stored.body.fileId], measurements });
    expect(passed.status).toBe(201);
    expect(passed.body).toMatchObject({ files: [{ fileId: stored.body.fileId, sha256: stored.body.sha256, kind: 'photo' }], measurements });
    const types = (await lotEvents(lotId)).map((e) => e.type);
    expect(types).toEqual(['InspectionLotOpened', 'InspectorAssigned', 'EvidenceFileAttached', 'InspectionPassed']);

    for (const who of ['brand', 'ws1', 'inspector']) {
      const response = await fetch(`${base}/inspection/lots/${lotId}/evidence/${stored.body.fileId as string}`, { headers: { authorization: `Bearer ${token[who]}` } });
      expect([who, response.status]).toEqual([who, 200]);
      expect(Buffer.from(await response.arrayBuffer()).equals(photo)).toBe(true);
      expect(response.headers.get('x-content-sha256')).toBe(stored.body.sha256);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment/);
    }
    for (const [who, status] of [['tied', 404], ['ws2', 404], ['operator', 403]] as const) {
      expect([who, (await call('GET', `/inspection/lots/${lotId}/evidence/${stored.body.fileId as string}`, who)).status]).toEqual([who, status]);
      expect([who, (await call('GET', `/inspection/lots/${lotId}/evidence`, who)).status]).toEqual([who, status]);
    }
    expect((await call('GET', `/inspection/lots/${lotId}/evidence`, 'brand')).body).toHaveLength(1);
    // The brand brings its own evidence to a dispute.
    const own = await upload('brand', Buffer.from('the brand photo of a torn seam'));
    const disputed = await call('POST', `/inspection/lots/${lotId}/disputes`, 'brand', { reason: 'torn seams', fileIds: [own.body.fileId] });
    expect(disputed.body).toMatchObject({ type: 'InspectionDisputed', files: [{ fileId: own.body.fileId }] });
  });
});
