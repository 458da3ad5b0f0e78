import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

/** The inspection service's read models, in its own schema. */
export function inspectionMigrations(schema: string): (new () => MigrationInterface)[] {
  const s = ident(schema);
  class InspectionTables1764200000000 implements MigrationInterface {
    name = 'InspectionTables1764200000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.inspection_lots (
          lot_id         text PRIMARY KEY,
          subtask_id     text NOT NULL,
          order_id       text NOT NULL,
          brand_id       text NOT NULL,
          step_id        text NOT NULL,
          process        text NOT NULL,
          workshop_id    text NOT NULL,
          rework_round   int NOT NULL,
          lot_size       int NOT NULL,
          scrap_quantity int NOT NULL,
          sample_size    int NOT NULL,
          severity       text NOT NULL,
          plan           jsonb NOT NULL,
          status         text NOT NULL,
          completed_at   timestamptz NOT NULL,
          opened_at      timestamptz NOT NULL,
          inspected_at   timestamptz,
          inspector_id   text,
          disposition    text,
          result         jsonb
        )`);
      await runner.query(`CREATE INDEX inspection_lots_status_idx ON ${s}.inspection_lots (status, opened_at)`);
      await runner.query(`CREATE INDEX inspection_lots_workshop_idx ON ${s}.inspection_lots (workshop_id, opened_at)`);
      await runner.query(`CREATE INDEX inspection_lots_subtask_idx ON ${s}.inspection_lots (subtask_id, rework_round)`);
      await runner.query(`CREATE INDEX inspection_lots_order_idx ON ${s}.inspection_lots (order_id)`);
      await runner.query(`
        CREATE TABLE ${s}.workshop_severity (
          workshop_id     text NOT NULL,
          process         text NOT NULL,
          severity        text NOT NULL,
          switching_score int NOT NULL,
          lots_counted    int NOT NULL,
          last_reason     text,
          changed_at      timestamptz,
          updated_at      timestamptz NOT NULL,
          PRIMARY KEY (workshop_id, process)
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.workshop_severity`);
      await runner.query(`DROP TABLE ${s}.inspection_lots`);
    }
  }
  return [InspectionTables1764200000000];
}
