// What the services have stored, read straight from PostgreSQL: to prove a refused request stored
// nothing, and to wait until the events of an accepted one have been handled by every consumer.
import pg from 'pg';
import { waitFor } from '#libs/testing';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface HostedSchema {
  service: string;
  schema: string;
  /** The services whose events this one consumes (its embedded consumers' checkpoints). */
  consumes: readonly string[];
}

/**
 * Append-only tables beyond the event store that a request writes without appending an event: an
 * uploaded bank statement whose lines match no intent stores its statement and lines and nothing else.
 * (payment_receipts is left out: the sandbox provider writes an unmatched receipt a moment after a
 * checkout it accepted, by its own webhook, while the fuzzer may be checking a later refusal.)
 */
const TABLES_WITHOUT_EVENTS: Record<string, readonly string[]> = { settlement: ['bank_statements', 'bank_statement_lines'] };

export class NetworkStores {
  private constructor(
    private readonly client: pg.Client,
    private readonly hosted: readonly HostedSchema[],
  ) {}

  static async connect(databaseUrl: string, hosted: readonly HostedSchema[]): Promise<NetworkStores> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return new NetworkStores(client, hosted);
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  /**
   * Row counts of each service's events (its store and outbox), idempotency keys, inbox and dead
   * letters (and TABLES_WITHOUT_EVENTS), in one round trip. Append-only tables: a stored write always
   * changes a count.
   */
  async counts(): Promise<Record<string, number>> {
    const parts = this.hosted.flatMap(({ service, schema }) =>
      ['events', 'idempotency_keys', 'inbox', 'dead_letters', ...(TABLES_WITHOUT_EVENTS[service] ?? [])].map(
        (table) => `SELECT '${service}.${table}' AS k, count(*)::int AS n FROM ${quote(schema)}.${table}`,
      ),
    );
    const { rows } = await this.client.query<{ k: string; n: number }>(parts.join(' UNION ALL '));
    return Object.fromEntries(rows.map((r) => [r.k, r.n]));
  }

  /**
   * Every consumer has handled every event its producers have committed (nothing in flight), and no payout
   * is waiting for its provider. Logs are
   * read in (transaction id, position) order, so the last event read need not have the highest position:
   * a consumer's checkpoint is compared with its producer's last event in that order.
   */
  async settled(): Promise<boolean> {
    const checks = this.hosted.flatMap(({ schema, consumes }) =>
      consumes.map((producer) => {
        const source = this.hosted.find((h) => h.service === producer);
        if (!source) throw new Error(`${producer} is not hosted`);
        const events = `${quote(source.schema)}.events`;
        const last = `SELECT e.transaction_id, e.global_position FROM ${events} e ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`;
        return `coalesce((SELECT (c.transaction_id, c.position) >= (${last}) FROM ${quote(schema)}.checkpoints c WHERE c.subscription_id = 'embedded-consumer:${producer}'),
                         NOT EXISTS (SELECT 1 FROM ${events}))`;
      }),
    );
    // Payouts go on after the request that made them (the provider is instructed and confirms by webhook):
    // settled once none is on its way.
    const settlement = this.hosted.find((h) => h.service === 'settlement');
    if (settlement) checks.push(`NOT EXISTS (SELECT 1 FROM ${quote(settlement.schema)}.payouts WHERE status IN ('requested', 'instructed'))`);
    const { rows } = await this.client.query<{ ok: boolean }>(`SELECT ${checks.join(' AND ')} AS ok`);
    return rows[0].ok;
  }

  async settle(): Promise<void> {
    await waitFor(() => this.settled(), { timeoutMs: 120_000, intervalMs: 20, message: 'every consumer to catch up' });
  }

  /** Ids the services know (stream ids and ids inside event data), for path parameters that exist. */
  async knownIds(limit: number): Promise<string[]> {
    const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    const parts = this.hosted.map(({ schema }) => `SELECT (regexp_matches(stream_id || ' ' || data::text, '${uuid}', 'g'))[1] AS id FROM ${quote(schema)}.events`);
    const { rows } = await this.client.query<{ id: string }>(`SELECT DISTINCT id FROM (${parts.join(' UNION ALL ')}) ids ORDER BY id LIMIT ${limit}`);
    return rows.map((r) => r.id);
  }
}
