// The rate limit shared by the instances of a service through its PostgreSQL (issue 17, hardening): two
// instances of one service on one database spend one budget per client; the store's single upsert grants
// no more than the bucket holds however many instances ask at once; and an instance whose database is
// gone limits on its own buckets (fails open to a per-instance limit).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ServiceDatabase } from '#libs/eventsourcing';
import { configureHttpApp, loadConfig, PlatformConfig, PlatformModule } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, uniqueSchema } from '#libs/testing';
import { PostgresRateLimitStore, sharedRateLimitModule } from './postgres-rate-limit-store.js';

const SECRET = 'rate-limit-int-spec-secret-0123456789ab';

interface Instance {
  app: INestApplication;
  url: string;
}

async function startInstance(db: ServiceDatabase, env: Record<string, string>): Promise<Instance> {
  const config = loadConfig(PlatformConfig, { MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(SECRET), LOG_LEVEL: 'silent', ...env });
  const moduleRef = await Test.createTestingModule({
    imports: [PlatformModule.forRoot({ serviceName: 'orders', config }), sharedRateLimitModule(db.schema)],
    providers: [{ provide: ServiceDatabase, useValue: db }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  configureHttpApp(app, {});
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}` };
}

/** An anonymous call (401 when admitted, 429 when throttled): the anonymous budget keys on the client address. */
const anonymousCall = (instance: Instance) => fetch(`${instance.url}/metrics`).then((response) => response.status);

describe('rate limit shared through PostgreSQL', () => {
  const schema = uniqueSchema('rate_limit');
  let db: ServiceDatabase;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
  });
  afterAll(async () => {
    await db?.dataSource.destroy();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('gives two instances of a service one budget per client, not one each', async () => {
    // 4 calls at once, then one every 100 s: per instance that would be 8 calls for two instances.
    const env = { MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: '0.01', MESHFAB_RATE_LIMIT_ANONYMOUS_BURST: '4', MESHFAB_RATE_LIMIT_LEASE: '1' };
    const [a, b] = [await startInstance(db, env), await startInstance(db, env)];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push(await anonymousCall(a), await anonymousCall(b));
      expect(statuses.filter((status) => status === 401)).toHaveLength(4);
      expect(statuses.slice(4)).toEqual([429, 429, 429, 429, 429, 429]);
      const refused = await fetch(`${b.url}/metrics`);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(1);
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });

  it('grants no more than the bucket holds when many instances ask at once (one upsert per request)', async () => {
    const stores = [new PostgresRateLimitStore(db.dataSource, schema), new PostgresRateLimitStore(db.dataSource, schema)];
    const limit = { perSecond: 0.001, burst: 25 };
    const grants = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2].take('member:m-1', limit, 3)));
    expect(grants.reduce((sum, grant) => sum + grant.granted, 0)).toBe(25);
    const refused = grants.filter((grant) => grant.granted === 0);
    expect(refused.length).toBeGreaterThan(0);
    // The next token is 1000 s away (less the moments the requests took).
    for (const grant of refused) expect(grant.retryAfterMs).toBeGreaterThan(990_000);
    // Another key has a budget of its own.
    expect((await stores[0].take('member:m-2', limit, 3)).granted).toBe(3);
  });

  it('limits on the instance\'s own buckets while its database is unavailable (fails open per instance)', async () => {
    const broken = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
    const env = { MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: '0.01', MESHFAB_RATE_LIMIT_ANONYMOUS_BURST: '3', MESHFAB_RATE_LIMIT_LEASE: '1' };
    const instance = await startInstance(broken, env);
    try {
      await broken.dataSource.destroy();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push(await anonymousCall(instance));
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await instance.app.close();
    }
  });
});
