import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

/** The registry's read models (the event store's tables come from the foundation). */
export function registryMigrations(schema: string): (new () => MigrationInterface)[] {
  const s = ident(schema);
  class RegistryTables1764200000000 implements MigrationInterface {
    name = 'RegistryTables1764200000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.members (
          member_id     text PRIMARY KEY,
          role          text NOT NULL CHECK (role IN ('brand', 'workshop')),
          name          text NOT NULL,
          contact_email text,
          registered_at timestamptz NOT NULL
        )`);
      await q.query(`
        CREATE TABLE ${s}.member_tokens (
          token_id    text PRIMARY KEY,
          member_id   text NOT NULL,
          issued_at   timestamptz NOT NULL,
          expires_at  timestamptz NOT NULL,
          revoked_at  timestamptz,
          revoked_why text
        )`);
      await q.query(`CREATE INDEX member_tokens_member_idx ON ${s}.member_tokens (member_id)`);
      await q.query(`
        CREATE TABLE ${s}.workshops (
          workshop_id      text PRIMARY KEY,
          name             text NOT NULL,
          location         jsonb NOT NULL,
          region           text,
          city             text,
          certifications   text[] NOT NULL DEFAULT '{}',
          capabilities     jsonb NOT NULL DEFAULT '[]',
          processes        text[] NOT NULL DEFAULT '{}',
          status           text NOT NULL DEFAULT 'active',
          suspended_reason text,
          registered_at    timestamptz NOT NULL,
          updated_at       timestamptz NOT NULL
        )`);
      await q.query(`CREATE INDEX workshops_processes_idx ON ${s}.workshops USING gin (processes)`);
      await q.query(`CREATE INDEX workshops_certifications_idx ON ${s}.workshops USING gin (certifications)`);
      await q.query(`CREATE INDEX workshops_region_idx ON ${s}.workshops (lower(region))`);
      await q.query(`
        CREATE TABLE ${s}.capacity_rules (
          workshop_id    text NOT NULL,
          stream_version integer NOT NULL,
          process        text NOT NULL,
          kind           text NOT NULL CHECK (kind IN ('declared', 'withdrawn')),
          from_day       date NOT NULL,
          until_day      date,
          hours_per_day  numeric NOT NULL,
          exceptions     jsonb NOT NULL DEFAULT '{}',
          PRIMARY KEY (workshop_id, stream_version)
        )`);
      await q.query(`CREATE INDEX capacity_rules_process_idx ON ${s}.capacity_rules (process, from_day)`);
      await q.query(`
        CREATE TABLE ${s}.quality_records (
          workshop_id                text NOT NULL,
          process                    text NOT NULL,
          lots_inspected             integer NOT NULL,
          lots_passed                integer NOT NULL,
          lots_with_critical_defects integer NOT NULL,
          units_sampled              integer NOT NULL,
          defects                    jsonb NOT NULL,
          defect_rate                numeric NOT NULL,
          score                      numeric NOT NULL,
          updated_at                 timestamptz NOT NULL,
          PRIMARY KEY (workshop_id, process)
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const t of ['quality_records', 'capacity_rules', 'workshops', 'member_tokens', 'members']) await q.query(`DROP TABLE IF EXISTS ${s}.${t}`);
    }
  }
  /** Inspectors are members too: a third role, and their certifications. */
  class InspectorMembers1764900000000 implements MigrationInterface {
    name = 'InspectorMembers1764900000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.members DROP CONSTRAINT IF EXISTS members_role_check`);
      await q.query(`ALTER TABLE ${s}.members ADD CONSTRAINT members_role_check CHECK (role IN ('brand', 'workshop', 'inspector'))`);
      await q.query(`ALTER TABLE ${s}.members ADD COLUMN certifications text[]`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DELETE FROM ${s}.members WHERE role = 'inspector'`);
      await q.query(`ALTER TABLE ${s}.members DROP COLUMN certifications`);
      await q.query(`ALTER TABLE ${s}.members DROP CONSTRAINT IF EXISTS members_role_check`);
      await q.query(`ALTER TABLE ${s}.members ADD CONSTRAINT members_role_check CHECK (role IN ('brand', 'workshop'))`);
    }
  }
  /** Deliveries (from matching's completions) in the quality record. */
  class QualityDeliveries1765500000000 implements MigrationInterface {
    name = 'QualityDeliveries1765500000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.quality_records ADD COLUMN deliveries integer NOT NULL DEFAULT 0`);
      await q.query(`ALTER TABLE ${s}.quality_records ADD COLUMN on_time_deliveries integer NOT NULL DEFAULT 0`);
      await q.query(`ALTER TABLE ${s}.quality_records ADD COLUMN on_time_rate numeric NOT NULL DEFAULT 0`);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const c of ['on_time_rate', 'on_time_deliveries', 'deliveries']) await q.query(`ALTER TABLE ${s}.quality_records DROP COLUMN ${c}`);
    }
  }
  /** Operators are named members too (issue 17): a fourth role. */
  class OperatorMembers1766900000000 implements MigrationInterface {
    name = 'OperatorMembers1766900000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.members DROP CONSTRAINT IF EXISTS members_role_check`);
      await q.query(`ALTER TABLE ${s}.members ADD CONSTRAINT members_role_check CHECK (role IN ('brand', 'workshop', 'inspector', 'operator'))`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DELETE FROM ${s}.members WHERE role = 'operator'`);
      await q.query(`ALTER TABLE ${s}.members DROP CONSTRAINT IF EXISTS members_role_check`);
      await q.query(`ALTER TABLE ${s}.members ADD CONSTRAINT members_role_check CHECK (role IN ('brand', 'workshop', 'inspector'))`);
    }
  }
  /** Disputes of inspection results and results a re-inspection overturned, in the workshop's quality record (issue 17). */
  class QualityDisputes1767000000000 implements MigrationInterface {
    name = 'QualityDisputes1767000000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.quality_records ADD COLUMN disputes integer NOT NULL DEFAULT 0, ADD COLUMN overturned_results integer NOT NULL DEFAULT 0`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.quality_records DROP COLUMN disputes, DROP COLUMN overturned_results`);
    }
  }
  /** Brands and inspectors can be suspended too (workshops' suspension stays in `workshops.status`). */
  class MemberSuspension1767200000000 implements MigrationInterface {
    name = 'MemberSuspension1767200000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.members ADD COLUMN suspended_at timestamptz`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.members DROP COLUMN suspended_at`);
    }
  }
  /** Service credentials (role `service`): one host reading another's event feed once the bootstrap credential is off. */
  class ServiceCredentialMembers1767300000000 implements MigrationInterface {
    name = 'ServiceCredentialMembers1767300000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.members DROP CONSTRAINT IF EXISTS members_role_check`);
      await q.query(`ALTER TABLE ${s}.members ADD CONSTRAINT members_role_check CHECK (role IN ('brand', 'workshop', 'inspector', 'operator', 'service'))`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DELETE FROM ${s}.members WHERE role = 'service'`);
      await q.query(`ALTER TABLE ${s}.members DROP CONSTRAINT IF EXISTS members_role_check`);
      await q.query(`ALTER TABLE ${s}.members ADD CONSTRAINT members_role_check CHECK (role IN ('brand', 'workshop', 'inspector', 'operator'))`);
    }
  }
  return [
    RegistryTables1764200000000,
    InspectorMembers1764900000000,
    QualityDeliveries1765500000000,
    OperatorMembers1766900000000,
    QualityDisputes1767000000000,
    MemberSuspension1767200000000,
    ServiceCredentialMembers1767300000000,
  ];
}
