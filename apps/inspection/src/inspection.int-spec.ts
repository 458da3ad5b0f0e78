// The inspection service over HTTP and events against a real PostgreSQL: a fake 'matching' producer
// (its own event store on another schema, on an embedded event bus) reports completed lots; the
// inspection service opens lots, records results and switches severity.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { SubtaskCompletedContract } from '#libs/contracts';
import { ServiceDatabase, type StoredEvent } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer } from '#libs/messaging';
import { PlatformModule, type PlatformConfig } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testSigning, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { inspectionLotIdFor, inspectionLotStreamId } from './inspection-lot/inspection-lots.service.js';
import { InspectionModule } from './inspection.module.js';
import { switchingStreamId } from './switching-state/domain/switching-state.decider.js';

const secret = 'inspection-int-spec-secret-0123456789abcdef';
const schema = uniqueSchema('inspection');
const matchingSchema = uniqueSchema('fake_matching');
const tokens = testTokens(secret);
const ids = (lots: unknown): string[] => (lots as { id: string }[]).map((l) => l.id);

describe('inspection service (HTTP + events, real PostgreSQL)', () => {
  let app: INestApplication;
  let base: string;
  let matching: ServiceDatabase;
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
    await waitFor(async () => ((await call('GET', `/inspection/lots/${lotId}`, 'inspector')).status === 200 ? true : null), {
      timeoutMs: 15000,
      message: `inspection lot for ${data.subtaskId} opened`,
    });
    return lotId;
  };
  const lotEvents = (lotId: string): Promise<StoredEvent[]> => inspection.store.readStream(inspectionLotStreamId(lotId));

  beforeAll(async () => {
    matching = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: matchingSchema });
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'inspection', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } satisfies PlatformConfig }),
        InspectionModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env: { MESHFAB_INSPECTION_SCHEMA: schema } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    inspection = app.get(ServiceDatabase);
    bus = new EmbeddedEventBus();
    bus.register('matching', matching.log);
    app.connectMicroservice(
      {
        strategy: new EmbeddedEventConsumer({ consumer: 'inspection', producers: ['matching'], database: inspection, bus, pollIntervalMs: 20, retry: { maxAttempts: 3, initialBackoffMs: 10 } }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
    for (const [name, sub, role] of [
      ['inspector', 'insp-1', 'inspector'],
      ['operator', 'op-1', 'operator'],
      ['ws1', 'ws-1', 'workshop'],
      ['ws2', 'ws-2', 'workshop'],
      ['ws3', 'ws-3', 'workshop'],
      ['brand', 'brand-1', 'brand'],
    ] as const) {
      token[name] = await tokens.issue({ sub, role });
    }
  });

  afterAll(async () => {
    await app?.close();
    await matching?.close();
    await dropSchema(testDatabaseUrl(), schema);
    await dropSchema(testDatabaseUrl(), matchingSchema);
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
      const [opened] = await lotEvents(lotId);
      expect(opened).toMatchObject({ type: 'InspectionLotOpened', correlationId: 'order-1' });
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

    it('lets only inspectors and the operator record a result', async () => {
      const result = { sampled: 80, defects: { critical: 0, major: 0, minor: 0 } };
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
      expect(events.map((e) => e.type)).toEqual(['InspectionLotOpened', 'InspectionPassed']);
      expect(events[1].data).toMatchObject({ inspectionLotId: lotId, subtaskId: 'st-pass', inspectorId: 'insp-1', sampled: 80, sampleSize: 80, majorDefects: 5, minorDefects: 7, passedQuantity: 997, severity: 'normal' });
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
    expect((await lotEvents(first)).map((e) => e.type)).toEqual(['InspectionLotOpened', 'InspectionFailed']);

    const second = await complete({ subtaskId: 'st-fail', workshopId: 'ws-2', process: 'cutting', reworkRound: 1 });
    const lot = await call('GET', `/inspection/lots/${second}`, 'operator');
    expect(lot.body).toMatchObject({ reworkRound: 1, plan: { table: 'tightened', classes: { major: { ac: 3, re: 4 } } } });
    const refused = await call('POST', `/inspection/lots/${second}/results`, 'operator', { sampled: 80, defects: { critical: 0, major: 4, minor: 0 } });
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
});
