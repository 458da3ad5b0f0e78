import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

/**
 * Money in (issue 16): funding intents, every confirmed payment that reached the platform (a receipt),
 * bank statements and their lines, manual credits. The same money is never credited twice:
 * `payment_receipts (currency, source, transaction_id)` is UNIQUE, whatever the application does.
 * All amounts are BIGINT minor units.
 */
export function fundingMigration(schema: string): new () => MigrationInterface {
  const s = ident(schema);
  return class SettlementFunding1767000000000 implements MigrationInterface {
    name = 'SettlementFunding1767000000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.funding_intents (
          intent_id         text PRIMARY KEY,
          brand_id          text        NOT NULL,
          reference         text        NOT NULL UNIQUE,
          display_reference text        NOT NULL,
          amount_minor      bigint      NOT NULL CHECK (amount_minor > 0),
          currency          text        NOT NULL,
          received_minor    bigint      NOT NULL DEFAULT 0 CHECK (received_minor >= 0),
          payments          integer     NOT NULL DEFAULT 0,
          funded_at         timestamptz,
          created_at        timestamptz NOT NULL,
          expires_at        timestamptz NOT NULL
        )`);
      await q.query(`CREATE INDEX funding_intents_brand_idx ON ${s}.funding_intents (brand_id, created_at)`);
      await q.query(`
        CREATE TABLE ${s}.payment_receipts (
          receipt_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          source         text        NOT NULL,
          transaction_id text        NOT NULL,
          currency       text        NOT NULL,
          amount_minor   bigint      NOT NULL CHECK (amount_minor > 0),
          reference      text,
          intent_id      text,
          brand_id       text,
          status         text        NOT NULL CHECK (status IN ('credited', 'unmatched')),
          credited_minor bigint      NOT NULL DEFAULT 0 CHECK (credited_minor >= 0),
          excess_minor   bigint      NOT NULL DEFAULT 0 CHECK (excess_minor >= 0),
          late           boolean     NOT NULL DEFAULT false,
          statement_id   text,
          line_no        integer,
          note           text,
          received_at    timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT payment_receipts_credited_once UNIQUE (currency, source, transaction_id),
          CONSTRAINT payment_receipts_credit_matches CHECK ((status = 'credited') = (brand_id IS NOT NULL AND credited_minor = amount_minor))
        )`);
      await q.query(`CREATE INDEX payment_receipts_intent_idx ON ${s}.payment_receipts (intent_id)`);
      await q.query(`CREATE INDEX payment_receipts_unmatched_idx ON ${s}.payment_receipts (received_at) WHERE status = 'unmatched'`);
      await q.query(`
        CREATE TABLE ${s}.bank_statements (
          statement_id text PRIMARY KEY,
          content_hash text        NOT NULL UNIQUE,
          uploaded_by  text        NOT NULL,
          uploaded_at  timestamptz NOT NULL,
          line_count   integer     NOT NULL
        )`);
      await q.query(`
        CREATE TABLE ${s}.bank_statement_lines (
          statement_id        text    NOT NULL REFERENCES ${s}.bank_statements (statement_id),
          line_no             integer NOT NULL,
          booked_on           text    NOT NULL,
          amount_minor        bigint,
          currency            text    NOT NULL,
          reference           text    NOT NULL,
          bank_transaction_id text    NOT NULL,
          outcome             text    NOT NULL CHECK (outcome IN ('credited', 'duplicate', 'unmatched', 'invalid')),
          intent_id           text,
          note                text,
          PRIMARY KEY (statement_id, line_no)
        )`);
      await q.query(`
        CREATE TABLE ${s}.manual_credits (
          credit_id    text PRIMARY KEY,
          brand_id     text        NOT NULL,
          amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
          currency     text        NOT NULL,
          reason       text        NOT NULL,
          status       text        NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
          requested_by text        NOT NULL,
          requested_at timestamptz NOT NULL,
          decided_by   text,
          decided_at   timestamptz,
          CONSTRAINT manual_credits_four_eyes CHECK (decided_by IS NULL OR status = 'rejected' OR decided_by <> requested_by)
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const t of ['manual_credits', 'bank_statement_lines', 'bank_statements', 'payment_receipts', 'funding_intents']) await q.query(`DROP TABLE IF EXISTS ${s}.${t}`);
    }
  };
}
