import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Server-side prepared statements for the statements a service repeats, as pgjdbc does by default
 * (`prepareThreshold`) and Npgsql with `Max Auto Prepare`.
 *
 * node-postgres sends a parameterised query without a name as PostgreSQL's unnamed statement: parsed,
 * analysed and planned again on every call. Measured with pg_stat_statements through the pipeline bench
 * (bench/README.md, issue 20's sixth pass), planning was about a third of the server's statement time for
 * what an order makes (an append: 0.25–0.35 ms of planning against 0.2–0.4 ms of execution).
 * A named statement is parsed once per connection; PostgreSQL plans its first five executions for their
 * values and then keeps one generic plan when that plan is estimated no worse (plan_cache_mode `auto`), so a
 * statement whose best plan depends on its values keeps being planned for them.
 *
 * What is named: a parameterised statement (parameters imply exactly one statement) whose text this
 * process has sent `threshold` times before, up to `maxStatements` distinct texts (each connection keeps
 * every statement it prepared until it closes, so text built per call — a list of n placeholders — must not
 * grow that set without bound), and no longer than `maxTextLength`. The name is a digest of the text: a name
 * always means one text, on every connection. Everything else (a call with a config object or a name of its
 * own, a stream, a statement without parameters) goes to node-postgres untouched.
 *
 * Not for a connection pooler in transaction mode (a prepared statement lives in one server session);
 * set MESHFAB_DB_AUTO_PREPARE=false there.
 */
export interface AutoPrepareOptions {
  /** Calls of a text before it is named; default 2 (named on its third call). */
  threshold?: number;
  /** Distinct texts named per process; default 500. */
  maxStatements?: number;
  /** Longer texts are never named; default 16,384 characters. */
  maxTextLength?: number;
}

const WRAPPED = Symbol('meshfab.autoPrepare');

export class StatementNames {
  private readonly seen = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private readonly generations = new Map<string, number>();
  private readonly threshold: number;
  private readonly maxStatements: number;
  private readonly maxTextLength: number;

  constructor(options: AutoPrepareOptions = {}) {
    this.threshold = options.threshold ?? 2;
    this.maxStatements = options.maxStatements ?? 500;
    this.maxTextLength = options.maxTextLength ?? 16_384;
  }

  /** The name to prepare `text` under, or undefined to send it unnamed (this time). */
  nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    if (text.length > this.maxTextLength || this.names.size >= this.maxStatements) return undefined;
    const calls = (this.seen.get(text) ?? 0) + 1;
    if (calls <= this.threshold) {
      // Bounded as the names are: past the cap, new texts are not even counted.
      if (this.seen.size < this.maxStatements * 4 || this.seen.has(text)) this.seen.set(text, calls);
      return undefined;
    }
    this.seen.delete(text);
    const generation = this.generations.get(text) ?? 0;
    const name = `mf_${createHash('sha1').update(text).digest('hex')}${generation === 0 ? '' : `_${generation}`}`;
    this.names.set(text, name);
    return name;
  }

  /**
   * The statement under `text`'s name no longer fits its tables (a column added to a table it reads with
   * `*`, by a migration of a newer instance): PostgreSQL refuses to run it ("cached plan must not change
   * result type") on every connection that prepared it. The next call prepares it afresh under a new name.
   */
  forget(text: string): void {
    if (!this.names.delete(text)) return;
    this.generations.set(text, (this.generations.get(text) ?? 0) + 1);
  }

  get size(): number {
    return this.names.size;
  }
}

type QueryFn = (...args: unknown[]) => unknown;

/** SQLSTATE 0A000 (feature_not_supported) with this message: a prepared statement outlived its tables' shape. */
function forgetIfStale(names: StatementNames, text: string, error: unknown): void {
  const e = error as { code?: string; message?: string };
  if (e?.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '')) names.forget(text);
}

/** Makes `client` prepare the statements `names` picks (idempotent: a client is wrapped once). */
export function autoPrepare(client: pg.ClientBase, names: StatementNames): void {
  const target = client as unknown as { query: QueryFn; [WRAPPED]?: true };
  if (target[WRAPPED]) return;
  const query: QueryFn = target.query.bind(client);
  target.query = (...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && args.length <= 3 && (callback === undefined || typeof callback === 'function')) {
      const name = names.nameFor(text);
      if (name !== undefined) {
        const result = (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
          forgetIfStale(names, text, error);
          throw error;
        });
        if (callback === undefined) return result;
        // node-postgres' callback form (pg.Pool's own query uses it) answers nothing.
        result.then((rows) => (callback as (e: Error | null, r?: unknown) => void)(null, rows), (error: Error) => (callback as (e: Error | null) => void)(error));
        return undefined;
      }
    }
    return query(...args);
  };
  target[WRAPPED] = true;
}

/** Every client `pool` hands out prepares what `names` picks (hooked on checkout, so clients made earlier are covered too). */
export function autoPreparePool(pool: pg.Pool, names: StatementNames = new StatementNames()): StatementNames {
  pool.on('acquire', (client) => autoPrepare(client, names));
  return names;
}
