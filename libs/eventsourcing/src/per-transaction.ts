import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** The runner of `manager` while it is in a transaction; undefined outside one. */
const inTransaction = (manager: EntityManager | undefined): QueryRunner | undefined => {
  const runner = manager?.queryRunner;
  return runner?.isTransactionActive ? runner : undefined;
};

/**
 * A value kept for each open transaction of a data source (by its query runner): kept through a released
 * savepoint, handed to `onCommit` at the transaction's (outermost) commit, and forgotten then and at any
 * rollback in it, of a savepoint too (what the savepoint did is undone, so what was kept may be wrong).
 */
export class PerTransaction<T> {
  private readonly values = new WeakMap<QueryRunner, T>();

  constructor(dataSource: DataSource, onCommit?: (value: T) => void) {
    dataSource.subscribers.push({
      afterTransactionCommit: ({ queryRunner }) => {
        if (queryRunner.isTransactionActive) return; // a savepoint released: the transaction goes on
        const value = this.values.get(queryRunner);
        this.values.delete(queryRunner);
        if (value !== undefined) onCommit?.(value);
      },
      afterTransactionRollback: ({ queryRunner }) => {
        this.values.delete(queryRunner);
      },
    });
  }

  /** The value of the transaction `manager` is in, if one was kept. */
  get(manager: EntityManager | undefined): T | undefined {
    const runner = inTransaction(manager);
    return runner ? this.values.get(runner) : undefined;
  }

  /** The value of the transaction `manager` is in, made by `create` if none was kept; undefined outside a transaction. */
  getOrCreate(manager: EntityManager | undefined, create: () => T): T | undefined {
    const runner = inTransaction(manager);
    if (!runner) return undefined;
    let value = this.values.get(runner);
    if (value === undefined) {
      value = create();
      this.values.set(runner, value);
    }
    return value;
  }
}
