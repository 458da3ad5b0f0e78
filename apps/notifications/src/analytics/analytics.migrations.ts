import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

/**
 * The read models of the analytics (utilisation, on-time rate, lead times, defect rates, money flows),
 * written from the five producers' integration events in the consumer's inbox transaction. Rows are keyed
 * by what they describe, so the order in which the producers' topics arrive does not matter: figures that
 * need two of them (a lot's hours = its quantity × its step's work content × its workshop's efficiency)
 * are joined when read.
 */
export function analyticsMigration(schema: string): new () => MigrationInterface {
  const s = ident(schema);
  return class AnalyticsTables1766000000000 implements MigrationInterface {
    name = 'AnalyticsTables1766000000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`CREATE TABLE ${s}.analytics_workshops (workshop_id text PRIMARY KEY, name text, region text)`);
      await runner.query(`
        CREATE TABLE ${s}.analytics_capabilities (
          workshop_id text NOT NULL, process text NOT NULL, efficiency numeric NOT NULL, PRIMARY KEY (workshop_id, process))`);
      // Hours a workshop shares for a process per day (a declaration without an end counts for 180 days).
      await runner.query(`
        CREATE TABLE ${s}.analytics_capacity_days (
          workshop_id text NOT NULL, process text NOT NULL, day date NOT NULL, hours numeric NOT NULL,
          PRIMARY KEY (workshop_id, process, day))`);
      await runner.query(`
        CREATE TABLE ${s}.analytics_orders (
          order_id     text PRIMARY KEY,
          brand_id     text NOT NULL,
          submitted_at timestamptz,
          due_date     timestamptz,
          status       text NOT NULL DEFAULT 'submitted',
          closed_at    timestamptz,
          at_risk      text
        )`);
      await runner.query(`CREATE INDEX analytics_orders_brand_idx ON ${s}.analytics_orders (brand_id)`);
      await runner.query(`
        CREATE TABLE ${s}.analytics_order_steps (
          order_id text NOT NULL, step_id text NOT NULL, process text NOT NULL, work_content_hours_per_unit numeric NOT NULL,
          PRIMARY KEY (order_id, step_id))`);
      await runner.query(`
        CREATE TABLE ${s}.analytics_lots (
          subtask_id    text PRIMARY KEY,
          order_id      text NOT NULL,
          brand_id      text NOT NULL,
          workshop_id   text NOT NULL,
          step_id       text NOT NULL,
          process       text NOT NULL,
          quantity      int NOT NULL,
          planned_start timestamptz,
          planned_end   timestamptz,
          status        text NOT NULL
        )`);
      await runner.query(`CREATE INDEX analytics_lots_workshop_idx ON ${s}.analytics_lots (workshop_id)`);
      await runner.query(`CREATE INDEX analytics_lots_brand_idx ON ${s}.analytics_lots (brand_id)`);
      // The latest outcome of each inspection lot (a dispute's re-inspection replaces the first).
      await runner.query(`
        CREATE TABLE ${s}.analytics_inspections (
          inspection_lot_id text PRIMARY KEY,
          subtask_id   text NOT NULL,
          brand_id     text NOT NULL,
          workshop_id  text NOT NULL,
          process      text NOT NULL,
          outcome      text NOT NULL,
          sampled      int NOT NULL,
          defects      int NOT NULL,
          inspected_at timestamptz NOT NULL
        )`);
      // Money moved, one row per flow of an event: deposited, escrowed, refunded, released, platform_fee, penalty, paid_to_workshop.
      await runner.query(`
        CREATE TABLE ${s}.analytics_money (
          event_id     text NOT NULL,
          flow         text NOT NULL,
          brand_id     text,
          workshop_id  text,
          subtask_id   text,
          amount_minor bigint NOT NULL,
          currency     text NOT NULL,
          PRIMARY KEY (event_id, flow)
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      for (const table of ['money', 'inspections', 'lots', 'order_steps', 'orders', 'capacity_days', 'capabilities', 'workshops']) {
        await runner.query(`DROP TABLE ${s}.analytics_${table}`);
      }
    }
  };
}
