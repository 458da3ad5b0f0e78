// TransactionLocks against PostgreSQL: a lock is asked for once per transaction and held to its end; a
// rolled-back savepoint releases what it took, and the next ask takes it again; a new transaction on the
// same connection asks again.
import { randomUUID } from 'node:crypto';
import type { EntityManager, QueryRunner } from 'typeorm';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { ServiceDatabase } from './service-database.module.js';
import { TransactionLocks } from './transaction-locks.js';

describe('TransactionLocks', () => {
  const schema = uniqueSchema('tx_locks');
  let db: ServiceDatabase;
  let locks: TransactionLocks;
  const asked: string[] = [];

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, poolSize: 4 });
    locks = new TransactionLocks(db.dataSource);
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });
  beforeEach(() => (asked.length = 0));

  /** Counts the lock statements `manager` sends. */
  const counted = (manager: EntityManager): EntityManager => {
    const runner = manager.queryRunner as QueryRunner & { query: QueryRunner['query'] };
    const query = runner.query.bind(runner);
    runner.query = ((text: string, params?: unknown[]) => {
      if (text.includes('pg_advisory_xact_lock')) asked.push(String(params?.[0]));
      return query(text, params);
    }) as QueryRunner['query'];
    return manager;
  };
  /** Whether another session could take the lock on `key` now. */
  const free = async (key: string) => {
    const [row] = await db.dataSource.transaction((m) => m.query<{ taken: boolean }[]>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS taken', [key]));
    return row.taken;
  };

  it('asks once per transaction and holds the lock until the transaction ends', async () => {
    const key = `k-${randomUUID()}`;
    await db.dataSource.transaction(async (m) => {
      counted(m);
      await locks.lock(m, key);
      await locks.lock(m, key);
      expect(await free(key)).toBe(false);
    });
    expect(asked).toEqual([key]);
    expect(await free(key)).toBe(true);
  });

  it('asks again after a rolled-back savepoint that took it (the rollback released it)', async () => {
    const key = `k-${randomUUID()}`;
    await db.dataSource.transaction(async (m) => {
      counted(m);
      await m
        .transaction(async (inner) => {
          await locks.lock(inner, key);
          throw new Error('roll back the savepoint');
        })
        .catch((error: Error) => expect(error.message).toBe('roll back the savepoint'));
      expect(await free(key)).toBe(true); // PostgreSQL released it with the savepoint
      await locks.lock(m, key);
      expect(await free(key)).toBe(false);
    });
    expect(asked).toEqual([key, key]);
  });

  it('asks again in the next transaction on the same connection', async () => {
    const key = `k-${randomUUID()}`;
    const runner = db.dataSource.createQueryRunner();
    try {
      counted(runner.manager);
      for (const end of ['commit', 'rollback'] as const) {
        await runner.startTransaction();
        await locks.lock(runner.manager, key);
        expect(await free(key)).toBe(false);
        await (end === 'commit' ? runner.commitTransaction() : runner.rollbackTransaction());
        expect(await free(key)).toBe(true);
      }
      await runner.startTransaction();
      await locks.lock(runner.manager, key);
      expect(await free(key)).toBe(false);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(asked).toEqual([key, key, key]);
  });
});
