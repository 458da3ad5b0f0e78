import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

/** Matching's read models and capacity book, in the service's own schema. */
export function matchingMigrations(schemaName: string): (new () => MigrationInterface)[] {
  const s = ident(schemaName);
  class MatchingTables1764200000000 implements MigrationInterface {
    name = 'MatchingTables1764200000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE ${s}.workshops (
        workshop_id text PRIMARY KEY, name text NOT NULL, lat double precision NOT NULL, lng double precision NOT NULL,
        region text, suspended boolean NOT NULL DEFAULT false)`);
      await q.query(`CREATE TABLE ${s}.capabilities (
        workshop_id text NOT NULL, process text NOT NULL, efficiency double precision NOT NULL, pricing text NOT NULL,
        price_minor bigint NOT NULL, currency text NOT NULL, parameters jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (workshop_id, process))`);
      await q.query(`CREATE INDEX capabilities_by_process ON ${s}.capabilities (process, workshop_id)`);
      await q.query(`CREATE TABLE ${s}.quality (
        workshop_id text NOT NULL, process text NOT NULL, score double precision NOT NULL,
        lots_inspected int NOT NULL, lots_passed int NOT NULL, PRIMARY KEY (workshop_id, process))`);
      // One row per workshop, process and day: the declared minutes and the minutes reserved. The
      // CHECK is the last line of defence; bookings use a conditional UPDATE that takes the row lock.
      await q.query(`CREATE TABLE ${s}.capacity_days (
        workshop_id text NOT NULL, process text NOT NULL, day date NOT NULL,
        capacity_min int NOT NULL, reserved_min int NOT NULL DEFAULT 0,
        PRIMARY KEY (workshop_id, process, day),
        CONSTRAINT capacity_never_overbooked CHECK (reserved_min >= 0 AND reserved_min <= capacity_min))`);
      await q.query(`CREATE INDEX capacity_days_free_by_process ON ${s}.capacity_days (process, day) WHERE capacity_min > reserved_min`);
      await q.query(`CREATE TABLE ${s}.reservations (
        subtask_id text NOT NULL, workshop_id text NOT NULL, process text NOT NULL, day date NOT NULL, minutes int NOT NULL CHECK (minutes > 0),
        status text NOT NULL CHECK (status IN ('tentative', 'firm', 'released')),
        PRIMARY KEY (subtask_id, day))`);
      await q.query(`CREATE INDEX reservations_by_day ON ${s}.reservations (workshop_id, process, day) WHERE status <> 'released'`);
      await q.query(`CREATE TABLE ${s}.order_plans (
        order_id text PRIMARY KEY, brand_id text NOT NULL, status text NOT NULL, reason text,
        order_data jsonb NOT NULL, completion_day date, mode text, updated_at timestamptz NOT NULL DEFAULT now())`);
      await q.query(`CREATE INDEX order_plans_waiting ON ${s}.order_plans (updated_at) WHERE status = 'failed'`);
      await q.query(`CREATE TABLE ${s}.subtasks (
        subtask_id text PRIMARY KEY, order_id text NOT NULL, brand_id text NOT NULL, step_id text NOT NULL, process text NOT NULL,
        workshop_id text NOT NULL, quantity int NOT NULL, price_minor bigint NOT NULL, currency text NOT NULL, status text NOT NULL,
        expires_at timestamptz NOT NULL, planned_start timestamptz NOT NULL, planned_end timestamptz NOT NULL,
        completions int NOT NULL DEFAULT 0, good_quantity int, scrap_quantity int, status_reason text,
        explanation jsonb, replaces text, updated_at timestamptz NOT NULL DEFAULT now())`);
      await q.query(`CREATE INDEX subtasks_by_workshop ON ${s}.subtasks (workshop_id, status)`);
      await q.query(`CREATE INDEX subtasks_by_order ON ${s}.subtasks (order_id, step_id)`);
      await q.query(`CREATE INDEX subtasks_expiring ON ${s}.subtasks (expires_at) WHERE status = 'offered'`);
      await q.query(`CREATE TABLE ${s}.released_steps (order_id text NOT NULL, step_id text NOT NULL, PRIMARY KEY (order_id, step_id))`);
      await q.query(`CREATE TABLE ${s}.pending_lots (
        id bigserial PRIMARY KEY, order_id text NOT NULL, step_id text NOT NULL, quantity int NOT NULL,
        excluded text[] NOT NULL, replaces text NOT NULL, reason text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const t of ['pending_lots', 'released_steps', 'subtasks', 'order_plans', 'reservations', 'capacity_days', 'quality', 'capabilities', 'workshops']) {
        await q.query(`DROP TABLE IF EXISTS ${s}.${t}`);
      }
    }
  }
  return [MatchingTables1764200000000];
}
