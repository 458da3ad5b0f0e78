import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';
import { analyticsMigration } from './analytics/analytics.migrations.js';

/** The notifications service's tables, in its own schema. */
export function notificationsMigrations(schema: string): (new () => MigrationInterface)[] {
  const s = ident(schema);
  class NotificationsTables1765000000000 implements MigrationInterface {
    name = 'NotificationsTables1765000000000';

    async up(runner: QueryRunner): Promise<void> {
      // A subtask's workshop and brand, from matching's subtask events: settlement's events do not name the workshop.
      await runner.query(`
        CREATE TABLE ${s}.known_lots (
          subtask_id  text PRIMARY KEY,
          workshop_id text NOT NULL,
          brand_id    text NOT NULL
        )`);
      // What each member was told, in the order its transactions committed (tx_id, seq): the SSE stream and
      // every webhook delivery read it. One row per (event, member).
      await runner.query(`
        CREATE TABLE ${s}.member_events (
          seq             bigserial PRIMARY KEY,
          tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
          message_id      text NOT NULL UNIQUE,
          source_event_id text NOT NULL,
          member_id       text NOT NULL,
          member_role     text NOT NULL,
          type            text NOT NULL,
          occurred_at     timestamptz NOT NULL,
          payload         jsonb NOT NULL,
          recorded_at     timestamptz NOT NULL DEFAULT now()
        )`);
      await runner.query(`CREATE INDEX member_events_member_idx ON ${s}.member_events (member_id, tx_id, seq)`);
      await runner.query(`
        CREATE TABLE ${s}.webhook_endpoints (
          id                    text PRIMARY KEY,
          member_id             text NOT NULL,
          member_role           text NOT NULL,
          url                   text NOT NULL,
          description           text,
          event_types           text[] NOT NULL,
          secret_sealed         text NOT NULL,
          previous_secret_sealed text,
          previous_secret_until timestamptz,
          status                text NOT NULL DEFAULT 'enabled',
          disabled_reason       text,
          disabled_at           timestamptz,
          consecutive_failures  int NOT NULL DEFAULT 0,
          failing_since         timestamptz,
          created_at            timestamptz NOT NULL,
          updated_at            timestamptz NOT NULL
        )`);
      await runner.query(`CREATE INDEX webhook_endpoints_member_idx ON ${s}.webhook_endpoints (member_id)`);
      // The outbox of webhooks: written in the inbox transaction of the event (or with the endpoint's
      // disabling), claimed by a dispatcher with a lease, retried with back-off until delivered or given up.
      await runner.query(`
        CREATE TABLE ${s}.webhook_deliveries (
          id               bigserial PRIMARY KEY,
          endpoint_id      text NOT NULL REFERENCES ${s}.webhook_endpoints (id) ON DELETE CASCADE,
          event_seq        bigint NOT NULL REFERENCES ${s}.member_events (seq),
          status           text NOT NULL DEFAULT 'pending',
          attempts         int NOT NULL DEFAULT 0,
          next_attempt_at  timestamptz,
          claimed_until    timestamptz,
          last_attempt_at  timestamptz,
          last_status_code int,
          last_error       text,
          delivered_at     timestamptz,
          created_at       timestamptz NOT NULL,
          UNIQUE (endpoint_id, event_seq)
        )`);
      await runner.query(`CREATE INDEX webhook_deliveries_due_idx ON ${s}.webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
      await runner.query(`CREATE INDEX webhook_deliveries_endpoint_idx ON ${s}.webhook_deliveries (endpoint_id, id)`);
      await runner.query(`
        CREATE TABLE ${s}.webhook_attempts (
          delivery_id bigint NOT NULL REFERENCES ${s}.webhook_deliveries (id) ON DELETE CASCADE,
          attempt     int NOT NULL,
          at          timestamptz NOT NULL,
          status_code int,
          error       text,
          duration_ms int NOT NULL,
          PRIMARY KEY (delivery_id, attempt)
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      for (const table of ['webhook_attempts', 'webhook_deliveries', 'webhook_endpoints', 'member_events', 'known_lots']) await runner.query(`DROP TABLE ${s}.${table}`);
    }
  }
  return [NotificationsTables1765000000000, analyticsMigration(schema)];
}
