import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ident } from '#libs/eventsourcing';

type MigrationClass = new () => MigrationInterface;

/**
 * The ledger (accounts, transfers, entries) and settlement's own bookkeeping (orders, lots, payouts).
 * The ledger is a plain double-entry store; the facts it records are also appended as events in the
 * same transaction. Invariants kept by the database itself:
 * - an account never goes below its floor (CHECK), whatever the application does;
 * - the legs of a transfer (its ledger lines, the view `entries`) sum to zero, move something and name
 *   existing accounts of its currency (checked by ledger_post, and for any other writer by a deferred
 *   constraint trigger at commit; see SettlementLedgerLegsOnTransfers);
 * - transfers, and with them their legs, are append-only (trigger refuses UPDATE/DELETE).
 */
export function settlementMigrations(schema: string): MigrationClass[] {
  const s = ident(schema);
  class SettlementLedger1764200000000 implements MigrationInterface {
    name = 'SettlementLedger1764200000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.accounts (
          id          text PRIMARY KEY,
          purpose     text        NOT NULL,
          member_id   text,
          order_id    text,
          currency    text        NOT NULL,
          min_balance bigint,
          balance     bigint      NOT NULL DEFAULT 0,
          created_at  timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT accounts_floor CHECK (min_balance IS NULL OR balance >= min_balance)
        )`);
      await q.query(`CREATE INDEX accounts_member_idx ON ${s}.accounts (member_id)`);
      await q.query(`CREATE INDEX accounts_order_idx ON ${s}.accounts (order_id)`);
      await q.query(`
        CREATE TABLE ${s}.transfers (
          id           text PRIMARY KEY,
          kind         text        NOT NULL,
          currency     text        NOT NULL,
          order_id     text,
          subtask_id   text,
          memo         text,
          content_hash text        NOT NULL,
          created_at   timestamptz NOT NULL DEFAULT now(),
          seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE
        )`);
      await q.query(`CREATE INDEX transfers_order_idx ON ${s}.transfers (order_id)`);
      await q.query(`
        CREATE TABLE ${s}.entries (
          id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          transfer_id text   NOT NULL REFERENCES ${s}.transfers (id),
          account_id  text   NOT NULL REFERENCES ${s}.accounts (id),
          amount      bigint NOT NULL CHECK (amount <> 0),
          currency    text   NOT NULL,
          UNIQUE (transfer_id, account_id)
        )`);
      await q.query(`CREATE INDEX entries_account_idx ON ${s}.entries (account_id, id)`);
      await q.query(`
        CREATE FUNCTION ${s}.assert_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF (SELECT sum(amount) FROM ${s}.entries WHERE transfer_id = NEW.transfer_id) <> 0 THEN
            RAISE EXCEPTION 'transfer % does not balance', NEW.transfer_id USING ERRCODE = '23514';
          END IF;
          RETURN NULL;
        END $fn$`);
      await q.query(`
        CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON ${s}.entries
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${s}.assert_transfer_balanced()`);
      await q.query(`
        CREATE FUNCTION ${s}.refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END $fn$`);
      for (const table of ['entries', 'transfers']) {
        await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${s}.${table} FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_ledger_change()`);
      }
      await q.query(`
        CREATE TABLE ${s}.orders (
          order_id   text PRIMARY KEY,
          brand_id   text        NOT NULL,
          currency   text,
          status     text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled', 'failed')),
          closed_at  timestamptz,
          created_at timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`
        CREATE TABLE ${s}.lots (
          subtask_id      text PRIMARY KEY,
          order_id        text        NOT NULL,
          brand_id        text        NOT NULL,
          workshop_id     text        NOT NULL,
          step_id         text        NOT NULL,
          status          text        NOT NULL CHECK (status IN ('awaiting_acceptance', 'awaiting_funds', 'escrowed', 'paid', 'refunded', 'cancelled')),
          price_minor     bigint CHECK (price_minor >= 0),
          currency        text,
          accepted_at     timestamptz,
          planned_end     timestamptz,
          due_at          timestamptz,
          completed_at    timestamptz,
          passed_at       timestamptz,
          passed_quantity integer,
          failures        integer     NOT NULL DEFAULT 0,
          last_failure    text,
          fundings        integer     NOT NULL DEFAULT 0,
          fee_minor       bigint,
          penalty_minor   bigint,
          net_minor       bigint,
          days_late       integer,
          paid_at         timestamptz,
          updated_at      timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`CREATE INDEX lots_order_idx ON ${s}.lots (order_id)`);
      await q.query(`CREATE INDEX lots_awaiting_funds_idx ON ${s}.lots (brand_id, currency, accepted_at, subtask_id) WHERE status = 'awaiting_funds'`);
      await q.query(`
        CREATE TABLE ${s}.payouts (
          payout_id      text PRIMARY KEY,
          workshop_id    text        NOT NULL,
          amount_minor   bigint      NOT NULL CHECK (amount_minor > 0),
          currency       text        NOT NULL,
          status         text        NOT NULL CHECK (status IN ('pending', 'paid')),
          requested_at   timestamptz NOT NULL,
          paid_at        timestamptz,
          bank_reference text
        )`);
      await q.query(`CREATE INDEX payouts_workshop_idx ON ${s}.payouts (workshop_id, requested_at)`);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const t of ['payouts', 'lots', 'orders', 'entries', 'transfers', 'accounts']) await q.query(`DROP TABLE IF EXISTS ${s}.${t} CASCADE`);
      await q.query(`DROP FUNCTION IF EXISTS ${s}.assert_transfer_balanced()`);
      await q.query(`DROP FUNCTION IF EXISTS ${s}.refuse_ledger_change()`);
    }
  }
  /**
   * Money in (issue 16): funding intents, every confirmed payment that reached the platform (a receipt),
   * bank statements and their lines, manual credits. The same money is never credited twice:
   * `payment_receipts (currency, source, transaction_id)` is UNIQUE, whatever the application does.
   * All amounts are BIGINT minor units.
   */
  class SettlementFunding1767000000000 implements MigrationInterface {
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
  }
  /**
   * Issue 16: every money column of the ledger is already BIGINT (accounts.balance/min_balance,
   * entries.amount, lots.price_minor/fee_minor/penalty_minor/net_minor, payouts.amount_minor). The
   * application caps keep balances far below 2^53; these constraints make the database itself refuse an
   * amount a JSON number could not carry exactly, whatever the code does. NOT VALID: rows written before
   * are not re-checked, so an account pushed out of range by the old code can still be corrected.
   */
  class SettlementSafeAmounts1767100000000 implements MigrationInterface {
    name = 'SettlementSafeAmounts1767100000000';
    async up(q: QueryRunner): Promise<void> {
      const safe = (...columns: string[]) => columns.map((c) => `${c} BETWEEN -9007199254740991 AND 9007199254740991`).join(' AND ');
      await q.query(`ALTER TABLE ${s}.accounts ADD CONSTRAINT accounts_balance_safe CHECK (${safe('balance')}) NOT VALID`);
      await q.query(`ALTER TABLE ${s}.entries ADD CONSTRAINT entries_amount_safe CHECK (${safe('amount')}) NOT VALID`);
      await q.query(`ALTER TABLE ${s}.lots ADD CONSTRAINT lots_amounts_safe CHECK (${safe('price_minor', 'fee_minor', 'penalty_minor', 'net_minor')}) NOT VALID`);
      await q.query(`ALTER TABLE ${s}.payouts ADD CONSTRAINT payouts_amount_safe CHECK (${safe('amount_minor')}) NOT VALID`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.accounts DROP CONSTRAINT IF EXISTS accounts_balance_safe`);
      await q.query(`ALTER TABLE ${s}.entries DROP CONSTRAINT IF EXISTS entries_amount_safe`);
      await q.query(`ALTER TABLE ${s}.lots DROP CONSTRAINT IF EXISTS lots_amounts_safe`);
      await q.query(`ALTER TABLE ${s}.payouts DROP CONSTRAINT IF EXISTS payouts_amount_safe`);
    }
  }
  /**
   * One write path (issue 16): lots, orders and payouts are read models of settlement's own streams
   * (settlement.projections.ts). Payouts go out through a provider or are reconciled against a bank
   * transaction: their confirmation is UNIQUE per (currency, source, transaction id), so one bank
   * transaction never confirms two payouts. (Which workshops the registry suspended is kept in the
   * event store's `suspended_members`, see event-store.migrations.ts: their payouts are held.)
   */
  class SettlementPayoutRail1767200000000 implements MigrationInterface {
    name = 'SettlementPayoutRail1767200000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.payouts DROP CONSTRAINT IF EXISTS payouts_status_check`);
      await q.query(`UPDATE ${s}.payouts SET status = 'requested' WHERE status = 'pending'`);
      await q.query(`ALTER TABLE ${s}.payouts ADD CONSTRAINT payouts_status_check CHECK (status IN ('requested', 'held', 'instructed', 'paid', 'failed'))`);
      for (const column of ['hold_reason text', 'provider text', 'instruction_id text', 'confirmation_source text', 'confirmation_txid text', 'confirmed_by text', 'failed_at timestamptz', 'failure_reason text']) {
        await q.query(`ALTER TABLE ${s}.payouts ADD COLUMN ${column}`);
      }
      await q.query(`ALTER TABLE ${s}.payouts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
      await q.query(`ALTER TABLE ${s}.payouts ADD CONSTRAINT payouts_confirmed_once UNIQUE (currency, confirmation_source, confirmation_txid)`);
      await q.query(`CREATE INDEX payouts_to_instruct_idx ON ${s}.payouts (requested_at) WHERE status IN ('requested', 'instructed')`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX IF EXISTS ${s}.payouts_to_instruct_idx`);
      await q.query(`ALTER TABLE ${s}.payouts DROP CONSTRAINT IF EXISTS payouts_confirmed_once`);
      for (const column of ['hold_reason', 'provider', 'instruction_id', 'confirmation_source', 'confirmation_txid', 'confirmed_by', 'failed_at', 'failure_reason', 'updated_at']) {
        await q.query(`ALTER TABLE ${s}.payouts DROP COLUMN IF EXISTS ${column}`);
      }
    }
  }
  /**
   * A posting in one round trip (issue 16, hot rows): the accounts a transfer touches are created if
   * new and locked in the global order (ascending id, COLLATE "C"), a repeated transfer id is answered
   * (`replayed`, or `conflict` for other content), floors and balance caps are checked on the locked
   * balances (`refused`, with the balances, for the application to name the violation), then the transfer,
   * its entries and the new balances are written. The same steps Ledger.post took in six statements.
   */
  class SettlementLedgerPost1767300000000 implements MigrationInterface {
    name = 'SettlementLedgerPost1767300000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE FUNCTION ${s}.ledger_post(
          p_id text, p_kind text, p_currency text, p_order text, p_subtask text, p_memo text, p_hash text,
          p_accounts text[], p_purposes text[], p_members text[], p_orders text[], p_floors bigint[], p_amounts bigint[], p_caps bigint[]
        ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
        DECLARE
          v_existing text;
          v_balances jsonb;
          v_refused boolean;
        BEGIN
          INSERT INTO ${s}.accounts (id, purpose, member_id, order_id, currency, min_balance)
            SELECT a.id, a.purpose, a.member_id, a.order_id, p_currency, a.min_balance
            FROM unnest(p_accounts, p_purposes, p_members, p_orders, p_floors) WITH ORDINALITY AS a(id, purpose, member_id, order_id, min_balance, n)
            ORDER BY a.n
          ON CONFLICT (id) DO NOTHING;
          SELECT jsonb_object_agg(locked.id, locked.balance::text) INTO v_balances
            FROM (SELECT id, balance FROM ${s}.accounts WHERE id = ANY(p_accounts) ORDER BY id COLLATE "C" FOR UPDATE) AS locked;
          SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
          IF FOUND THEN
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          SELECT coalesce(bool_or(
                   (l.floor IS NOT NULL AND l.amount < 0 AND a.balance + l.amount < l.floor)
                   OR (abs(a.balance + l.amount) > l.cap AND abs(a.balance + l.amount) > abs(a.balance))), false)
            INTO v_refused
            FROM unnest(p_accounts, p_amounts, p_floors, p_caps) AS l(id, amount, floor, cap) JOIN ${s}.accounts a ON a.id = l.id;
          IF v_refused THEN
            RETURN jsonb_build_object('outcome', 'refused', 'balances', v_balances);
          END IF;
          INSERT INTO ${s}.transfers (id, kind, currency, order_id, subtask_id, memo, content_hash)
            VALUES (p_id, p_kind, p_currency, p_order, p_subtask, p_memo, p_hash);
          INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency)
            SELECT p_id, l.id, l.amount, p_currency FROM unnest(p_accounts, p_amounts) AS l(id, amount);
          UPDATE ${s}.accounts a SET balance = a.balance + l.amount FROM unnest(p_accounts, p_amounts) AS l(id, amount) WHERE a.id = l.id;
          RETURN jsonb_build_object('outcome', 'posted');
        END $fn$`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP FUNCTION IF EXISTS ${s}.ledger_post(text, text, text, text, text, text, text, text[], text[], text[], text[], bigint[], bigint[], bigint[])`);
    }
  }
  /** Disputes (issue 17): a lot whose paid pass a dispute overturned is `clawed_back`. */
  class SettlementClawbacks1767400000000 implements MigrationInterface {
    name = 'SettlementClawbacks1767400000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.lots DROP CONSTRAINT IF EXISTS lots_status_check`);
      await q.query(`ALTER TABLE ${s}.lots ADD CONSTRAINT lots_status_check CHECK (status IN ('awaiting_acceptance', 'awaiting_funds', 'escrowed', 'paid', 'refunded', 'cancelled', 'clawed_back'))`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.lots DROP CONSTRAINT IF EXISTS lots_status_check`);
      await q.query(`ALTER TABLE ${s}.lots ADD CONSTRAINT lots_status_check CHECK (status IN ('awaiting_acceptance', 'awaiting_funds', 'escrowed', 'paid', 'refunded', 'cancelled'))`);
    }
  }
  /**
   * Releases at the speed of the machine (issue 16, "releases/s with 16 concurrent lots"): the same
   * posting in fewer writes. Before, every posting upserted its accounts (INSERT … ON CONFLICT), locked
   * them (SELECT … FOR UPDATE: a lock record per row in the WAL), checked them in a third statement and
   * updated them in a fourth. Now each account, in the global lock order the caller sorted them in, is
   * moved by one UPDATE whose WHERE checks the floor and the cap on the locked row: the row lock, the
   * check and the new balance in one step. A leg that does not move is either a new account (created,
   * then moved) or a floor or cap in the way: the legs moved so far are moved back and the posting is
   * `refused` with the balances, as before, nothing stored.
   * Exactly once: a repeated id is answered before any balance moves; a concurrent posting of the same
   * id makes `INSERT … ON CONFLICT DO NOTHING` wait for it, and if it committed, the legs are moved back
   * and the posting is answered as the repeat it is. The deferred balance trigger on entries and the
   * CHECK constraints on accounts stay as they were.
   */
  class SettlementLedgerPostInPlace1767500000000 implements MigrationInterface {
    name = 'SettlementLedgerPostInPlace1767500000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.ledger_post(
          p_id text, p_kind text, p_currency text, p_order text, p_subtask text, p_memo text, p_hash text,
          p_accounts text[], p_purposes text[], p_members text[], p_orders text[], p_floors bigint[], p_amounts bigint[], p_caps bigint[]
        ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
        DECLARE
          v_existing text;
          v_balances jsonb;
          v_tries int;
        BEGIN
          SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
          IF FOUND THEN
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          FOR i IN 1 .. cardinality(p_accounts) LOOP
            v_tries := 0;
            LOOP
              UPDATE ${s}.accounts a SET balance = a.balance + p_amounts[i]
                WHERE a.id = p_accounts[i]
                  AND NOT (p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND a.balance + p_amounts[i] < p_floors[i])
                  AND NOT (abs(a.balance + p_amounts[i]) > p_caps[i] AND abs(a.balance + p_amounts[i]) > abs(a.balance));
              EXIT WHEN FOUND;
              PERFORM 1 FROM ${s}.accounts WHERE id = p_accounts[i] FOR UPDATE;
              IF FOUND THEN
                UPDATE ${s}.accounts a SET balance = a.balance - l.amount
                  FROM unnest(p_accounts[1:i - 1], p_amounts[1:i - 1]) AS l(id, amount) WHERE a.id = l.id;
                SELECT jsonb_object_agg(id, balance::text) INTO v_balances FROM ${s}.accounts WHERE id = ANY(p_accounts);
                RETURN jsonb_build_object('outcome', 'refused', 'balances', v_balances);
              END IF;
              v_tries := v_tries + 1;
              IF v_tries > 2 THEN
                RAISE EXCEPTION 'account % could not be created', p_accounts[i];
              END IF;
              INSERT INTO ${s}.accounts (id, purpose, member_id, order_id, currency, min_balance)
                VALUES (p_accounts[i], p_purposes[i], p_members[i], p_orders[i], p_currency, p_floors[i])
                ON CONFLICT (id) DO NOTHING;
            END LOOP;
          END LOOP;
          INSERT INTO ${s}.transfers (id, kind, currency, order_id, subtask_id, memo, content_hash)
            VALUES (p_id, p_kind, p_currency, p_order, p_subtask, p_memo, p_hash)
            ON CONFLICT (id) DO NOTHING;
          IF NOT FOUND THEN
            UPDATE ${s}.accounts a SET balance = a.balance - l.amount FROM unnest(p_accounts, p_amounts) AS l(id, amount) WHERE a.id = l.id;
            SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency)
            SELECT p_id, l.id, l.amount, p_currency FROM unnest(p_accounts, p_amounts) AS l(id, amount);
          RETURN jsonb_build_object('outcome', 'posted');
        END $fn$`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP FUNCTION IF EXISTS ${s}.ledger_post(text, text, text, text, text, text, text, text[], text[], text[], text[], bigint[], bigint[], bigint[])`);
      await new SettlementLedgerPost1767300000000().up(q);
    }
  }
  /** `/metrics` (issue 18): escrow held and payouts pending, counted over open work only. */
  class SettlementOpenWorkIndexes1767600000000 implements MigrationInterface {
    name = 'SettlementOpenWorkIndexes1767600000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE INDEX lots_escrowed_idx ON ${s}.lots (currency) INCLUDE (price_minor) WHERE status = 'escrowed'`);
      await q.query(`CREATE INDEX payouts_open_idx ON ${s}.payouts (status, currency) INCLUDE (amount_minor) WHERE status IN ('requested', 'held', 'instructed')`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX IF EXISTS ${s}.payouts_open_idx`);
      await q.query(`DROP INDEX IF EXISTS ${s}.lots_escrowed_idx`);
    }
  }
  /**
   * A release in fewer writes (issue 16, "releases/s with 16 concurrent lots", second pass). Profiled
   * (EXPLAIN (ANALYZE, BUFFERS, WAL) of ledger_post's statements through auto_explain): of a release's 24
   * WAL records, 12 were its three entries (a heap row and three index entries each), 5 the foreign keys'
   * row locks (`SELECT … FOR KEY SHARE` on the transfer and on each account, one SPI query per entry),
   * and at commit the deferred trigger summed the transfer's entries three times, once per entry.
   * What changes, and how each guarantee is kept:
   * - **Balanced, for every writer.** ledger_post checks that its amounts sum to zero over two or more
   *   legs before it moves a balance, and writes the transfer, then its entries, itself (the accounts it
   *   just moved exist, the transfer it just inserted exists). While it inserts them it names the
   *   transfer in the transaction-local setting `meshfab.ledger_posting`, and clears it right after; the
   *   deferred trigger `entries_balanced` fires for every entry whose transfer is not the one being
   *   posted (`WHEN`, evaluated as the row is inserted: no trigger call, no queued event for
   *   ledger_post's own entries). Any other INSERT into entries, in any transaction, is checked at commit
   *   as before: its transfer balances, the transfer exists, the account exists. (A superuser can bypass
   *   any trigger, with `session_replication_role` as with this setting; the audit recomputes it all.)
   * - **No entry without its transfer or account** (the two foreign keys before): checked by that
   *   trigger for other writers; accounts with entries cannot be deleted or renamed (trigger
   *   `accounts_keep_entries`, which costs nothing to a balance update); transfers were append-only
   *   already.
   * - entries lose their primary key on `id` (an identity, unique by construction, still the order of
   *   an account's trail through `entries_account_idx`); `(transfer_id, account_id)`, unique before,
   *   becomes the key. Three index entries fewer per release.
   * (The balance updates were already HOT updates, 97 % in the bench's profile: no fillfactor change.)
   */
  class SettlementLedgerLeanPosting1767700000000 implements MigrationInterface {
    name = 'SettlementLedgerLeanPosting1767700000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.entries DROP CONSTRAINT entries_transfer_id_fkey, DROP CONSTRAINT entries_account_id_fkey`);
      await q.query(`ALTER TABLE ${s}.entries DROP CONSTRAINT entries_pkey`);
      await q.query(`ALTER TABLE ${s}.entries DROP CONSTRAINT entries_transfer_id_account_id_key`);
      await q.query(`ALTER TABLE ${s}.entries ADD CONSTRAINT entries_pkey PRIMARY KEY (transfer_id, account_id)`);
      await q.query(`DROP TRIGGER entries_balanced ON ${s}.entries`);
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.assert_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF (SELECT sum(amount) FROM ${s}.entries WHERE transfer_id = NEW.transfer_id) <> 0 THEN
            RAISE EXCEPTION 'transfer % does not balance', NEW.transfer_id USING ERRCODE = '23514';
          END IF;
          PERFORM 1 FROM ${s}.transfers WHERE id = NEW.transfer_id;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'an entry names transfer %, which does not exist', NEW.transfer_id USING ERRCODE = '23503';
          END IF;
          PERFORM 1 FROM ${s}.accounts WHERE id = NEW.account_id;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'an entry names account %, which does not exist', NEW.account_id USING ERRCODE = '23503';
          END IF;
          RETURN NULL;
        END $fn$`);
      await q.query(`
        CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON ${s}.entries DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.transfer_id IS DISTINCT FROM current_setting('meshfab.ledger_posting', true))
        EXECUTE FUNCTION ${s}.assert_transfer_balanced()`);
      await q.query(`
        CREATE FUNCTION ${s}.refuse_account_with_entries_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF EXISTS (SELECT 1 FROM ${s}.entries WHERE account_id = OLD.id) THEN
            RAISE EXCEPTION 'account % has entries: % refused', OLD.id, TG_OP USING ERRCODE = '23503';
          END IF;
          RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
        END $fn$`);
      await q.query(`
        CREATE TRIGGER accounts_keep_entries BEFORE DELETE OR UPDATE OF id ON ${s}.accounts
        FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_account_with_entries_change()`);
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.ledger_post(
          p_id text, p_kind text, p_currency text, p_order text, p_subtask text, p_memo text, p_hash text,
          p_accounts text[], p_purposes text[], p_members text[], p_orders text[], p_floors bigint[], p_amounts bigint[], p_caps bigint[]
        ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
        DECLARE
          v_existing text;
          v_balances jsonb;
          v_tries int;
          v_sum numeric := 0;
          v_balance bigint;
        BEGIN
          SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
          IF FOUND THEN
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          FOR i IN 1 .. coalesce(cardinality(p_amounts), 0) LOOP
            v_sum := v_sum + p_amounts[i];
          END LOOP;
          IF v_sum <> 0 OR coalesce(cardinality(p_amounts), 0) < 2 OR cardinality(p_accounts) <> cardinality(p_amounts) THEN
            RAISE EXCEPTION 'transfer % does not balance', p_id USING ERRCODE = '23514';
          END IF;
          FOR i IN 1 .. cardinality(p_accounts) LOOP
            v_tries := 0;
            LOOP
              UPDATE ${s}.accounts a SET balance = a.balance + p_amounts[i]
                WHERE a.id = p_accounts[i]
                  AND NOT (p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND a.balance + p_amounts[i] < p_floors[i])
                  AND NOT (abs(a.balance + p_amounts[i]) > p_caps[i] AND abs(a.balance + p_amounts[i]) > abs(a.balance));
              EXIT WHEN FOUND;
              -- Not moved: a floor or cap in the way, or a row this statement's snapshot did not see yet
              -- (created and committed by a concurrent posting meanwhile). Locked, it is seen as it is.
              SELECT a.balance INTO v_balance FROM ${s}.accounts a WHERE a.id = p_accounts[i] FOR UPDATE;
              IF FOUND AND ((p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND v_balance + p_amounts[i] < p_floors[i])
                            OR (abs(v_balance + p_amounts[i]) > p_caps[i] AND abs(v_balance + p_amounts[i]) > abs(v_balance))) THEN
                UPDATE ${s}.accounts a SET balance = a.balance - l.amount
                  FROM unnest(p_accounts[1:i - 1], p_amounts[1:i - 1]) AS l(id, amount) WHERE a.id = l.id;
                SELECT jsonb_object_agg(id, balance::text) INTO v_balances FROM ${s}.accounts WHERE id = ANY(p_accounts);
                RETURN jsonb_build_object('outcome', 'refused', 'balances', v_balances);
              END IF;
              v_tries := v_tries + 1;
              IF v_tries > 3 THEN
                RAISE EXCEPTION 'account % could not be created', p_accounts[i];
              END IF;
              IF NOT FOUND THEN
                INSERT INTO ${s}.accounts (id, purpose, member_id, order_id, currency, min_balance)
                  VALUES (p_accounts[i], p_purposes[i], p_members[i], p_orders[i], p_currency, p_floors[i])
                  ON CONFLICT (id) DO NOTHING;
              END IF;
            END LOOP;
          END LOOP;
          INSERT INTO ${s}.transfers (id, kind, currency, order_id, subtask_id, memo, content_hash)
            VALUES (p_id, p_kind, p_currency, p_order, p_subtask, p_memo, p_hash)
            ON CONFLICT (id) DO NOTHING;
          IF NOT FOUND THEN
            UPDATE ${s}.accounts a SET balance = a.balance - l.amount FROM unnest(p_accounts, p_amounts) AS l(id, amount) WHERE a.id = l.id;
            SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          -- Balanced (checked above), its transfer just inserted, its accounts just moved: the entries'
          -- deferred check is skipped for this transfer only, while this statement runs.
          PERFORM set_config('meshfab.ledger_posting', p_id, true);
          INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency)
            SELECT p_id, l.id, l.amount, p_currency FROM unnest(p_accounts, p_amounts) AS l(id, amount);
          PERFORM set_config('meshfab.ledger_posting', '', true);
          RETURN jsonb_build_object('outcome', 'posted');
        END $fn$`);
    }
    async down(q: QueryRunner): Promise<void> {
      await new SettlementLedgerPostInPlace1767500000000().up(q);
      await q.query(`DROP TRIGGER IF EXISTS accounts_keep_entries ON ${s}.accounts`);
      await q.query(`DROP FUNCTION IF EXISTS ${s}.refuse_account_with_entries_change()`);
      await q.query(`DROP TRIGGER IF EXISTS entries_balanced ON ${s}.entries`);
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.assert_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF (SELECT sum(amount) FROM ${s}.entries WHERE transfer_id = NEW.transfer_id) <> 0 THEN
            RAISE EXCEPTION 'transfer % does not balance', NEW.transfer_id USING ERRCODE = '23514';
          END IF;
          RETURN NULL;
        END $fn$`);
      await q.query(`
        CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON ${s}.entries
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${s}.assert_transfer_balanced()`);
      await q.query(`ALTER TABLE ${s}.entries DROP CONSTRAINT entries_pkey`);
      await q.query(`ALTER TABLE ${s}.entries ADD CONSTRAINT entries_transfer_id_account_id_key UNIQUE (transfer_id, account_id)`);
      await q.query(`ALTER TABLE ${s}.entries ADD CONSTRAINT entries_pkey PRIMARY KEY (id)`);
      await q.query(`ALTER TABLE ${s}.entries ADD CONSTRAINT entries_transfer_id_fkey FOREIGN KEY (transfer_id) REFERENCES ${s}.transfers (id)`);
      await q.query(`ALTER TABLE ${s}.entries ADD CONSTRAINT entries_account_id_fkey FOREIGN KEY (account_id) REFERENCES ${s}.accounts (id)`);
    }
  }
  /**
   * Optional hold on instant money (issue 16, MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS): a receipt keeps
   * the method its provider named and, for an instant one (card, wallet), when its hold ends; a lot keeps
   * the date the money released for it becomes available for payout (Stripe's `available_on`).
   */
  class SettlementInstantFundsHold1767800000000 implements MigrationInterface {
    name = 'SettlementInstantFundsHold1767800000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.payment_receipts ADD COLUMN method text, ADD COLUMN held_until timestamptz`);
      await q.query(`CREATE INDEX payment_receipts_held_idx ON ${s}.payment_receipts (brand_id, currency, held_until) WHERE held_until IS NOT NULL`);
      await q.query(`ALTER TABLE ${s}.lots ADD COLUMN funds_held_until timestamptz, ADD COLUMN funds_available_on timestamptz`);
      await q.query(`CREATE INDEX lots_held_for_payout_idx ON ${s}.lots (workshop_id, currency, funds_available_on) INCLUDE (net_minor) WHERE status = 'paid' AND funds_available_on IS NOT NULL`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX IF EXISTS ${s}.lots_held_for_payout_idx`);
      await q.query(`ALTER TABLE ${s}.lots DROP COLUMN IF EXISTS funds_available_on, DROP COLUMN IF EXISTS funds_held_until`);
      await q.query(`DROP INDEX IF EXISTS ${s}.payment_receipts_held_idx`);
      await q.query(`ALTER TABLE ${s}.payment_receipts DROP COLUMN IF EXISTS held_until, DROP COLUMN IF EXISTS method`);
    }
  }
  /**
   * A release without a row lock before each balance update (issue 16, "releases/s with 16 concurrent lots",
   * third pass). Profiled (EXPLAIN (ANALYZE, WAL) of a balance UPDATE; the backend's CPU per release):
   * - `accounts_keep_entries` was a BEFORE … FOR EACH ROW trigger on `DELETE OR UPDATE OF id`. A BEFORE ROW
   *   UPDATE trigger makes PostgreSQL lock the old row (heap_lock_tuple, a WAL record) before every UPDATE of
   *   the table, whatever its column list says: each of a release's three balance updates wrote two WAL
   *   records instead of one. The rename check now runs AFTER the update (an AFTER ROW trigger fetches the
   *   old row without locking it, and queues nothing unless `id` changed); the delete check stays BEFORE.
   *   Both refuse as before, with the same message.
   * - ledger_post no longer looks the transfer id up before it moves the balances: the INSERT of the
   *   transfer (ON CONFLICT DO NOTHING) already finds a repeat, and then the legs are moved back and the
   *   repeat is answered (`replayed` / `conflict`), as it was for a concurrent repeat. A repeat whose legs
   *   would now break a floor or a cap is answered as the repeat too: the refusal path looks for the
   *   transfer before it answers `refused`. So a repeat now locks its accounts until its transaction ends
   *   (repeats are rare: a redelivered event). The transaction-local setting is set and cleared by plain
   *   assignments (an expression, not a query), and `posted` is a constant.
   */
  class SettlementLedgerReleaseWithoutRowLocks1767900000000 implements MigrationInterface {
    name = 'SettlementLedgerReleaseWithoutRowLocks1767900000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`DROP TRIGGER accounts_keep_entries ON ${s}.accounts`);
      await q.query(`
        CREATE TRIGGER accounts_keep_entries BEFORE DELETE ON ${s}.accounts
        FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_account_with_entries_change()`);
      await q.query(`
        CREATE TRIGGER accounts_keep_entries_id AFTER UPDATE OF id ON ${s}.accounts
        FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_account_with_entries_change()`);
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.ledger_post(
          p_id text, p_kind text, p_currency text, p_order text, p_subtask text, p_memo text, p_hash text,
          p_accounts text[], p_purposes text[], p_members text[], p_orders text[], p_floors bigint[], p_amounts bigint[], p_caps bigint[]
        ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
        DECLARE
          v_n int := coalesce(cardinality(p_amounts), 0);
          v_sum numeric := 0;
          v_existing text;
          v_balances jsonb;
          v_tries int;
          v_balance bigint;
          v_setting text;
        BEGIN
          FOR i IN 1 .. v_n LOOP
            v_sum := v_sum + p_amounts[i];
          END LOOP;
          IF v_sum <> 0 OR v_n < 2 OR cardinality(p_accounts) IS DISTINCT FROM v_n THEN
            SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
            IF FOUND THEN
              RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
            END IF;
            RAISE EXCEPTION 'transfer % does not balance', p_id USING ERRCODE = '23514';
          END IF;
          FOR i IN 1 .. v_n LOOP
            v_tries := 0;
            LOOP
              UPDATE ${s}.accounts a SET balance = a.balance + p_amounts[i]
                WHERE a.id = p_accounts[i]
                  AND NOT (p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND a.balance + p_amounts[i] < p_floors[i])
                  AND NOT (abs(a.balance + p_amounts[i]) > p_caps[i] AND abs(a.balance + p_amounts[i]) > abs(a.balance));
              EXIT WHEN FOUND;
              -- Not moved: a floor or cap in the way, or a row this statement's snapshot did not see yet
              -- (created and committed by a concurrent posting meanwhile). Locked, it is seen as it is.
              SELECT a.balance INTO v_balance FROM ${s}.accounts a WHERE a.id = p_accounts[i] FOR UPDATE;
              IF FOUND AND ((p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND v_balance + p_amounts[i] < p_floors[i])
                            OR (abs(v_balance + p_amounts[i]) > p_caps[i] AND abs(v_balance + p_amounts[i]) > abs(v_balance))) THEN
                UPDATE ${s}.accounts a SET balance = a.balance - l.amount
                  FROM unnest(p_accounts[1:i - 1], p_amounts[1:i - 1]) AS l(id, amount) WHERE a.id = l.id;
                -- A repeat is answered as the repeat, whatever its legs would do now.
                SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
                IF FOUND THEN
                  RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
                END IF;
                SELECT jsonb_object_agg(id, balance::text) INTO v_balances FROM ${s}.accounts WHERE id = ANY(p_accounts);
                RETURN jsonb_build_object('outcome', 'refused', 'balances', v_balances);
              END IF;
              v_tries := v_tries + 1;
              IF v_tries > 3 THEN
                RAISE EXCEPTION 'account % could not be created', p_accounts[i];
              END IF;
              IF NOT FOUND THEN
                INSERT INTO ${s}.accounts (id, purpose, member_id, order_id, currency, min_balance)
                  VALUES (p_accounts[i], p_purposes[i], p_members[i], p_orders[i], p_currency, p_floors[i])
                  ON CONFLICT (id) DO NOTHING;
              END IF;
            END LOOP;
          END LOOP;
          -- A repeated id (committed before, or by a concurrent posting this INSERT waited for): the legs
          -- go back and the repeat is answered.
          INSERT INTO ${s}.transfers (id, kind, currency, order_id, subtask_id, memo, content_hash)
            VALUES (p_id, p_kind, p_currency, p_order, p_subtask, p_memo, p_hash)
            ON CONFLICT (id) DO NOTHING;
          IF NOT FOUND THEN
            UPDATE ${s}.accounts a SET balance = a.balance - l.amount FROM unnest(p_accounts, p_amounts) AS l(id, amount) WHERE a.id = l.id;
            SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          -- Balanced (checked above), its transfer just inserted, its accounts just moved: the entries'
          -- deferred check is skipped for this transfer only, while this statement runs.
          v_setting := set_config('meshfab.ledger_posting', p_id, true);
          INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency)
            SELECT p_id, l.id, l.amount, p_currency FROM unnest(p_accounts, p_amounts) AS l(id, amount);
          v_setting := set_config('meshfab.ledger_posting', '', true);
          RETURN '{"outcome": "posted"}'::jsonb;
        END $fn$`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TRIGGER IF EXISTS accounts_keep_entries_id ON ${s}.accounts`);
      await q.query(`DROP TRIGGER IF EXISTS accounts_keep_entries ON ${s}.accounts`);
      await q.query(`
        CREATE TRIGGER accounts_keep_entries BEFORE DELETE OR UPDATE OF id ON ${s}.accounts
        FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_account_with_entries_change()`);
      // SettlementLedgerLeanPosting's ledger_post, as it was.
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.ledger_post(
          p_id text, p_kind text, p_currency text, p_order text, p_subtask text, p_memo text, p_hash text,
          p_accounts text[], p_purposes text[], p_members text[], p_orders text[], p_floors bigint[], p_amounts bigint[], p_caps bigint[]
        ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
        DECLARE
          v_existing text;
          v_balances jsonb;
          v_tries int;
          v_sum numeric := 0;
          v_balance bigint;
        BEGIN
          SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
          IF FOUND THEN
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          FOR i IN 1 .. coalesce(cardinality(p_amounts), 0) LOOP
            v_sum := v_sum + p_amounts[i];
          END LOOP;
          IF v_sum <> 0 OR coalesce(cardinality(p_amounts), 0) < 2 OR cardinality(p_accounts) <> cardinality(p_amounts) THEN
            RAISE EXCEPTION 'transfer % does not balance', p_id USING ERRCODE = '23514';
          END IF;
          FOR i IN 1 .. cardinality(p_accounts) LOOP
            v_tries := 0;
            LOOP
              UPDATE ${s}.accounts a SET balance = a.balance + p_amounts[i]
                WHERE a.id = p_accounts[i]
                  AND NOT (p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND a.balance + p_amounts[i] < p_floors[i])
                  AND NOT (abs(a.balance + p_amounts[i]) > p_caps[i] AND abs(a.balance + p_amounts[i]) > abs(a.balance));
              EXIT WHEN FOUND;
              -- Not moved: a floor or cap in the way, or a row this statement's snapshot did not see yet
              -- (created and committed by a concurrent posting meanwhile). Locked, it is seen as it is.
              SELECT a.balance INTO v_balance FROM ${s}.accounts a WHERE a.id = p_accounts[i] FOR UPDATE;
              IF FOUND AND ((p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND v_balance + p_amounts[i] < p_floors[i])
                            OR (abs(v_balance + p_amounts[i]) > p_caps[i] AND abs(v_balance + p_amounts[i]) > abs(v_balance))) THEN
                UPDATE ${s}.accounts a SET balance = a.balance - l.amount
                  FROM unnest(p_accounts[1:i - 1], p_amounts[1:i - 1]) AS l(id, amount) WHERE a.id = l.id;
                SELECT jsonb_object_agg(id, balance::text) INTO v_balances FROM ${s}.accounts WHERE id = ANY(p_accounts);
                RETURN jsonb_build_object('outcome', 'refused', 'balances', v_balances);
              END IF;
              v_tries := v_tries + 1;
              IF v_tries > 3 THEN
                RAISE EXCEPTION 'account % could not be created', p_accounts[i];
              END IF;
              IF NOT FOUND THEN
                INSERT INTO ${s}.accounts (id, purpose, member_id, order_id, currency, min_balance)
                  VALUES (p_accounts[i], p_purposes[i], p_members[i], p_orders[i], p_currency, p_floors[i])
                  ON CONFLICT (id) DO NOTHING;
              END IF;
            END LOOP;
          END LOOP;
          INSERT INTO ${s}.transfers (id, kind, currency, order_id, subtask_id, memo, content_hash)
            VALUES (p_id, p_kind, p_currency, p_order, p_subtask, p_memo, p_hash)
            ON CONFLICT (id) DO NOTHING;
          IF NOT FOUND THEN
            UPDATE ${s}.accounts a SET balance = a.balance - l.amount FROM unnest(p_accounts, p_amounts) AS l(id, amount) WHERE a.id = l.id;
            SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          -- Balanced (checked above), its transfer just inserted, its accounts just moved: the entries'
          -- deferred check is skipped for this transfer only, while this statement runs.
          PERFORM set_config('meshfab.ledger_posting', p_id, true);
          INSERT INTO ${s}.entries (transfer_id, account_id, amount, currency)
            SELECT p_id, l.id, l.amount, p_currency FROM unnest(p_accounts, p_amounts) AS l(id, amount);
          PERFORM set_config('meshfab.ledger_posting', '', true);
          RETURN jsonb_build_object('outcome', 'posted');
        END $fn$`);
    }
  }
  /**
   * A transfer carries its legs (issue 16, "releases/s with 16 concurrent lots", fourth pass). Measured
   * before building it (bench/README.md, settlement): of a release's 15 WAL records, 9 were its three
   * `entries` rows (a heap row and two index entries each, and an identity value each); with the legs as
   * two arrays on the transfer's own row, releases ran 1.25–1.32× as fast in the same rounds.
   * - `transfers` gains `leg_accounts` and `leg_amounts` (one element per leg, in the lock order
   *   ledger_post moved them in) and `first_entry_id`: its legs are the ledger lines
   *   `first_entry_id, first_entry_id + 1, …`, drawn from `entry_ids`, a sequence that steps by
   *   MAX_TRANSFER_LEGS and starts after the last entry id written before, so line ids stay unique, keep
   *   growing, and every id a client has seen stays what it was.
   * - The lines written before stay where they are: the table is renamed `entries_before_legs` and
   *   closed to new rows. `entries` becomes a view over both (same columns, same ids) for the readers of
   *   every line (trial balance, audits). Readers of some lines go through the indexes instead:
   *   `transfer_legs(id, leg_accounts, leg_amounts)`, the lines of one transfer (LATERAL beside its row;
   *   PostgreSQL does not push a join key into the view's second branch), and `ledger_lines(accounts)`,
   *   the lines of some accounts (entries_account_idx there, a GIN index on `leg_accounts` here).
   * - The database still refuses, from any writer that is not ledger_post, a transfer whose legs do not
   *   balance, move nothing, repeat an account or name an account that does not exist in its currency
   *   (deferred constraint trigger on `transfers`, skipped for the transfer ledger_post is writing, as
   *   before); transfers stay append-only, so no leg can be added, changed or removed afterwards; an
   *   account with lines still cannot be deleted or renamed.
   * - Every CHECK constraint of a table is parsed from its stored text and compiled at each statement that
   *   writes the table (stringToNode and ExecConstraints, 7 % of the backend's time in a release's profile),
   *   and a release writes `accounts` three times: the floor and the safe range are one CHECK now
   *   (`accounts_floor_and_safe_range`, NOT VALID as the safe range was), and the shape of a transfer's legs
   *   is checked by the deferred trigger, which ledger_post does not need (it writes them itself).
   */
  // As applied: `entry_ids` steps by this many ids per transfer (MAX_TRANSFER_LEGS in the domain must not exceed it).
  const MAX_TRANSFER_LEGS = 16;
  class SettlementLedgerLegsOnTransfers1768000000000 implements MigrationInterface {
    name = 'SettlementLedgerLegsOnTransfers1768000000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.entries RENAME TO entries_before_legs`);
      await q.query(`
        CREATE FUNCTION ${s}.refuse_new_entry_rows() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          RAISE EXCEPTION 'the ledger lines before SettlementLedgerLegsOnTransfers are closed: a transfer carries its legs (ledger_post)' USING ERRCODE = '55000';
        END $fn$`);
      await q.query(`CREATE TRIGGER entries_before_legs_closed BEFORE INSERT ON ${s}.entries_before_legs FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_new_entry_rows()`);
      await q.query(`CREATE SEQUENCE ${s}.entry_ids INCREMENT BY ${MAX_TRANSFER_LEGS}`);
      await q.query(`SELECT setval('${s}.entry_ids', coalesce((SELECT max(id) FROM ${s}.entries_before_legs), 0) + 1, false)`);
      await q.query(`ALTER TABLE ${s}.transfers ADD COLUMN leg_accounts text[], ADD COLUMN leg_amounts bigint[], ADD COLUMN first_entry_id bigint`);
      await q.query(`
        ALTER TABLE ${s}.accounts DROP CONSTRAINT accounts_floor, DROP CONSTRAINT accounts_balance_safe,
          ADD CONSTRAINT accounts_floor_and_safe_range CHECK ((min_balance IS NULL OR balance >= min_balance) AND balance BETWEEN -9007199254740991 AND 9007199254740991) NOT VALID`);
      await q.query(`CREATE INDEX transfers_leg_accounts_idx ON ${s}.transfers USING gin (leg_accounts)`);
      await q.query(`
        CREATE VIEW ${s}.entries AS
          SELECT e.id, e.transfer_id, e.account_id, e.amount, e.currency FROM ${s}.entries_before_legs e
          UNION ALL
          SELECT t.first_entry_id + l.n - 1, t.id, l.account_id, l.amount, t.currency
          FROM ${s}.transfers t CROSS JOIN LATERAL unnest(t.leg_accounts, t.leg_amounts) WITH ORDINALITY AS l(account_id, amount, n)
          WHERE t.leg_accounts IS NOT NULL`);
      await q.query(`
        CREATE FUNCTION ${s}.ledger_lines(p_accounts text[]) RETURNS TABLE (id bigint, transfer_id text, account_id text, amount bigint, currency text)
        LANGUAGE sql STABLE AS $fn$
          SELECT e.id, e.transfer_id, e.account_id, e.amount, e.currency FROM ${s}.entries_before_legs e WHERE e.account_id = ANY(p_accounts)
          UNION ALL
          SELECT t.first_entry_id + l.n - 1, t.id, l.account_id, l.amount, t.currency
          FROM ${s}.transfers t CROSS JOIN LATERAL unnest(t.leg_accounts, t.leg_amounts) WITH ORDINALITY AS l(account_id, amount, n)
          WHERE t.leg_accounts && p_accounts AND l.account_id = ANY(p_accounts)
        $fn$`);
      await q.query(`
        CREATE FUNCTION ${s}.transfer_legs(p_id text, p_accounts text[], p_amounts bigint[]) RETURNS TABLE (account_id text, amount bigint)
        LANGUAGE sql STABLE AS $fn$
          SELECT l.account_id, l.amount FROM unnest(p_accounts, p_amounts) AS l(account_id, amount)
          UNION ALL
          SELECT e.account_id, e.amount FROM ${s}.entries_before_legs e WHERE p_accounts IS NULL AND e.transfer_id = p_id
        $fn$`);
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.refuse_account_with_entries_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF EXISTS (SELECT 1 FROM ${s}.ledger_lines(ARRAY[OLD.id])) THEN
            RAISE EXCEPTION 'account % has entries: % refused', OLD.id, TG_OP USING ERRCODE = '23503';
          END IF;
          RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
        END $fn$`);
      await q.query(`
        CREATE FUNCTION ${s}.assert_transfer_legs() RETURNS trigger LANGUAGE plpgsql AS $fn$
        DECLARE
          v_n int := coalesce(cardinality(NEW.leg_amounts), 0);
          v_sum numeric := 0;
          v_account text;
        BEGIN
          IF NEW.leg_accounts IS NULL OR v_n < 2 THEN
            RAISE EXCEPTION 'transfer % does not balance: it needs at least two legs', NEW.id USING ERRCODE = '23514';
          END IF;
          IF cardinality(NEW.leg_accounts) <> v_n OR v_n > ${MAX_TRANSFER_LEGS} OR NEW.first_entry_id IS NULL THEN
            RAISE EXCEPTION 'transfer % needs as many leg accounts as amounts, at most ${MAX_TRANSFER_LEGS}, and a first entry id', NEW.id USING ERRCODE = '23514';
          END IF;
          FOR i IN 1 .. v_n LOOP
            IF NEW.leg_amounts[i] IS NULL OR NEW.leg_amounts[i] = 0 OR abs(NEW.leg_amounts[i]) > 9007199254740991 THEN
              RAISE EXCEPTION 'transfer % has a leg of % minor units', NEW.id, coalesce(NEW.leg_amounts[i]::text, 'no') USING ERRCODE = '23514';
            END IF;
            v_sum := v_sum + NEW.leg_amounts[i];
          END LOOP;
          IF v_sum <> 0 THEN
            RAISE EXCEPTION 'transfer % does not balance', NEW.id USING ERRCODE = '23514';
          END IF;
          IF (SELECT count(DISTINCT a) FROM unnest(NEW.leg_accounts) a) <> v_n THEN
            RAISE EXCEPTION 'transfer % names an account twice', NEW.id USING ERRCODE = '23514';
          END IF;
          SELECT a INTO v_account FROM unnest(NEW.leg_accounts) a
            WHERE NOT EXISTS (SELECT 1 FROM ${s}.accounts x WHERE x.id = a AND x.currency = NEW.currency) LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'transfer % names account %, which does not exist in %', NEW.id, coalesce(v_account, 'NULL'), NEW.currency USING ERRCODE = '23503';
          END IF;
          RETURN NULL;
        END $fn$`);
      await q.query(`
        CREATE CONSTRAINT TRIGGER transfers_legs_valid AFTER INSERT ON ${s}.transfers DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.id IS DISTINCT FROM current_setting('meshfab.ledger_posting', true))
        EXECUTE FUNCTION ${s}.assert_transfer_legs()`);
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.ledger_post(
          p_id text, p_kind text, p_currency text, p_order text, p_subtask text, p_memo text, p_hash text,
          p_accounts text[], p_purposes text[], p_members text[], p_orders text[], p_floors bigint[], p_amounts bigint[], p_caps bigint[]
        ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
        DECLARE
          v_n int := coalesce(cardinality(p_amounts), 0);
          v_sum numeric := 0;
          v_existing text;
          v_balances jsonb;
          v_tries int;
          v_balance bigint;
          v_setting text;
        BEGIN
          FOR i IN 1 .. v_n LOOP
            v_sum := v_sum + p_amounts[i];
          END LOOP;
          IF v_sum <> 0 OR v_n < 2 OR v_n > ${MAX_TRANSFER_LEGS} OR cardinality(p_accounts) IS DISTINCT FROM v_n THEN
            SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
            IF FOUND THEN
              RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
            END IF;
            IF v_n > ${MAX_TRANSFER_LEGS} THEN
              RAISE EXCEPTION 'transfer % has % legs, more than ${MAX_TRANSFER_LEGS}', p_id, v_n USING ERRCODE = '23514';
            END IF;
            RAISE EXCEPTION 'transfer % does not balance', p_id USING ERRCODE = '23514';
          END IF;
          FOR i IN 1 .. v_n LOOP
            v_tries := 0;
            LOOP
              UPDATE ${s}.accounts a SET balance = a.balance + p_amounts[i]
                WHERE a.id = p_accounts[i]
                  AND NOT (p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND a.balance + p_amounts[i] < p_floors[i])
                  AND NOT (abs(a.balance + p_amounts[i]) > p_caps[i] AND abs(a.balance + p_amounts[i]) > abs(a.balance));
              EXIT WHEN FOUND;
              -- Not moved: a floor or cap in the way, or a row this statement's snapshot did not see yet
              -- (created and committed by a concurrent posting meanwhile). Locked, it is seen as it is.
              SELECT a.balance INTO v_balance FROM ${s}.accounts a WHERE a.id = p_accounts[i] FOR UPDATE;
              IF FOUND AND ((p_floors[i] IS NOT NULL AND p_amounts[i] < 0 AND v_balance + p_amounts[i] < p_floors[i])
                            OR (abs(v_balance + p_amounts[i]) > p_caps[i] AND abs(v_balance + p_amounts[i]) > abs(v_balance))) THEN
                UPDATE ${s}.accounts a SET balance = a.balance - l.amount
                  FROM unnest(p_accounts[1:i - 1], p_amounts[1:i - 1]) AS l(id, amount) WHERE a.id = l.id;
                -- A repeat is answered as the repeat, whatever its legs would do now.
                SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
                IF FOUND THEN
                  RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
                END IF;
                SELECT jsonb_object_agg(id, balance::text) INTO v_balances FROM ${s}.accounts WHERE id = ANY(p_accounts);
                RETURN jsonb_build_object('outcome', 'refused', 'balances', v_balances);
              END IF;
              v_tries := v_tries + 1;
              IF v_tries > 3 THEN
                RAISE EXCEPTION 'account % could not be created', p_accounts[i];
              END IF;
              IF NOT FOUND THEN
                INSERT INTO ${s}.accounts (id, purpose, member_id, order_id, currency, min_balance)
                  VALUES (p_accounts[i], p_purposes[i], p_members[i], p_orders[i], p_currency, p_floors[i])
                  ON CONFLICT (id) DO NOTHING;
              END IF;
            END LOOP;
          END LOOP;
          -- Balanced (checked above), its accounts just moved: the transfers' deferred check is skipped for
          -- this transfer only, while this statement runs. A repeated id (committed before, or by a
          -- concurrent posting this INSERT waited for): the legs go back and the repeat is answered.
          v_setting := set_config('meshfab.ledger_posting', p_id, true);
          INSERT INTO ${s}.transfers (id, kind, currency, order_id, subtask_id, memo, content_hash, leg_accounts, leg_amounts, first_entry_id)
            VALUES (p_id, p_kind, p_currency, p_order, p_subtask, p_memo, p_hash, p_accounts, p_amounts, nextval('${s}.entry_ids'))
            ON CONFLICT (id) DO NOTHING;
          v_setting := set_config('meshfab.ledger_posting', '', true);
          IF NOT FOUND THEN
            UPDATE ${s}.accounts a SET balance = a.balance - l.amount FROM unnest(p_accounts, p_amounts) AS l(id, amount) WHERE a.id = l.id;
            SELECT content_hash INTO v_existing FROM ${s}.transfers WHERE id = p_id;
            RETURN jsonb_build_object('outcome', CASE WHEN v_existing = p_hash THEN 'replayed' ELSE 'conflict' END);
          END IF;
          RETURN '{"outcome": "posted"}'::jsonb;
        END $fn$`);
    }
    async down(q: QueryRunner): Promise<void> {
      // The lines go back into the table, with the ids they were read by; then the previous posting.
      await q.query(`DROP TRIGGER transfers_legs_valid ON ${s}.transfers`);
      await q.query(`DROP FUNCTION ${s}.assert_transfer_legs()`);
      await q.query(`DROP VIEW ${s}.entries`);
      await q.query(`DROP TRIGGER entries_before_legs_closed ON ${s}.entries_before_legs`);
      await q.query(`DROP FUNCTION ${s}.refuse_new_entry_rows()`);
      await q.query(`ALTER TABLE ${s}.entries_before_legs RENAME TO entries`);
      await q.query(`
        INSERT INTO ${s}.entries (id, transfer_id, account_id, amount, currency) OVERRIDING SYSTEM VALUE
          SELECT t.first_entry_id + l.n - 1, t.id, l.account_id, l.amount, t.currency
          FROM ${s}.transfers t CROSS JOIN LATERAL unnest(t.leg_accounts, t.leg_amounts) WITH ORDINALITY AS l(account_id, amount, n)
          WHERE t.leg_accounts IS NOT NULL ORDER BY t.first_entry_id, l.n`);
      await q.query(`SELECT setval(pg_get_serial_sequence('${s}.entries', 'id'), greatest((SELECT max(id) FROM ${s}.entries), (SELECT last_value FROM ${s}.entry_ids)))`);
      await q.query(`DROP FUNCTION ${s}.ledger_lines(text[])`);
      await q.query(`DROP FUNCTION ${s}.transfer_legs(text, text[], bigint[])`);
      await q.query(`DROP INDEX ${s}.transfers_leg_accounts_idx`);
      await q.query(`ALTER TABLE ${s}.transfers DROP COLUMN leg_accounts, DROP COLUMN leg_amounts, DROP COLUMN first_entry_id`);
      await q.query(`
        ALTER TABLE ${s}.accounts DROP CONSTRAINT accounts_floor_and_safe_range,
          ADD CONSTRAINT accounts_floor CHECK (min_balance IS NULL OR balance >= min_balance),
          ADD CONSTRAINT accounts_balance_safe CHECK (balance BETWEEN -9007199254740991 AND 9007199254740991) NOT VALID`);
      await q.query(`DROP SEQUENCE ${s}.entry_ids`);
      await q.query(`
        CREATE OR REPLACE FUNCTION ${s}.refuse_account_with_entries_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF EXISTS (SELECT 1 FROM ${s}.entries WHERE account_id = OLD.id) THEN
            RAISE EXCEPTION 'account % has entries: % refused', OLD.id, TG_OP USING ERRCODE = '23503';
          END IF;
          RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
        END $fn$`);
      // SettlementLedgerReleaseWithoutRowLocks's triggers and ledger_post, as they were.
      // (Its up replaces accounts_keep_entries itself and creates accounts_keep_entries_id.)
      await q.query(`DROP TRIGGER accounts_keep_entries_id ON ${s}.accounts`);
      await new SettlementLedgerReleaseWithoutRowLocks1767900000000().up(q);
    }
  }
  return [SettlementLedger1764200000000, SettlementFunding1767000000000, SettlementSafeAmounts1767100000000, SettlementPayoutRail1767200000000, SettlementLedgerPost1767300000000, SettlementClawbacks1767400000000, SettlementLedgerPostInPlace1767500000000, SettlementOpenWorkIndexes1767600000000, SettlementLedgerLeanPosting1767700000000, SettlementInstantFundsHold1767800000000, SettlementLedgerReleaseWithoutRowLocks1767900000000, SettlementLedgerLegsOnTransfers1768000000000];
}
