// Matching as its integration specs run it: the real module over HTTP and the real consumer, fed by fake
// producers (a schema of their own each) on an embedded bus; workshops use the real HTTP API with real
// tokens; PostgreSQL is real. Shared by apps/matching's int-specs; under test/ so the build leaves it out.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ServiceDatabase } from '#libs/eventsourcing';
import { EmbeddedEventBus, EmbeddedEventConsumer } from '#libs/messaging';
import { PlatformModule } from '#libs/platform';
import { dropSchema, testDatabaseUrl, testPublicKeys, testSigning, testTokens, type TestTokens, waitFor } from '#libs/testing';
import { MatchingModule } from '../../apps/matching/src/matching.module.js';

export interface MatchingUnderTestOptions<Producer extends string> {
  /** matching's own schema. */
  schema: string;
  /** One schema per fake producer, in the order the consumer reads them. */
  producerSchemas: Record<Producer, string>;
  secret: string;
  clock: () => Date;
  /** More of matching's configuration (MESHFAB_MATCHING_SCHEMA is set from `schema`). */
  env?: Record<string, string>;
}

export class MatchingUnderTest<Producer extends string> {
  private app?: INestApplication;
  private base = '';
  private database?: ServiceDatabase;
  private readonly producers = new Map<Producer, ServiceDatabase>();
  private readonly bus = new EmbeddedEventBus();
  private readonly tokens: TestTokens;

  constructor(private readonly options: MatchingUnderTestOptions<Producer>) {
    this.tokens = testTokens(options.secret);
  }

  get db(): ServiceDatabase {
    if (!this.database) throw new Error('matching is not started');
    return this.database;
  }

  async start(): Promise<void> {
    const { schema, producerSchemas, secret, clock, env } = this.options;
    const names = Object.keys(producerSchemas) as Producer[];
    for (const p of names) {
      const producer = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: producerSchemas[p] });
      this.producers.set(p, producer);
      this.bus.register(p, producer.log);
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ serviceName: 'matching', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } }),
        MatchingModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env: { MESHFAB_MATCHING_SCHEMA: schema, ...env }, clock }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    this.app = app;
    this.database = app.get(ServiceDatabase);
    app.connectMicroservice(
      { strategy: new EmbeddedEventConsumer({ consumer: 'matching', producers: names, database: this.database, bus: this.bus, pollIntervalMs: 20, retry: { maxAttempts: 2, initialBackoffMs: 10 } }) },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(0);
    this.base = (await app.getUrl()).replace('[::1]', 'localhost');
  }

  async close(): Promise<void> {
    await this.app?.close();
    for (const p of this.producers.values()) await p.close();
    for (const s of [this.options.schema, ...Object.values<string>(this.options.producerSchemas)]) await dropSchema(testDatabaseUrl(), s);
  }

  /** Appends an event to a fake producer's store and wakes the consumer. */
  readonly emit = async (producer: Producer, streamId: string, type: string, data: object): Promise<void> => {
    await this.producers.get(producer)!.store.append(streamId, [{ type, data }], { expectedVersion: 'any', metadata: { correlationId: streamId, causationId: 'test' } });
    this.bus.notify(producer);
  };

  /** matching's events of `type` (of one order), in store order. */
  readonly events = async (type: string, orderId?: string): Promise<{ type: string; data: Record<string, any> }[]> =>
    this.db.dataSource.query(
      `SELECT type, data FROM "${this.options.schema}".events WHERE type = $1 ${orderId ? `AND data->>'orderId' = $2` : ''} ORDER BY global_position`,
      orderId ? [type, orderId] : [type],
    );

  /** Waits until matching stored at least `n` events of `type` (of one order). */
  readonly atLeast = (type: string, n: number, orderId?: string, timeoutMs?: number) =>
    waitFor(
      async () => {
        const rows = await this.events(type, orderId);
        return rows.length >= n ? rows : null;
      },
      { message: `${n} × ${type}${orderId ? ` of ${orderId}` : ''}`, timeoutMs },
    );

  /** An HTTP call to matching as `who` (a bare id is a workshop). */
  readonly call = async (method: string, path: string, who: string | { sub: string; role: 'workshop' | 'brand' | 'operator' }, body?: object): Promise<{ status: number; body: any }> => {
    const token = await this.tokens.issue(typeof who === 'string' ? { sub: who, role: 'workshop' } : who);
    const res = await fetch(`${this.base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: await res.json() };
  };
}
