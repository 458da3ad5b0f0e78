import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

/** The region cell of a point in SQL (same as regionCell): 1° of latitude × 1° of longitude. */
export const REGION_CELL_SQL = (lat: string, lng: string): string =>
  `(least(179, greatest(0, floor(${lat})::int + 90)) * 360 + ((floor(${lng})::int + 180) % 360 + 360) % 360)`;

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
  /**
   * The candidate index: each capability carries its workshop's location and region (a 1° × 1°
   * latitude/longitude cell, see regionCell), its quality score and its cost per unit of reference work
   * (per-unit price, or hourly price × efficiency), so the planner reads the cheapest capable workshops
   * of a process near a place, and the cheapest anywhere, as short index-only range scans instead of
   * reading every workshop of the process.
   */
  class MatchingCandidateIndex1764300000000 implements MigrationInterface {
    name = 'MatchingCandidateIndex1764300000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.capabilities ADD COLUMN region_cell int NOT NULL DEFAULT 0, ADD COLUMN unit_cost double precision NOT NULL DEFAULT 0,
        ADD COLUMN suspended boolean NOT NULL DEFAULT false, ADD COLUMN lat double precision NOT NULL DEFAULT 0, ADD COLUMN lng double precision NOT NULL DEFAULT 0,
        ADD COLUMN quality double precision`);
      await q.query(`UPDATE ${s}.capabilities c SET region_cell = ${REGION_CELL_SQL('w.lat', 'w.lng')}, suspended = w.suspended, lat = w.lat, lng = w.lng,
        unit_cost = CASE c.pricing WHEN 'per_hour' THEN c.price_minor * c.efficiency ELSE c.price_minor END
        FROM ${s}.workshops w WHERE w.workshop_id = c.workshop_id`);
      await q.query(`UPDATE ${s}.capabilities c SET quality = q.score FROM ${s}.quality q WHERE q.workshop_id = c.workshop_id AND q.process = c.process`);
      await q.query(`DROP INDEX ${s}.capabilities_by_process`);
      // Only active workshops are candidates: the indexes leave suspended ones out, and carry what the
      // planner needs of each candidate, so reading the shortlist never touches the table.
      const carried = 'INCLUDE (efficiency, price_minor, currency, lat, lng, quality)';
      await q.query(`CREATE INDEX capabilities_by_process_cost ON ${s}.capabilities (process, pricing, unit_cost, workshop_id) ${carried} WHERE NOT suspended`);
      await q.query(`CREATE INDEX capabilities_by_process_region_cost ON ${s}.capabilities (process, region_cell, pricing, unit_cost, workshop_id) ${carried} WHERE NOT suspended`);
      // Capacity is read per workshop and process (primary key); the index by process and day is unused.
      await q.query(`DROP INDEX ${s}.capacity_days_free_by_process`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX ${s}.capabilities_by_process_region_cost`);
      await q.query(`DROP INDEX ${s}.capabilities_by_process_cost`);
      await q.query(`CREATE INDEX capabilities_by_process ON ${s}.capabilities (process, workshop_id)`);
      await q.query(`CREATE INDEX capacity_days_free_by_process ON ${s}.capacity_days (process, day) WHERE capacity_min > reserved_min`);
      await q.query(`ALTER TABLE ${s}.capabilities DROP COLUMN region_cell, DROP COLUMN unit_cost, DROP COLUMN suspended, DROP COLUMN lat, DROP COLUMN lng, DROP COLUMN quality`);
    }
  }
  /** Lots released one by one (orders' per-lot hand-off, `LotReleased`), and progress reports. */
  class MatchingLotProgress1764400000000 implements MigrationInterface {
    name = 'MatchingLotProgress1764400000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE ${s}.released_lots (subtask_id text PRIMARY KEY, order_id text NOT NULL, step_id text NOT NULL)`);
      await q.query(`ALTER TABLE ${s}.subtasks ADD COLUMN done_quantity int, ADD COLUMN progress_at timestamptz, ADD COLUMN at_risk text`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.subtasks DROP COLUMN done_quantity, DROP COLUMN progress_at, DROP COLUMN at_risk`);
      await q.query(`DROP TABLE ${s}.released_lots`);
    }
  }
  /** Lots whose price settlement holds in escrow (`EscrowFunded`): only these may start. */
  class MatchingFundedLots1764500000000 implements MigrationInterface {
    name = 'MatchingFundedLots1764500000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE ${s}.funded_lots (subtask_id text PRIMARY KEY, order_id text NOT NULL)`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE ${s}.funded_lots`);
    }
  }
  /**
   * Quotes (issue 19): the `quotes` read model of the quote streams. A quote's hold books capacity as
   * reservations under `quote-hold-<quoteId>` (counted in capacity_days like any reservation).
   */
  class MatchingQuotes1764600000000 implements MigrationInterface {
    name = 'MatchingQuotes1764600000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE ${s}.quotes (
        quote_id text PRIMARY KEY, brand_id text NOT NULL, status text NOT NULL, issued_at timestamptz NOT NULL, valid_until timestamptz NOT NULL,
        hold_option text, hold_until timestamptz, order_id text, requote_id text, reason text, quote jsonb NOT NULL)`);
      await q.query(`CREATE INDEX quotes_by_brand ON ${s}.quotes (brand_id, issued_at DESC)`);
      await q.query(`CREATE INDEX quotes_holding ON ${s}.quotes (hold_until) WHERE hold_until IS NOT NULL`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE ${s}.quotes`);
    }
  }
  return [MatchingTables1764200000000, MatchingCandidateIndex1764300000000, MatchingLotProgress1764400000000, MatchingFundedLots1764500000000, MatchingQuotes1764600000000];
}
