import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** TypeORM keeps a runner's nesting as `transactionDepth` (1 in a transaction, 2 in a savepoint of it, …). */
const depthOf = (runner: QueryRunner): number => (runner as unknown as { transactionDepth: number }).transactionDepth;

/**
 * Rows a transaction writes once, just before its commit, instead of at every change: a read model that
 * every command of a stream rewrites whole (the order summary) is written once per transaction, with each
 * key's newest row, in one statement for all keys (`flush`).
 *
 * Savepoints keep their own layer: a row made inside one replaces the key's row only when the savepoint
 * is released, and its rollback drops just what was made inside it (the key's earlier row stands). A
 * rollback of the transaction drops everything; a `flush` that fails fails the commit. Outside a
 * transaction a row is written at once. A transaction that changes many keys (a rebuild) does not keep
 * them all: outside any savepoint, every `maxRows` kept rows are written then and there. Only what commits
 * through TypeORM's transaction calls is seen: a transaction begun by hand on a raw connection is not.
 *
 * `combine` (optional) folds a key's newer row into the one kept before it, for a row that merges with
 * what is stored rather than replacing it (an upsert that keeps a column when the newer row has none):
 * folding in memory first must give what the two writes one after the other would. Without it the newer
 * row replaces the older.
 */
export class WriteBehind<Row> {
  /** Per open transaction: one map per nesting level, the outermost first. */
  private readonly layers = new WeakMap<QueryRunner, Map<string, Row>[]>();

  constructor(
    dataSource: DataSource,
    private readonly flush: (rows: Row[], manager: EntityManager) => Promise<void>,
    private readonly options: { maxRows?: number; combine?: (older: Row, newer: Row) => Row } = {},
  ) {
    dataSource.subscribers.push({
      beforeTransactionCommit: async ({ queryRunner }) => {
        const layers = this.layers.get(queryRunner);
        if (!layers || depthOf(queryRunner) > 1) return; // a savepoint's release: merged after it (below)
        this.layers.delete(queryRunner);
        const rows = [...merged(layers).values()];
        if (rows.length > 0) await this.flush(rows, queryRunner.manager);
      },
      afterTransactionCommit: ({ queryRunner }) => {
        const layers = this.layers.get(queryRunner);
        if (layers && queryRunner.isTransactionActive) this.layers.set(queryRunner, truncated(layers, depthOf(queryRunner), true));
      },
      afterTransactionRollback: ({ queryRunner }) => {
        const layers = this.layers.get(queryRunner);
        if (!layers) return;
        if (queryRunner.isTransactionActive) this.layers.set(queryRunner, truncated(layers, depthOf(queryRunner), false));
        else this.layers.delete(queryRunner);
      },
    });
  }

  /** Keeps `row` as `key`'s newest until the commit of `manager`'s transaction; outside one, writes it now. */
  async write(manager: EntityManager, key: string, row: Row): Promise<void> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) return this.flush([row], manager);
    const depth = depthOf(runner);
    const layers = this.layers.get(runner) ?? [];
    while (layers.length < depth) layers.push(new Map());
    const { combine, maxRows = 500 } = this.options;
    const older = combine ? layers.findLast((layer) => layer.has(key))?.get(key) : undefined;
    // Kept in write order: a key written again moves to the end.
    layers[depth - 1].delete(key);
    layers[depth - 1].set(key, older === undefined ? row : combine!(older, row));
    this.layers.set(runner, layers);
    if (depth === 1 && layers[0].size >= maxRows) {
      const rows = [...layers[0].values()];
      layers[0].clear();
      await this.flush(rows, manager);
    }
  }
}

/** The layers as one map, deeper ones winning. */
function merged<Row>(layers: readonly Map<string, Row>[]): Map<string, Row> {
  const all = new Map<string, Row>();
  for (const layer of layers)
    for (const [key, row] of layer) {
      all.delete(key);
      all.set(key, row);
    }
  return all;
}

/** The layers cut to `depth` levels: what was deeper merged into the last kept one (`keep`) or dropped. */
function truncated<Row>(layers: Map<string, Row>[], depth: number, keep: boolean): Map<string, Row>[] {
  if (layers.length <= depth) return layers;
  const kept = layers.slice(0, depth);
  if (keep) kept[depth - 1] = merged(layers.slice(depth - 1));
  return kept;
}
