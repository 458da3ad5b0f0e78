import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

/** The orders service's read model: one row per order with its full view as JSON. */
export function ordersMigrations(schema: string): (new () => MigrationInterface)[] {
  const s = ident(schema);
  class OrdersTables1764200000000 implements MigrationInterface {
    name = 'OrdersTables1764200000000';
    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.order_summary (
          order_id text PRIMARY KEY,
          brand_id text NOT NULL,
          status text NOT NULL,
          sku text NOT NULL,
          product_name text NOT NULL,
          quantity integer NOT NULL,
          due_date timestamptz NOT NULL,
          submitted_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          version integer NOT NULL,
          view jsonb NOT NULL
        )`);
      await runner.query(`CREATE INDEX order_summary_brand_idx ON ${s}.order_summary (brand_id, submitted_at DESC, order_id)`);
      await runner.query(`CREATE INDEX order_summary_status_idx ON ${s}.order_summary (status, submitted_at DESC)`);
    }
    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.order_summary`);
    }
  }
  /** Brands' display names from the registry (what a workshop may see of the brand). */
  class BrandDisplayNames1764900000000 implements MigrationInterface {
    name = 'BrandDisplayNames1764900000000';
    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`CREATE TABLE ${s}.brand_display_names (brand_id text PRIMARY KEY, display_name text NOT NULL)`);
    }
    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.brand_display_names`);
    }
  }
  return [OrdersTables1764200000000, BrandDisplayNames1764900000000];
}
