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
  /**
   * Issue 17: each lot has one assigned inspector (who alone sees and inspects it), and the inspection
   * service's own read model of the registry's inspectors (certifications, regions, ties), of workshops'
   * regions and of the inspector each brand named for its orders.
   */
  class InspectorAssignment1767000000000 implements MigrationInterface {
    name = 'InspectorAssignment1767000000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.inspection_lots ADD COLUMN assigned_inspector_id text, ADD COLUMN assigned_at timestamptz,
        ADD COLUMN assignment_due_at timestamptz, ADD COLUMN visible_to text[] NOT NULL DEFAULT '{}'`);
      await runner.query(`CREATE INDEX inspection_lots_assignee_idx ON ${s}.inspection_lots (assigned_inspector_id) WHERE assigned_inspector_id IS NOT NULL`);
      await runner.query(`CREATE INDEX inspection_lots_visible_idx ON ${s}.inspection_lots USING gin (visible_to)`);
      await runner.query(`CREATE INDEX inspection_lots_due_idx ON ${s}.inspection_lots (assignment_due_at) WHERE assignment_due_at IS NOT NULL`);
      await runner.query(`
        CREATE TABLE ${s}.inspectors (
          inspector_id text PRIMARY KEY,
          processes    text[] NOT NULL,
          regions      text[] NOT NULL,
          affiliations text[] NOT NULL,
          updated_at   timestamptz NOT NULL
        )`);
      await runner.query(`CREATE INDEX inspectors_processes_idx ON ${s}.inspectors USING gin (processes)`);
      await runner.query(`CREATE TABLE ${s}.workshop_regions (workshop_id text PRIMARY KEY, region text)`);
      await runner.query(`CREATE TABLE ${s}.brand_inspectors (brand_id text PRIMARY KEY, inspector_id text NOT NULL, named_at timestamptz NOT NULL, named_by text NOT NULL)`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.brand_inspectors, ${s}.workshop_regions, ${s}.inspectors`);
      await runner.query(`ALTER TABLE ${s}.inspection_lots DROP COLUMN assigned_inspector_id, DROP COLUMN assigned_at, DROP COLUMN assignment_due_at, DROP COLUMN visible_to`);
    }
  }
  /** Issue 17: disputes of results, and when a result becomes final. */
  class InspectionDisputes1767000000001 implements MigrationInterface {
    name = 'InspectionDisputes1767000000001';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.inspection_lots ADD COLUMN dispute_window_ends_at timestamptz, ADD COLUMN final boolean NOT NULL DEFAULT false,
        ADD COLUMN dispute jsonb`);
      // Results recorded before disputes existed are final.
      await runner.query(`UPDATE ${s}.inspection_lots SET final = true WHERE status IN ('passed', 'failed')`);
      await runner.query(`CREATE INDEX inspection_lots_window_idx ON ${s}.inspection_lots (dispute_window_ends_at) WHERE NOT final`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.inspection_lots DROP COLUMN dispute_window_ends_at, DROP COLUMN final, DROP COLUMN dispute`);
    }
  }
  /** Issue 17: evidence files (photos, reports) of results and disputes, content-hashed, in the service's own schema. */
  class EvidenceFiles1767000000002 implements MigrationInterface {
    name = 'EvidenceFiles1767000000002';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.evidence_files (
          file_id      text PRIMARY KEY,
          lot_id       text NOT NULL,
          sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
          size_bytes   int NOT NULL CHECK (size_bytes >= 0),
          content_type text NOT NULL,
          file_name    text NOT NULL,
          kind         text NOT NULL,
          uploaded_by  text NOT NULL,
          uploaded_at  timestamptz NOT NULL,
          content      bytea NOT NULL,
          UNIQUE (lot_id, sha256)
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.evidence_files`);
    }
  }
  /** A suspended inspector (the registry's MemberSuspended) is no candidate for any lot. */
  class InspectorSuspension1767200000000 implements MigrationInterface {
    name = 'InspectorSuspension1767200000000';
    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.inspectors ADD COLUMN suspended boolean NOT NULL DEFAULT false`);
    }
    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.inspectors DROP COLUMN suspended`);
    }
  }
  /**
   * Evidence bytes may live in an S3-compatible store (MESHFAB_INSPECTION_EVIDENCE_S3_*): the row keeps the
   * metadata and says where the bytes are; `content` is set exactly when they are in PostgreSQL.
   */
  class EvidenceObjectStorage1767300000000 implements MigrationInterface {
    name = 'EvidenceObjectStorage1767300000000';
    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        ALTER TABLE ${s}.evidence_files
          ALTER COLUMN content DROP NOT NULL,
          ADD COLUMN stored_in text NOT NULL DEFAULT 'postgres' CHECK (stored_in IN ('postgres', 's3')),
          ADD CONSTRAINT evidence_files_content_where_stored CHECK ((stored_in = 'postgres') = (content IS NOT NULL))`);
    }
    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DELETE FROM ${s}.evidence_files WHERE stored_in <> 'postgres'`);
      await runner.query(`ALTER TABLE ${s}.evidence_files DROP CONSTRAINT evidence_files_content_where_stored, DROP COLUMN stored_in, ALTER COLUMN content SET NOT NULL`);
    }
  }
  return [
    InspectionTables1764200000000,
    InspectorAssignment1767000000000,
    InspectionDisputes1767000000001,
    EvidenceFiles1767000000002,
    InspectorSuspension1767200000000,
    EvidenceObjectStorage1767300000000,
  ];
}
