import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { assertContract, isIntegrationEvent, rememberCheckedAtAppend } from '#libs/contracts';
import { ConcurrencyError } from './errors.js';
import { logXidSql } from './event-log-clock.js';
import { assertEventSize } from './event-size.js';
import { ident, isUniqueViolation, pgErrorOf, queryRows } from './sql.js';
import type { EventMetadata, StoredEvent } from './stored-event.js';
import { Upcasters } from './upcasting.js';
import { currentTraceparent } from './trace-propagation.js';

/** An event to append: its type and data; id and time may be given (for idempotent imports, tests). */
export interface NewEvent {
  type: string;
  data: object;
  eventId?: string;
  occurredAt?: Date;
}

/**
 * `number`: the stream must be exactly at this version (0 = must not exist yet);
 * `'any'`: append after whatever is there (still never overwrites: a race is a ConcurrencyError).
 */
export type ExpectedVersion = number | 'any';

export interface AppendOptions {
  expectedVersion: ExpectedVersion;
  metadata: EventMetadata;
  /** Join a running transaction (e.g. a consumer's inbox transaction). */
  manager?: EntityManager;
  /**
   * With a numeric `expectedVersion`: the id of the stream's event at that version. Refused (a conflict)
   * when the event there is another one: the stream was rewritten below the caller's view of it (a
   * database restored to an earlier point, then written again), as a cached state can be.
   */
  expectedLastEventId?: string;
}

export interface AppendResult {
  nextExpectedVersion: number;
  events: StoredEvent[];
}

/** What an append's INSERT returns for each event. */
interface WrittenRow {
  global_position: string;
  transaction_id: string;
  stream_version: number;
  event_id: string;
}

export interface EventRow {
  global_position: string;
  transaction_id: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  correlation_id: string;
  causation_id: string;
  /** ISO 8601 in UTC with milliseconds, formatted by PostgreSQL (EVENT_COLUMNS). */
  occurred_at: string;
  trace_parent: string | null;
}

/**
 * The columns of a read. `occurred_at` comes as its ISO 8601 text, as an envelope carries it: pg's
 * parsing of a timestamptz into a Date, then back to a string, took more of a log read than the rest of
 * the row (2.5× the time per event measured on 1,000-event batches).
 */
export const EVENT_COLUMNS =
  'global_position, transaction_id::text AS transaction_id, event_id, stream_id, stream_version, type, schema_version, data, correlation_id, causation_id, ' +
  `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, trace_parent`;

export function rowToEvent(row: EventRow, upcasters: Upcasters): StoredEvent {
  const { schemaVersion, data } = upcasters.upcast(row.type, row.schema_version, row.data);
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    occurredAt: row.occurred_at,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    data,
    globalPosition: { transactionId: row.transaction_id, position: String(row.global_position) },
    ...(row.trace_parent ? { traceparent: row.trace_parent } : {}),
  };
}

/**
 * Event store on PostgreSQL, one per service schema. An append is a single INSERT … SELECT statement
 * (one round trip, atomic for any number of events): it reads the stream's current version from the
 * unique (stream_id, stream_version) index, refuses if it differs from the expected one, and relies on
 * that unique index to turn a concurrent race into a ConcurrencyError — never an overwrite or a gap.
 */
export class EventStore {
  private readonly table: string;
  private readonly appendSql: string;
  private readonly startSql: string;
  private readonly appendListeners = new Set<() => void>();
  /** Transactions that appended and have not ended yet: the append listeners hear of them at their commit. */
  private readonly appendedIn = new WeakSet<QueryRunner>();

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
    readonly upcasters: Upcasters = new Upcasters(),
  ) {
    this.table = `${ident(schema)}.events`;
    this.listenForCommits();
    // The writer's log transaction id is computed once (a volatile CTE is evaluated once) and stored
    // explicitly: event_log_xid() (the column's default) written out, as a call to the SQL function costs
    // a function-executor round per append. `last` is the stream's newest event, read backwards on the unique (stream_id,
    // stream_version) index.
    //
    // A stream's versions must sort in the global order (transaction id, position) as they do in the
    // stream. PostgreSQL hands out a transaction id at a transaction's first write, not at commit, so a
    // transaction that wrote something else first (a consumer's inbox row) holds an id older than that of
    // a transaction that appended the stream's previous version and committed meanwhile. Such a late
    // writer is refused (no row inserted → ConcurrencyError, which command handlers and consumers retry in
    // a new transaction, with a new id) rather than let the feed show version n+1 before version n.
    // We refuse instead of ordering the feed by commit: a commit-ordered position needs one lock held
    // through every commit's WAL flush, which would serialise all appends of a service (no group commit),
    // while this costs one heap fetch per append and almost never fires — only when the late writer
    // appends to the very stream another transaction changed between its first write and its append.
    // A transaction whose first write is this append takes its id after its snapshot, hence after the
    // previous version committed: it is never refused.
    this.appendSql = `
      WITH me AS (SELECT ${logXidSql('pg_current_xact_id()', 'c.xid_shift')} AS xid FROM ${ident(schema)}.event_log_clock c),
      last AS (
        SELECT stream_version, transaction_id, event_id FROM ${this.table} WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1
      ),
      current AS (
        SELECT coalesce((SELECT stream_version FROM last), 0) AS version, (SELECT transaction_id FROM last) AS last_xid, (SELECT event_id FROM last) AS last_event_id
      )
      INSERT INTO ${this.table}
        (transaction_id, event_id, stream_id, stream_version, type, schema_version, data, correlation_id, causation_id, occurred_at, trace_parent)
      SELECT me.xid, (e.doc->>'eventId')::uuid, $1, current.version + e.ord, e.doc->>'type', (e.doc->>'schemaVersion')::int,
             e.doc->'data', $3, $4, (e.doc->>'occurredAt')::timestamptz, $6
      FROM me, current, jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(doc, ord)
      WHERE ($5::int IS NULL OR current.version = $5::int) AND (current.last_xid IS NULL OR current.last_xid <= me.xid)
        AND ($7::uuid IS NULL OR current.last_event_id IS NOT DISTINCT FROM $7::uuid)
      ORDER BY e.ord
      RETURNING global_position, transaction_id::text AS transaction_id, stream_version, event_id`;
    // New streams (startStreams): versions 1… given, so the unique (stream_id, stream_version) index alone
    // refuses a stream that exists; with no earlier version there is no writer order to check.
    this.startSql = `
      WITH me AS (SELECT ${logXidSql('pg_current_xact_id()', 'c.xid_shift')} AS xid FROM ${ident(schema)}.event_log_clock c)
      INSERT INTO ${this.table}
        (transaction_id, event_id, stream_id, stream_version, type, schema_version, data, correlation_id, causation_id, occurred_at, trace_parent)
      SELECT me.xid, (e.doc->>'eventId')::uuid, e.doc->>'streamId', (e.doc->>'version')::int, e.doc->>'type', (e.doc->>'schemaVersion')::int,
             e.doc->'data', $2, $3, (e.doc->>'occurredAt')::timestamptz, $4
      FROM me, jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(doc, ord)
      ORDER BY e.ord
      RETURNING global_position, transaction_id::text AS transaction_id, stream_version, event_id`;
  }

  /**
   * Called once events appended in this process are committed — after the append itself, or after the
   * commit of the transaction it was made in — so local readers of the log (the outbox relay, embedded
   * consumers) poll when there is something to read instead of waiting for their next interval.
   */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Tells the append listeners about a transaction that appended, at its (outermost) commit; a rollback tells nobody. */
  private listenForCommits(): void {
    this.dataSource.subscribers.push({
      afterTransactionCommit: ({ queryRunner }) => {
        if (queryRunner.isTransactionActive || !this.appendedIn.has(queryRunner)) return; // a savepoint released, or no append
        this.appendedIn.delete(queryRunner);
        this.appendListeners.forEach((listener) => listener());
      },
      afterTransactionRollback: ({ queryRunner }) => {
        if (!queryRunner.isTransactionActive) this.appendedIn.delete(queryRunner);
      },
    });
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) {
      const version = await this.streamVersion(streamId, options.manager);
      return { nextExpectedVersion: version, events: [] };
    }
    const docs = this.docsOf(streamId, events, options.metadata, new Date());
    const expected = options.expectedVersion === 'any' ? null : options.expectedVersion;
    const traceparent = currentTraceparent();
    const expectedLast = expected === null ? null : (options.expectedLastEventId ?? null);
    const params = [streamId, JSON.stringify(docs), options.metadata.correlationId, options.metadata.causationId, expected, traceparent ?? null, expectedLast];
    let rows: WrittenRow[];
    try {
      rows = await queryRows<WrittenRow>(this.dataSource, options.manager, this.appendSql, params);
    } catch (error) {
      if (isUniqueViolation(error, 'events_stream_version_key')) {
        throw new ConcurrencyError(streamId, expected ?? undefined);
      }
      throw error;
    }
    if (rows.length === 0) {
      const actual = await this.streamVersion(streamId, options.manager).catch(() => undefined);
      if (expectedLast !== null && actual === expected && !(await this.hasEventAt(streamId, actual, expectedLast, options.manager))) {
        throw new ConcurrencyError(streamId, expected ?? undefined, actual, `its event at version ${actual} is not ${expectedLast}: the stream was written again below the caller's view of it`);
      }
      const late = actual !== undefined && (expected === null || actual === expected);
      throw new ConcurrencyError(
        streamId,
        expected ?? undefined,
        actual,
        late ? 'a younger transaction appended to it after this one began writing; retry in a new transaction' : undefined,
        late,
      );
    }
    const stored = this.written(docs.map((doc) => ({ ...doc, streamId })), rows, options, traceparent);
    return { nextExpectedVersion: rows[rows.length - 1].stream_version, events: stored };
  }

  /**
   * Starts several streams in ONE statement (one round trip), as a planner offering five new lots does:
   * each stream must not exist yet (an append with expected version 0 each), and they land all or none —
   * one that exists already (or is being started by a transaction still running, which is waited for)
   * refuses the whole call with a ConcurrencyError naming it. The events go to the log in the order given.
   */
  async startStreams(streams: readonly { streamId: string; events: readonly NewEvent[] }[], options: Pick<AppendOptions, 'metadata' | 'manager'>): Promise<AppendResult[]> {
    if (streams.length === 0) return [];
    const ids = new Set<string>();
    for (const { streamId, events } of streams) {
      if (ids.has(streamId)) throw new Error(`EventStore.startStreams: stream ${streamId} is named twice`);
      if (events.length === 0) throw new Error(`EventStore.startStreams: stream ${streamId} has no events to start with`);
      ids.add(streamId);
    }
    const now = new Date();
    const docs = streams.flatMap(({ streamId, events }) => this.docsOf(streamId, events, options.metadata, now).map((doc, i) => ({ ...doc, streamId, version: i + 1 })));
    const traceparent = currentTraceparent();
    const params = [JSON.stringify(docs), options.metadata.correlationId, options.metadata.causationId, traceparent ?? null];
    let rows: WrittenRow[];
    try {
      rows = await queryRows<WrittenRow>(this.dataSource, options.manager, this.startSql, params);
    } catch (error) {
      if (isUniqueViolation(error, 'events_stream_version_key')) {
        // "Key (stream_id, stream_version)=(<id>, 1) already exists." (the id may hold commas: the last one ends it)
        const named = /^Key \(stream_id, stream_version\)=\((.*), \d+\) already exists\.$/.exec(pgErrorOf(error).detail ?? '')?.[1];
        throw new ConcurrencyError(named !== undefined && ids.has(named) ? named : streams[0].streamId, 0, undefined, 'it exists already');
      }
      throw error;
    }
    const stored = this.written(docs, rows, options, traceparent);
    let next = 0;
    return streams.map(({ events }) => {
      const mine = stored.slice(next, (next += events.length));
      return { nextExpectedVersion: mine.length, events: mine };
    });
  }

  /** The rows to write for `events` of `streamId`, each checked against its contract and the size limit. */
  private docsOf(streamId: string, events: readonly NewEvent[], metadata: EventMetadata, now: Date) {
    return events.map((e) => {
      assertContract(e.type, e.data);
      assertEventSize(e, streamId, metadata);
      return {
        eventId: e.eventId ?? randomUUID(),
        type: e.type,
        schemaVersion: this.upcasters.currentVersion(e.type),
        data: e.data,
        occurredAt: (e.occurredAt ?? now).toISOString(),
      };
    });
  }

  /** What an append wrote, as stored events; tells the local readers (now, or at the caller's commit). */
  private written(
    docs: readonly (ReturnType<EventStore['docsOf']>[number] & { streamId: string })[],
    rows: readonly WrittenRow[],
    options: Pick<AppendOptions, 'metadata' | 'manager'>,
    traceparent: string | undefined,
  ): StoredEvent[] {
    // Checked before the write and now written as checked: the embedded transport need not check them again.
    for (const doc of docs) if (isIntegrationEvent(doc.type)) rememberCheckedAtAppend(doc.eventId);
    const stored: StoredEvent[] = rows.map((row, i) => ({
      eventId: row.event_id,
      type: docs[i].type,
      schemaVersion: docs[i].schemaVersion,
      streamId: docs[i].streamId,
      streamVersion: row.stream_version,
      occurredAt: docs[i].occurredAt,
      correlationId: options.metadata.correlationId,
      causationId: options.metadata.causationId,
      data: docs[i].data as Record<string, unknown>,
      globalPosition: { transactionId: row.transaction_id, position: String(row.global_position) },
      ...(traceparent ? { traceparent } : {}),
    }));
    const transaction = options.manager?.queryRunner;
    if (transaction?.isTransactionActive) this.appendedIn.add(transaction);
    else this.appendListeners.forEach((listener) => listener());
    return stored;
  }

  async readStream(streamId: string, options: { manager?: EntityManager; afterVersion?: number } = {}): Promise<StoredEvent[]> {
    const runner = options.manager ?? this.dataSource;
    const rows: EventRow[] = await runner.query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
      [streamId, options.afterVersion ?? 0],
    );
    return rows.map((row) => rowToEvent(row, this.upcasters));
  }

  private async hasEventAt(streamId: string, version: number, eventId: string, manager?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await (manager ?? this.dataSource).query(`SELECT 1 FROM ${this.table} WHERE stream_id = $1 AND stream_version = $2 AND event_id = $3`, [
      streamId,
      version,
      eventId,
    ]);
    return rows.length > 0;
  }

  async streamVersion(streamId: string, manager?: EntityManager): Promise<number> {
    const rows: { version: number }[] = await (manager ?? this.dataSource).query(
      `SELECT coalesce(max(stream_version), 0)::int AS version FROM ${this.table} WHERE stream_id = $1`,
      [streamId],
    );
    return rows[0].version;
  }
}
