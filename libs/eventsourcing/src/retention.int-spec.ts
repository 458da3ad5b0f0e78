import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { pruneExpired } from './retention.js';
import { ServiceDatabase } from './service-database.module.js';

describe('retention', () => {
  const schema = uniqueSchema('retention');
  let db: ServiceDatabase;
  const now = new Date('2030-06-01T00:00:00.000Z');
  const ago = (hours: number) => new Date(now.getTime() - hours * 3_600_000);

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const count = async (table: string, where = 'true'): Promise<number> => Number((await db.dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE ${where}`))[0].n);
  const letter = async (status: string, at: Date, published: boolean, tag: string): Promise<void> => {
    await db.dataSource.query(
      `INSERT INTO "${schema}".dead_letters (consumer, source, event_id, type, payload, reason, attempts, failed_at, status, published_at, resolved_at)
       VALUES ('c', 'p', $1, 'T', '{}', 'boom', 3, $2, $3, $4, $5)`,
      [tag, at, status, published ? at : null, ['replayed', 'discarded'].includes(status) ? at : null],
    );
  };

  it('deletes only what is past its retention, keeps parked and held letters and unpublished ones, and keeps everything at 0', async () => {
    for (const [key, at] of [['old', ago(200)], ['fresh', ago(1)]] as const) {
      await db.dataSource.query(`INSERT INTO "${schema}".idempotency_keys (scope, key, request_hash, status, response, created_at) VALUES ('s', $1, 'h', 201, '{}', $2)`, [key, at]);
      await db.dataSource.query(`INSERT INTO "${schema}".inbox (consumer, event_id, handled_at) VALUES ('c', $1, $2)`, [randomUUID(), key === 'old' ? ago(31 * 24) : ago(24)]);
    }
    await letter('dead', ago(91 * 24), true, 'old-dead');
    await letter('replayed', ago(91 * 24), true, 'old-replayed');
    await letter('discarded', ago(91 * 24), true, 'old-discarded');
    await letter('parked', ago(91 * 24), true, 'old-parked');
    await letter('held', ago(91 * 24), false, 'old-held');
    await letter('dead', ago(91 * 24), false, 'old-unpublished');
    await letter('dead', ago(24), true, 'fresh-dead');

    expect(await pruneExpired(db.dataSource, schema, { idempotencyKeyHours: 0, inboxDays: 0, deadLetterDays: 0 }, now)).toEqual({ idempotency_keys: 0, inbox: 0, dead_letters: 0 });
    expect(await pruneExpired(db.dataSource, schema, { idempotencyKeyHours: 168, inboxDays: 30, deadLetterDays: 90 }, now)).toEqual({ idempotency_keys: 1, inbox: 1, dead_letters: 3 });

    expect(await db.dataSource.query(`SELECT key FROM "${schema}".idempotency_keys`)).toEqual([{ key: 'fresh' }]);
    expect(await count('inbox')).toBe(1);
    const left: { event_id: string }[] = await db.dataSource.query(`SELECT event_id FROM "${schema}".dead_letters ORDER BY id`);
    expect(left.map((l) => l.event_id)).toEqual(['old-parked', 'old-held', 'old-unpublished', 'fresh-dead']);
  });

  it('skips a round while another instance prunes the same schema', async () => {
    const other = new pg.Client({ connectionString: testDatabaseUrl() });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(hashtext($1))', [`${schema}:retention`]);
      expect(await pruneExpired(db.dataSource, schema, { idempotencyKeyHours: 1, inboxDays: 1, deadLetterDays: 1 }, now)).toBeUndefined();
      await other.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}:retention`]);
      expect(await pruneExpired(db.dataSource, schema, { idempotencyKeyHours: 1, inboxDays: 1, deadLetterDays: 1 }, now)).toBeDefined();
    } finally {
      await other.end();
    }
  });
});
