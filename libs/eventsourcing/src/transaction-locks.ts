import type { DataSource, EntityManager } from 'typeorm';
import { PerTransaction } from './per-transaction.js';

/**
 * Transaction-scoped advisory locks (`pg_advisory_xact_lock`), each taken once per transaction: a
 * consumer's batch that holds several events of one aggregate asks for its lock once per event, and the
 * lock is already held after the first (PostgreSQL keeps it until the transaction ends). Any rollback in
 * the transaction, of a savepoint too, forgets what was taken (a savepoint's rollback releases the locks
 * taken in it): they are asked for again. Outside a transaction every call takes the lock.
 */
export class TransactionLocks {
  private readonly held: PerTransaction<Set<string>>;

  constructor(dataSource: DataSource) {
    this.held = new PerTransaction(dataSource);
  }

  /** Waits for the lock on `key` (hashed with `hashtext`) unless this transaction holds it already. */
  async lock(manager: EntityManager, key: string): Promise<void> {
    if (this.held.get(manager)?.has(key)) return;
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
    this.held.getOrCreate(manager, () => new Set<string>())?.add(key);
  }
}
