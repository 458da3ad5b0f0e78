// Rows written once per transaction, just before its commit (write-behind.ts), against PostgreSQL: each
// key's newest row in one flush; a rolled-back savepoint drops only its own rows and the key's earlier row
// stands; a released savepoint's rows count; a rollback writes nothing; a failing flush fails the commit;
// outside a transaction a row is written at once.
import type { EntityManager } from 'typeorm';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { ServiceDatabase } from './service-database.module.js';
import { WriteBehind } from './write-behind.js';

interface Row {
  id: string;
  label: string;
}

describe('rows written behind, at the commit', () => {
  const schema = uniqueSchema('write_behind');
  let db: ServiceDatabase;
  let rows: WriteBehind<Row>;
  /** Each flush: the rows it was given. */
  let flushes: Row[][];
  let failNextFlush = false;

  const table = () => `"${schema}".items`;
  const stored = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await db.dataSource.query<Row[]>(`SELECT id, label FROM ${table()} ORDER BY id`)).map((r) => [r.id, r.label]));

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, poolSize: 3 });
    await db.dataSource.query(`CREATE TABLE ${table()} (id text PRIMARY KEY, label text NOT NULL)`);
    rows = new WriteBehind<Row>(db.dataSource, async (batch: Row[], manager: EntityManager) => {
      flushes.push(batch);
      if (failNextFlush) {
        failNextFlush = false;
        await manager.query(`INSERT INTO ${table()} (id, label) VALUES ('x', NULL)`); // NOT NULL: refused
      }
      await manager.query(
        `INSERT INTO ${table()} (id, label) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label`,
        [batch.map((r) => r.id), batch.map((r) => r.label)],
      );
    });
  });
  beforeEach(async () => {
    flushes = [];
    await db.dataSource.query(`TRUNCATE ${table()}`);
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it("writes each key's newest row once, in one flush, at the commit and not before", async () => {
    await db.dataSource.transaction(async (m) => {
      await rows.write(m, 'a', { id: 'a', label: 'a1' });
      await rows.write(m, 'b', { id: 'b', label: 'b1' });
      await rows.write(m, 'a', { id: 'a', label: 'a2' });
      expect(await m.query(`SELECT count(*)::int AS n FROM ${table()}`)).toEqual([{ n: 0 }]);
    });
    expect(flushes).toEqual([
      [
        { id: 'b', label: 'b1' },
        { id: 'a', label: 'a2' },
      ],
    ]);
    expect(await stored()).toEqual({ a: 'a2', b: 'b1' });
  });

  it("drops what a rolled-back savepoint wrote and keeps the key's row from before it", async () => {
    await db.dataSource.transaction(async (m) => {
      await rows.write(m, 'a', { id: 'a', label: 'before' });
      await expect(
        m.transaction(async (inner) => {
          await rows.write(inner, 'a', { id: 'a', label: 'inside' });
          await rows.write(inner, 'c', { id: 'c', label: 'inside' });
          throw new Error('savepoint rolled back');
        }),
      ).rejects.toThrow('savepoint rolled back');
      await rows.write(m, 'b', { id: 'b', label: 'after' });
    });
    expect(await stored()).toEqual({ a: 'before', b: 'after' });
  });

  it("keeps what a released savepoint wrote, over the key's row from before it", async () => {
    await db.dataSource.transaction(async (m) => {
      await rows.write(m, 'a', { id: 'a', label: 'before' });
      await m.transaction(async (inner) => {
        await rows.write(inner, 'a', { id: 'a', label: 'inside' });
        await expect(
          inner.transaction(async (deeper) => {
            await rows.write(deeper, 'a', { id: 'a', label: 'deeper' });
            throw new Error('deeper savepoint rolled back');
          }),
        ).rejects.toThrow('deeper savepoint rolled back');
      });
      // A later savepoint rolled back at the same depth drops only its own rows.
      await expect(
        m.transaction(async (later) => {
          await rows.write(later, 'b', { id: 'b', label: 'later' });
          throw new Error('later savepoint rolled back');
        }),
      ).rejects.toThrow('later savepoint rolled back');
    });
    expect(await stored()).toEqual({ a: 'inside' });
    expect(flushes).toHaveLength(1);
  });

  it('writes nothing for a transaction rolled back, and nothing of it later', async () => {
    await expect(
      db.dataSource.transaction(async (m) => {
        await rows.write(m, 'a', { id: 'a', label: 'lost' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await db.dataSource.transaction(async (m) => rows.write(m, 'b', { id: 'b', label: 'kept' }));
    expect(flushes).toEqual([[{ id: 'b', label: 'kept' }]]);
    expect(await stored()).toEqual({ b: 'kept' });
  });

  it('fails the commit when the flush fails, and nothing of the transaction stays', async () => {
    failNextFlush = true;
    await expect(
      db.dataSource.transaction(async (m) => {
        await m.query(`INSERT INTO ${table()} (id, label) VALUES ('direct', 'written in the transaction')`);
        await rows.write(m, 'a', { id: 'a', label: 'a1' });
      }),
    ).rejects.toThrow(/null value/);
    expect(await stored()).toEqual({});
    // The connection went back to the pool clean: the next transactions work.
    await db.dataSource.transaction(async (m) => rows.write(m, 'b', { id: 'b', label: 'b1' }));
    expect(await stored()).toEqual({ b: 'b1' });
  });

  it('writes what it keeps every maxRows rows outside savepoints, so a transaction of many keys holds few', async () => {
    const few = new WriteBehind<Row>(db.dataSource, async (batch, manager) => {
      flushes.push(batch);
      await manager.query(`INSERT INTO ${table()} (id, label) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label`, [
        batch.map((r) => r.id),
        batch.map((r) => r.label),
      ]);
    }, { maxRows: 2 });
    await db.dataSource.transaction(async (m) => {
      for (const id of ['a', 'b', 'c', 'd', 'e']) await few.write(m, id, { id, label: id });
      expect(flushes.map((f) => f.map((r) => r.id))).toEqual([['a', 'b'], ['c', 'd']]);
    });
    expect(flushes.map((f) => f.map((r) => r.id))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(Object.keys(await stored())).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it("folds a key's newer row into the one kept before it with `combine`, savepoints included", async () => {
    const joined = new WriteBehind<Row>(
      db.dataSource,
      async (batch, manager) => {
        flushes.push(batch);
        await manager.query(`INSERT INTO ${table()} (id, label) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO UPDATE SET label = items.label || '+' || EXCLUDED.label`, [
          batch.map((r) => r.id),
          batch.map((r) => r.label),
        ]);
      },
      { combine: (older, newer) => ({ id: newer.id, label: `${older.label}+${newer.label}` }) },
    );
    await joined.write(db.dataSource.manager, 'a', { id: 'a', label: 'stored' });
    await db.dataSource.transaction(async (m) => {
      await joined.write(m, 'a', { id: 'a', label: '1' });
      await m.transaction(async (inner) => joined.write(inner, 'a', { id: 'a', label: '2' }));
      await expect(
        m.transaction(async (inner) => {
          await joined.write(inner, 'a', { id: 'a', label: 'dropped' });
          throw new Error('savepoint rolled back');
        }),
      ).rejects.toThrow('savepoint rolled back');
      await joined.write(m, 'a', { id: 'a', label: '3' });
    });
    expect(await stored()).toEqual({ a: 'stored+1+2+3' });
    expect(flushes.map((f) => f.length)).toEqual([1, 1]);
  });

  it('writes at once outside a transaction', async () => {
    await rows.write(db.dataSource.manager, 'a', { id: 'a', label: 'now' });
    expect(await stored()).toEqual({ a: 'now' });
  });
});
