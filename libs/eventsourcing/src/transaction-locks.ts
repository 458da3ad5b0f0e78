import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * Transaction-scoped advisory locks (`pg_advisory_xact_lock`), each taken once per transaction: a
 * consumer's batch that holds several events of one aggregate asks for its lock once per event, and the
 * lock is already held after the first (PostgreSQL keeps it until the transaction ends). Any rollback in
 * the transaction, of a savepoint too, forgets what was taken (a savepoint's rollback releases the locks
 * taken in it): they are asked for again. Outside a transaction every call takes the lock.
 */
export class TransactionLocks {
  private readonly held = new WeakMap<QueryRunner, Set<string>>();

  constructor(dataSource: DataSource) {
    dataSource.subscribers.push({
      afterTransactionCommit: ({ queryRunner }) => {
        if (!queryRunner.isTransactionActive) this.held.delete(queryRunner); // else a savepoint released: still held
      },
      afterTransactionRollback: ({ queryRunner }) => {
        this.held.delete(queryRunner);
      },
    });
  }

  /** Waits for the lock on `key` (hashed with `hashtext`) unless this transaction holds it already. */
  async lock(manager: EntityManager, key: string): Promise<void> {
    const runner = manager.queryRunner;
    const inTransaction = runner?.isTransactionActive === true;
    const held = inTransaction ? this.held.get(runner) : undefined;
    if (held?.has(key)) return;
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
    if (!inTransaction) return;
    const keys = held ?? new Set<string>();
    keys.add(key);
    this.held.set(runner, keys);
  }
}
