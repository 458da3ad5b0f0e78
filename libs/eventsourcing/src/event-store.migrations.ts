import type { MigrationInterface, QueryRunner } from 'typeorm';
import { logXidSql } from './event-log-clock.js';
import { ident } from './sql.js';

type MigrationClass = new () => MigrationInterface;

/**
 * The tables every service schema gets: its event store (which is also its outbox), subscription
 * checkpoints, the consumer inbox, dead letters, HTTP idempotency keys and snapshots of long streams.
 *
 * `events.transaction_id` records the writing transaction (xid8, shifted by the log clock, see below).
 * Readers of the global order sort by (transaction_id, global_position) and only read transactions
 * older than the oldest one of this database still running, so an event whose transaction commits late
 * is never skipped (sequence values alone would allow that); see event-log.ts.
 */
export function eventStoreMigrations(schema: string): MigrationClass[] {
  const s = ident(schema);
  class EventStore1764150000000 implements MigrationInterface {
    name = 'EventStore1764150000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.events (
          global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
          event_id        uuid        NOT NULL,
          stream_id       text        NOT NULL,
          stream_version  integer     NOT NULL CHECK (stream_version > 0),
          type            text        NOT NULL,
          schema_version  integer     NOT NULL DEFAULT 1,
          data            jsonb       NOT NULL,
          correlation_id  text        NOT NULL,
          causation_id    text        NOT NULL,
          occurred_at     timestamptz NOT NULL,
          CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
          CONSTRAINT events_event_id_key UNIQUE (event_id)
        )`);
      await q.query(`CREATE INDEX events_global_order_idx ON ${s}.events (transaction_id, global_position)`);
      await q.query(`
        CREATE TABLE ${s}.checkpoints (
          subscription_id text PRIMARY KEY,
          transaction_id  xid8        NOT NULL,
          position        bigint      NOT NULL,
          updated_at      timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`
        CREATE TABLE ${s}.inbox (
          consumer   text        NOT NULL,
          event_id   uuid        NOT NULL,
          handled_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, event_id)
        )`);
      await q.query(`
        CREATE TABLE ${s}.dead_letters (
          id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          consumer     text        NOT NULL,
          source       text        NOT NULL,
          event_id     text,
          type         text,
          payload      jsonb       NOT NULL,
          reason       text        NOT NULL,
          attempts     integer     NOT NULL,
          failed_at    timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`
        CREATE TABLE ${s}.idempotency_keys (
          scope         text        NOT NULL,
          key           text        NOT NULL,
          request_hash  text        NOT NULL,
          status        integer     NOT NULL,
          response      jsonb       NOT NULL,
          created_at    timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (scope, key)
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const t of ['idempotency_keys', 'dead_letters', 'inbox', 'checkpoints', 'events']) {
        await q.query(`DROP TABLE IF EXISTS ${s}.${t}`);
      }
    }
  }
  /** Bearer tokens the registry revoked, as every other service learns of them from its events. */
  class RevokedTokens1764160000000 implements MigrationInterface {
    name = 'RevokedTokens1764160000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.revoked_tokens (
          token_id   text PRIMARY KEY,
          member_id  text        NOT NULL,
          revoked_at timestamptz NOT NULL DEFAULT now()
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE IF EXISTS ${s}.revoked_tokens`);
    }
  }
  /**
   * The event log's clock: `events.transaction_id` becomes the writer's xid8 plus `xid_shift`. The shift
   * is 0 until the schema is restored into a cluster whose transaction ids are lower than the saved ones
   * (pg_dump/restore into a fresh cluster); then `alignEventLogClock` raises it at start-up so that new
   * events sort after every saved event and saved checkpoints (see event-log-clock.ts). Existing rows
   * keep their values: with a shift of 0 the default computes exactly what it computed before.
   */
  class EventLogClock1765020000000 implements MigrationInterface {
    name = 'EventLogClock1765020000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.event_log_clock (
          singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
          xid_shift  bigint      NOT NULL DEFAULT 0 CHECK (xid_shift >= 0),
          shifted_at timestamptz
        )`);
      await q.query(`INSERT INTO ${s}.event_log_clock DEFAULT VALUES`);
      await q.query(`
        CREATE FUNCTION ${s}.event_log_xid() RETURNS xid8 LANGUAGE sql VOLATILE AS $$
          SELECT ${logXidSql('pg_current_xact_id()', 'xid_shift')} FROM ${s}.event_log_clock
        $$`);
      await q.query(`ALTER TABLE ${s}.events ALTER COLUMN transaction_id SET DEFAULT ${s}.event_log_xid()`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.events ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id()`);
      await q.query(`DROP FUNCTION IF EXISTS ${s}.event_log_xid()`);
      await q.query(`DROP TABLE IF EXISTS ${s}.event_log_clock`);
    }
  }
  /**
   * Dead letters that park their stream (dead-letters.ts): the stream a letter belongs to, its status
   * (`dead`: given up on, later events flow; `parked`: its stream waits for the operator; `held`: a later
   * event of a parked stream, waiting behind it; `replayed` / `discarded`: resolved, by whom and when),
   * and `published_at`, which makes the table the outbox of the dead-letter topic (a letter is recorded
   * once, in one statement, and published from here until the broker took it).
   */
  class DeadLetterParking1765110000000 implements MigrationInterface {
    name = 'DeadLetterParking1765110000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        ALTER TABLE ${s}.dead_letters
          ADD COLUMN stream_id    text,
          ADD COLUMN status       text NOT NULL DEFAULT 'dead' CHECK (status IN ('dead', 'parked', 'held', 'replayed', 'discarded')),
          ADD COLUMN published_at timestamptz,
          ADD COLUMN resolved_at  timestamptz,
          ADD COLUMN resolved_by  text,
          ADD COLUMN resolution   text`);
      // Letters recorded before this migration were published by the consumer that recorded them.
      await q.query(`UPDATE ${s}.dead_letters SET published_at = failed_at, stream_id = payload->>'streamId'`);
      await q.query(`CREATE INDEX dead_letters_waiting ON ${s}.dead_letters (consumer, stream_id, id) WHERE status IN ('parked', 'held')`);
      await q.query(`CREATE INDEX dead_letters_unpublished ON ${s}.dead_letters (id) WHERE published_at IS NULL AND status IN ('dead', 'parked')`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX IF EXISTS ${s}.dead_letters_unpublished`);
      await q.query(`DROP INDEX IF EXISTS ${s}.dead_letters_waiting`);
      for (const c of ['resolution', 'resolved_by', 'resolved_at', 'published_at', 'status', 'stream_id']) {
        await q.query(`ALTER TABLE ${s}.dead_letters DROP COLUMN IF EXISTS ${c}`);
      }
    }
  }
  /** Snapshots of long streams, one row per stream and state shape (snapshots.ts, CommandHandler's `snapshots`). */
  class Snapshots1765100000000 implements MigrationInterface {
    name = 'Snapshots1765100000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.snapshots (
          stream_id      text        NOT NULL,
          name           text        NOT NULL,
          stream_version integer     NOT NULL CHECK (stream_version > 0),
          state          jsonb       NOT NULL,
          taken_at       timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (stream_id, name)
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE IF EXISTS ${s}.snapshots`);
    }
  }
  /** Members the registry suspended, as every other service learns of them from its events: their tokens may only read. */
  class SuspendedMembers1766910000000 implements MigrationInterface {
    name = 'SuspendedMembers1766910000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.suspended_members (
          member_id    text PRIMARY KEY,
          suspended_at timestamptz NOT NULL DEFAULT now()
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE IF EXISTS ${s}.suspended_members`);
    }
  }
  /**
   * The inbox's claim of an event in one round trip instead of two or three (inbox.ts): wait for the
   * event's advisory lock, then say whether its stream is parked for the consumer, or the event handled.
   * A VOLATILE PL/pgSQL function reads each query with a new snapshot, so the checks after the lock see
   * what a delivery that held the lock before committed, exactly as separate statements would.
   */
  class InboxClaim1767000000000 implements MigrationInterface {
    name = 'InboxClaim1767000000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE FUNCTION ${s}.inbox_claim(lock_key text, consumer_name text, handled_event uuid, parked_stream text) RETURNS text
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtextextended(lock_key, 0));
          IF parked_stream IS NOT NULL AND EXISTS (
            SELECT 1 FROM ${s}.dead_letters d WHERE d.consumer = consumer_name AND d.stream_id = parked_stream AND d.status IN ('parked', 'held')
          ) THEN
            RETURN 'parked';
          END IF;
          IF EXISTS (SELECT 1 FROM ${s}.inbox i WHERE i.consumer = consumer_name AND i.event_id = handled_event) THEN
            RETURN 'handled';
          END IF;
          RETURN 'new';
        END
        $$`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP FUNCTION IF EXISTS ${s}.inbox_claim(text, text, uuid, text)`);
    }
  }
  /**
   * The rate limit budgets all instances of the service share (libs/runtime postgres-rate-limit-store.ts): a
   * GCRA bucket per key, `tat_ms` its theoretical arrival time in ms of the database clock.
   */
  class RateLimitBuckets1767100000000 implements MigrationInterface {
    name = 'RateLimitBuckets1767100000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.rate_limit_buckets (
          key     text PRIMARY KEY,
          tat_ms  double precision NOT NULL,
          at_ms   double precision NOT NULL,
          granted integer NOT NULL
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE IF EXISTS ${s}.rate_limit_buckets`);
    }
  }
  /** The W3C trace context of the span that appended each event (trace-propagation.ts); NULL with tracing off. */
  class EventTraceContext1767500000000 implements MigrationInterface {
    name = 'EventTraceContext1767500000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.events ADD COLUMN trace_parent text`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.events DROP COLUMN IF EXISTS trace_parent`);
    }
  }
  return [
    EventStore1764150000000,
    RevokedTokens1764160000000,
    EventLogClock1765020000000,
    Snapshots1765100000000,
    DeadLetterParking1765110000000,
    SuspendedMembers1766910000000,
    InboxClaim1767000000000,
    RateLimitBuckets1767100000000,
    EventTraceContext1767500000000,
  ];
}
