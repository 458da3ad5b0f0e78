// Evidence bytes in an S3-compatible store: the inspection service over HTTP against a real PostgreSQL and a real
// S3 server (s3rver, in-process on a free port). s3rver checks the access key id of a V4 signature but not the
// signature itself, so the test puts a SigV4 check in front of it: a request signed with any other secret than the
// server's is refused 403 SignatureDoesNotMatch, as AWS S3 and MinIO refuse it.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import aws4 from 'aws4';
import type { SubtaskCompletedContract } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer } from '#libs/messaging';
import { DependencyUnavailableError, loadConfig, PlatformModule, type PlatformConfig } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testSigning, testTokens, uniqueSchema, waitFor } from '#libs/testing';
import { InspectionConfig } from '../config.js';
import { inspectionLotIdFor, inspectionLotStreamId } from '../inspection-lot/inspection-lots.service.js';
import { InspectionModule } from '../inspection.module.js';
import { PostgresEvidenceStorage } from './evidence-storage.js';
import { evidenceObjectKey } from './s3-evidence-storage.js';
import { S3ObjectStore, type S3Settings } from './s3-object-store.js';

interface KoaContext {
  req: IncomingMessage;
  url: string;
  status: number;
  body: string;
}
interface S3rverInstance {
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: object) => S3rverInstance;

const secret = 's3-evidence-int-spec-secret-0123456789abcdef';
const schema = uniqueSchema('inspection_s3');
const matchingSchema = uniqueSchema('fake_matching_s3');
const bucket = 'evidence';
// s3rver's built-in account; the secret is what the SigV4 check below holds the requests to.
const serverKeys = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Refuses a V4-signed request whose signature is not the one made with the server's current secret. */
const signatureCheck = (secrets: Map<string, string>) => async (ctx: KoaContext, next: () => Promise<void>) => {
  const authorization = ctx.req.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) return next(); // anonymous or another scheme: s3rver decides
  const [, accessKeyId, region, signedHeaders, signature] = match as unknown as [string, string, string, string, string];
  const serverSecret = secrets.get(accessKeyId);
  if (serverSecret === undefined) return next(); // an unknown key: s3rver answers InvalidAccessKeyId
  const headers = Object.fromEntries(signedHeaders.split(';').map((name) => [name, String(ctx.req.headers[name] ?? '')]));
  const expected = aws4.sign({ service: 's3', region, method: ctx.req.method, host: headers.host, path: ctx.url, headers }, { accessKeyId, secretAccessKey: serverSecret });
  if (String(expected.headers?.Authorization).endsWith(`Signature=${signature}`)) return next();
  ctx.status = 403;
  ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>';
};

describe('evidence in an S3-compatible store (HTTP, real PostgreSQL, s3rver)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'meshfab-s3-'));
  const serverSecrets = new Map([[serverKeys.accessKeyId, serverKeys.secretAccessKey]]);
  let s3: S3rverInstance;
  let endpoint: string;
  let app: INestApplication;
  let base: string;
  let matching: ServiceDatabase;
  let inspection: ServiceDatabase;
  let bus: EmbeddedEventBus;
  let brandToken: string;
  const store = (overrides: Partial<S3Settings> = {}) => new S3ObjectStore({ endpoint, bucket, region: 'us-east-1', pathStyle: true, ...serverKeys, ...overrides });

  /** The bucket's keys, through the S3 API (ListObjectsV2). */
  const bucketKeys = async (): Promise<string[]> => {
    const url = new URL(`${endpoint}/${bucket}?list-type=2`);
    const signed = aws4.sign({ service: 's3', region: 'us-east-1', method: 'GET', host: url.host, path: `${url.pathname}${url.search}` }, serverKeys);
    const { Host: _host, ...headers } = signed.headers as Record<string, string>;
    const text = await (await fetch(url, { headers })).text();
    return [...text.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]).sort();
  };

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${brandToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : undefined };
  };
  const upload = (lotId: string, content: Buffer) =>
    call('POST', `/inspection/lots/${lotId}/evidence`, { kind: 'photo', fileName: 'seam.jpg', contentType: 'image/jpeg', contentBase64: content.toString('base64') });
  const rows = (lotId: string): Promise<{ file_id: string; stored_in: string; has_content: boolean }[]> =>
    inspection.dataSource.query(`SELECT file_id, stored_in, content IS NOT NULL AS has_content FROM ${schema}.evidence_files WHERE lot_id = $1`, [lotId]);

  const openLot = async (): Promise<string> => {
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
      scrapQuantity: 0,
      completedAt: '2026-03-01T08:00:00.000Z',
      dueAt: '2026-03-05T00:00:00.000Z',
      inspection: { level: 'II', aql: 2.5, criticalAql: 0, minorAql: 4.0 },
      reworkRound: 0,
    };
    await matching.store.append(`subtask-${data.subtaskId}`, [{ type: 'SubtaskCompleted', data }], { expectedVersion: 'any', metadata: { correlationId: data.orderId, causationId: 'test' } });
    bus.notify('matching');
    const lotId = inspectionLotIdFor(data.subtaskId, 0);
    await waitFor(async () => ((await call('GET', `/inspection/lots/${lotId}`)).status === 200 ? true : null), { timeoutMs: 15000, message: `inspection lot ${lotId} opened` });
    return lotId;
  };

  beforeAll(async () => {
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
    s3.middleware.unshift(signatureCheck(serverSecrets));
    endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
    matching = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: matchingSchema });
    const env = {
      MESHFAB_INSPECTION_SCHEMA: schema,
      MESHFAB_INSPECTION_EVIDENCE_MAX_BYTES: '2048',
      MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT: endpoint,
      MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET: bucket,
      MESHFAB_INSPECTION_EVIDENCE_S3_ACCESS_KEY_ID: serverKeys.accessKeyId,
      MESHFAB_INSPECTION_EVIDENCE_S3_SECRET_ACCESS_KEY: serverKeys.secretAccessKey,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'inspection', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } satisfies PlatformConfig }),
        InspectionModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    inspection = app.get(ServiceDatabase);
    bus = new EmbeddedEventBus();
    bus.register('matching', matching.log);
    app.connectMicroservice(
      { strategy: new EmbeddedEventConsumer({ consumer: 'inspection', producers: ['matching'], database: inspection, bus, pollIntervalMs: 20, retry: { maxAttempts: 3, initialBackoffMs: 10 } }) },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
    brandToken = await testTokens(secret).issue({ sub: 'brand-1', role: 'brand' });
  });

  afterAll(async () => {
    await app?.close();
    await matching?.close();
    await s3?.close();
    rmSync(directory, { recursive: true, force: true });
    await dropSchema(testDatabaseUrl(), schema);
    await dropSchema(testDatabaseUrl(), matchingSchema);
  });

  it('is what the server takes: signed with its secret; refused signed with another', async () => {
    expect(await store().has('sha256/none')).toBe(false);
    expect(await store().get('sha256/none')).toBeUndefined();
    // A GET (a HEAD answer has no body to carry S3's error code).
    await expect(store({ secretAccessKey: 'not-the-secret' }).has('sha256/none')).rejects.toThrow(DependencyUnavailableError);
    await expect(store({ secretAccessKey: 'not-the-secret' }).get('sha256/none')).rejects.toThrow(/refused the service's credentials \(HTTP 403 SignatureDoesNotMatch\)/);
    await expect(store({ accessKeyId: 'NOBODY' }).get('sha256/none')).rejects.toThrow(/HTTP 403 InvalidAccessKeyId/);
  });

  it('stores the bytes once under their SHA-256 in the bucket, the metadata in PostgreSQL, and serves them back', async () => {
    const [lotId, otherLotId] = [await openLot(), await openLot()];
    const photo = Buffer.from('\u00ff\u00d8 a photo of seam 7 '.repeat(20));
    const sha256 = createHash('sha256').update(photo).digest('hex');
    const before = await bucketKeys();

    const stored = await upload(lotId, photo);
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ sha256, sizeBytes: photo.length, contentType: 'image/jpeg', uploadedBy: 'brand-1' });
    expect((await store().get(evidenceObjectKey(sha256)))?.equals(photo)).toBe(true);
    expect(await rows(lotId)).toEqual([{ file_id: stored.body.fileId, stored_in: 's3', has_content: false }]);

    // The same bytes again (to this lot and to another): one object.
    expect((await upload(lotId, photo)).body.fileId).toBe(stored.body.fileId);
    expect((await upload(otherLotId, photo)).status).toBe(201);
    expect(await bucketKeys()).toEqual([...before, evidenceObjectKey(sha256)].sort());

    const download = await fetch(`${base}/inspection/lots/${lotId}/evidence/${stored.body.fileId as string}`, { headers: { authorization: `Bearer ${brandToken}` } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(photo)).toBe(true);
    expect(download.headers.get('x-content-sha256')).toBe(sha256);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);

    // The size limit is the same.
    expect((await upload(lotId, Buffer.alloc(2049, 7))).status).toBe(413);
  });

  it('answers 503 naming the storage and keeps nothing when the store refuses the credentials; 502 for a lost object', async () => {
    const lotId = await openLot();
    serverSecrets.set(serverKeys.accessKeyId, 'rotated-on-the-server');
    try {
      const refused = await upload(lotId, Buffer.from('a report the store will not take'));
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: 'dependency_unavailable', details: { dependency: 'evidence storage (S3)' } });
      expect(refused.body.message).toContain("refused the service's credentials");
      expect(refused.text).not.toContain(serverKeys.secretAccessKey);
      expect(refused.headers.get('retry-after')).toBeTruthy();
    } finally {
      serverSecrets.set(serverKeys.accessKeyId, serverKeys.secretAccessKey);
    }
    expect(await rows(lotId)).toEqual([]);
    expect((await inspection.store.readStream(inspectionLotStreamId(lotId))).map((e) => e.type)).not.toContain('EvidenceFileAttached');

    // An object deleted behind the service's back: a clear 502 naming the file, not a 500.
    const lost = Buffer.from('a photo that will be lost');
    const stored = await upload(lotId, lost);
    expect(stored.status).toBe(201);
    const key = new URL(`${endpoint}/${bucket}/${evidenceObjectKey(stored.body.sha256 as string)}`);
    const signed = aws4.sign({ service: 's3', region: 'us-east-1', method: 'DELETE', host: key.host, path: key.pathname }, serverKeys);
    const { Host: _host, ...headers } = signed.headers as Record<string, string>;
    expect((await fetch(key, { method: 'DELETE', headers })).status).toBe(204);
    const missing = await call('GET', `/inspection/lots/${lotId}/evidence/${stored.body.fileId as string}`);
    expect(missing.status).toBe(502);
    expect(missing.body).toMatchObject({ error: 'evidence_content_missing', details: { fileId: stored.body.fileId, sha256: stored.body.sha256 } });
  });

  it('serves files stored in PostgreSQL before S3 was configured; PostgreSQL storage names S3 for a file it does not hold', async () => {
    const lotId = await openLot();
    const old = Buffer.from('a report from before the move to S3');
    const sha256 = createHash('sha256').update(old).digest('hex');
    await inspection.dataSource.query(
      `INSERT INTO ${schema}.evidence_files (file_id, lot_id, sha256, size_bytes, content_type, file_name, kind, uploaded_by, uploaded_at, content)
       VALUES ('ev_old', $1, $2, $3, 'text/plain', 'old.txt', 'report', 'brand-1', now(), $4)`,
      [lotId, sha256, old.length, old],
    );
    const served = await call('GET', `/inspection/lots/${lotId}/evidence/ev_old`);
    expect([served.status, served.text]).toEqual([200, old.toString()]);

    const inS3 = await upload(lotId, Buffer.from('a photo kept in S3'));
    const postgresOnly = new PostgresEvidenceStorage(schema);
    await expect(postgresOnly.get(lotId, inS3.body.fileId as string, inspection.dataSource.manager)).rejects.toThrow(/not configured \(MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT\)/);
    expect((await postgresOnly.get(lotId, 'ev_old', inspection.dataSource.manager))?.content.equals(old)).toBe(true);
  });

  it('refuses at start-up an S3 configuration that is incomplete or wrong, naming the variable', () => {
    const load = (env: Record<string, string>) => () => loadConfig(InspectionConfig, env);
    expect(load({ MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET: 'evidence' })).toThrow(/MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT: is required/);
    expect(load({ MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT: 'http://127.0.0.1:9000', MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET: 'evidence', MESHFAB_INSPECTION_EVIDENCE_S3_ACCESS_KEY_ID: 'k' })).toThrow(
      /MESHFAB_INSPECTION_EVIDENCE_S3_SECRET_ACCESS_KEY: is required/,
    );
    const badEndpoint = { MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT: 'ftp://store', MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET: 'Evidence_Bucket', MESHFAB_INSPECTION_EVIDENCE_S3_ACCESS_KEY_ID: 'k', MESHFAB_INSPECTION_EVIDENCE_S3_SECRET_ACCESS_KEY: 'top-secret-value' };
    expect(load(badEndpoint)).toThrow(/MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT: must be an http\(s\) URL[\s\S]*MESHFAB_INSPECTION_EVIDENCE_S3_BUCKET: must be an S3 bucket name/);
    expect(load(badEndpoint)).not.toThrow(/top-secret-value/);
    expect(loadConfig(InspectionConfig, {}).MESHFAB_INSPECTION_EVIDENCE_S3_ENDPOINT).toBeUndefined();
  });
});
