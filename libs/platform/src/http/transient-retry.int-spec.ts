// A request whose transaction PostgreSQL picks as a deadlock's victim is served again, whole, instead
// of answering 500: two real transactions lock the same two rows in opposite orders on a real server.
import { Controller, Param, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { dropSchema, testDatabaseUrl, testPublicKeys, uniqueSchema } from '#libs/testing';
import { Public } from '../auth/auth.decorators.js';
import { PlatformModule } from '../platform.module.js';
import { TRANSIENT_CONFLICT_RETRIES } from './transient-retry.interceptor.js';

const schema = uniqueSchema('transient_retry');
const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 4 });
const runs = { transfer: 0, doomed: 0 };
let arrived = 0;
let bothArrived: () => void = () => undefined;
const barrier = new Promise<void>((resolve) => (bothArrived = resolve));

@Controller('t')
@Public()
class TransferController {
  /** Adds one to both counters in one transaction, `first` before the other: two opposite calls deadlock. */
  @Post('transfer/:first')
  async transfer(@Param('first') first: string) {
    runs.transfer += 1;
    const second = first === 'a' ? 'b' : 'a';
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE "${schema}".counters SET n = n + 1 WHERE id = $1`, [first]);
      // Both requests hold their first row before either asks for its second (only on the first try).
      if (++arrived === 2) bothArrived();
      await barrier;
      await client.query(`UPDATE "${schema}".counters SET n = n + 1 WHERE id = $1`, [second]);
      await client.query('COMMIT');
      return { ok: true };
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  /** Loses every time (the driver's error for a deadlock victim, as PostgreSQL reports it). */
  @Post('doomed')
  doomed() {
    runs.doomed += 1;
    throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
  }
}

describe('requests whose transaction lost a deadlock', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".counters (id text PRIMARY KEY, n int NOT NULL); INSERT INTO "${schema}".counters VALUES ('a', 0), ('b', 0)`);
    const moduleRef = await Test.createTestingModule({
      imports: [PlatformModule.forRoot({ serviceName: 'transient-retry-spec', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys('transient-retry-spec-secret-0123456789abcdef'), LOG_LEVEL: 'silent' } })],
      controllers: [TransferController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
  });

  afterAll(async () => {
    await app?.close();
    await pool.end();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('are served again from the start: both succeed and each change is kept exactly once', async () => {
    const answers = await Promise.all(['a', 'b'].map((first) => fetch(`${base}/t/transfer/${first}`, { method: 'POST' })));
    expect(answers.map((r) => r.status)).toEqual([201, 201]);
    // PostgreSQL aborted one of the two; it ran a second time.
    expect(runs.transfer).toBe(3);
    const rows: { id: string; n: number }[] = (await pool.query(`SELECT id, n FROM "${schema}".counters ORDER BY id`)).rows;
    expect(rows).toEqual([
      { id: 'a', n: 2 },
      { id: 'b', n: 2 },
    ]);
  });

  it('answer 503 with Retry-After, not 500, when they lose every time', async () => {
    const res = await fetch(`${base}/t/doomed`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ error: 'busy', message: 'the change collided with concurrent ones and was not made; try again in a moment' });
    expect(runs.doomed).toBe(1 + TRANSIENT_CONFLICT_RETRIES);
  });
});
