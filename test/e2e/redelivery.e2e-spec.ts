// Duplicate and reordered delivery: the same orders driven twice through the whole network in one
// process, once on the embedded transport and once on a transport that redelivers events and shuffles
// them across streams and producers (each stream's own order kept, as Kafka keeps a key's order, and
// nothing more). Every service must end in the same state, as its read models and events show it.
// Replay a failure with MESHFAB_REDELIVERY_SEED=<the seed in the failing test's name>: the same seed
// makes the same choices for the same events handed over in the same order (their arrival still
// depends on the machine's timing, so a replay is likely, not certain, to take the same path).
import { randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import { startHost, type RunningHost } from '#libs/runtime';
import { dropSchema, testDatabaseUrl, testSigningEnv, uniqueSchema } from '#libs/testing';
import { PerturbedTransport, type DeliveryCounts } from '../../libs/messaging/src/testing/perturbed-delivery.js';
import { eventually, MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES as ALL_SERVICES } from '../../apps/network/src/network.services.js';

// The five producers: notifications' tables (what members were told, webhook attempts) carry delivery
// times and sequence numbers that differ between two runs by design; its exactly-once is tested in
// test/e2e/webhooks*.e2e-spec.ts.
const NETWORK_SERVICES = ALL_SERVICES.filter((s) => s.name !== 'notifications');
import { Members, OrderDriver, payoutSettled, type Actors } from './order-lifecycle.scenario.js';

const SECRET = 'redelivery-e2e-secret-long-enough-for-hs256';
const OPERATOR = 'op_redelivery-e2e-operator-token-0123456789';
/**
 * Seeds that once ended in another state than the clean run, replayed on every run beside a random one
 * (a replay is likely, not certain, to take the same path; see above). 1969368887: settlement refunded a
 * reworked lot when its order's completion overtook the lot's pass, then funded it again.
 */
const REGRESSION_SEEDS = [1969368887];
const SEEDS = process.env.MESHFAB_REDELIVERY_SEED ? [Number(process.env.MESHFAB_REDELIVERY_SEED)] : [randomInt(2 ** 31), ...REGRESSION_SEEDS];

/** Tables that are the machinery of delivery, not a service's state (the inbox is counted apart). */
const MACHINERY = new Set(['migrations', 'events', 'checkpoints', 'inbox', 'dead_letters', 'idempotency_keys']);

/** Generated ids: UUIDs, and prefixed random hex such as an inspection lot's `il_…`. */
const ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[a-z]{1,12}_[0-9a-f]{16,}\b/g;
/** A funding intent's payment reference (random, like an id), as shown (MF-XXXX-XXXX-XXXX) or as matched (MFXXXXXXXXXXXX). */
const PAYMENT_REFERENCE = /\bMF-?[0-9A-Z]{4}-?[0-9A-Z]{4}-?[0-9A-Z]{4}\b/g;
const TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:\d{2})?)?/g;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/**
 * Fields that differ between two correct runs: `content_hash` hashes a transfer's ids and times;
 * `version` is the length of an order's stream, which counts a `LotOffered` only when the offer arrives
 * before the plan that lists the lot (see the order decider), so it depends on arrival order.
 */
const NOT_STATE = new Set(['content_hash', 'version']);
/** Event counts that depend on arrival order for the same reason (orders' LotOffered). */
const ORDER_DEPENDENT_EVENTS = new Set(['orders:LotOffered']);

type Row = Record<string, unknown>;
/** Per service: its tables' rows, its events counted by type, its inbox size and dead letters. */
type Snapshot = Record<string, { tables: Record<string, Row[]>; eventsByType: Record<string, number>; inbox: number; deadLetters: number }>;

interface Run {
  snapshot: Snapshot;
  counts?: Record<string, DeliveryCounts>;
}

/**
 * The three order lives of the network e2e test (order-lifecycle.scenario.ts) with the same members.
 * Most steps follow each other as a user's would (each waits only for what it needs to see), so the
 * events of one step are still on their way while the next one starts. Where an outcome would depend on
 * how fast events travel, the workload first lets the network settle (`settle`): before a plan is made
 * (which workshops and quality records matching knows), before a payout (how much the shop has been
 * paid so far), before the cancellation (it races the release of the next step, and whether settlement
 * hears a lot's pass before or after the order closed changes the statement's entries, not what is paid) and around
 * the deposit that releases an order waiting for funds. The cutting shops differ in price so that no
 * plan depends on a tie between random ids.
 */
async function workload(client: MeshfabClient, settle: () => Promise<void>): Promise<void> {
  const actors: Actors = { operator: OPERATOR };
  const members = new Members(client, actors);
  const orders = new OrderDriver(client, members);
  const clean = () => ({ critical: 0, major: 0, minor: 0 });
  await members.workshop('Yinzhou Cutting Room', 'cutting', 'per_unit', 150, 121.55);
  await members.workshop('Haishu Cutting Works', 'cutting', 'per_unit', 160, 121.5);
  await members.workshop('Beilun Sewing Co-op', 'sewing', 'per_hour', 4000, 121.8);
  // Registered like the workshops, so its id is mapped by role and name between the runs (below).
  await members.inspector('Ningbo Quality Lab');

  // Submission → decline and re-plan → accept → make → inspect (sewing fails once, is reworked) → paid out.
  const ningbo = await members.brand('Ningbo Threads', 0);
  const depositKey = randomUUID();
  await members.deposit(ningbo, 5_000_000, depositKey);
  await members.deposit(ningbo, 5_000_000, depositKey); // a retry: must not deposit twice
  await settle();
  const first = await orders.submit(ningbo);
  const declined = await orders.offer(first, 'cut');
  await client.post(`/matching/offers/${declined.subtaskId}/decline`, declined.token, { reason: 'a cutting table is down this week' });
  const cut = await orders.offer(first, 'cut');
  const sew = await orders.offer(first, 'sew');
  await orders.accept(cut);
  await orders.accept(sew);
  await orders.make(cut, 200);
  await orders.inspect(cut.subtaskId, 0, clean);
  await orders.make(sew, 200);
  await orders.inspect(sew.subtaskId, 0, (n) => ({ critical: 0, major: n, minor: 0 }));
  await eventually('the sewing lot back for rework', () =>
    client.post(`/matching/subtasks/${sew.subtaskId}/complete`, sew.token, { goodQuantity: 200, scrapQuantity: 0 }).then(() => true),
  );
  await orders.inspect(sew.subtaskId, 1, clean);
  await orders.orderStatus(ningbo, first, 'completed');
  await settle();
  const payout = await client.post<{ payoutId: string }>('/settlement/payouts', sew.token, {}, randomUUID());
  await payoutSettled(client, sew.token, payout.payoutId);

  // Cutting passes and is paid; the brand cancels before sewing starts; the rest is refunded.
  const cixi = await members.brand('Cixi Knitwear', 5_000_000);
  await settle();
  const second = await orders.submit(cixi);
  const cut2 = await orders.offer(second, 'cut');
  const sew2 = await orders.offer(second, 'sew');
  await orders.accept(cut2);
  await orders.accept(sew2);
  await orders.make(cut2, 200);
  await orders.inspect(cut2.subtaskId, 0, clean);
  await settle();
  await client.post(`/orders/${second}/cancel`, cixi.token, { reason: 'the collection was dropped' });
  await orders.orderStatus(cixi, second, 'cancelled');

  // Short of funds: the order waits as awaiting_funds until a deposit lets it go on.
  const yuyao = await members.brand('Yuyao Outdoor', 10_000);
  await settle();
  const third = await orders.submit(yuyao);
  const cut3 = await orders.offer(third, 'cut');
  const sew3 = await orders.offer(third, 'sew');
  await orders.accept(cut3);
  await orders.accept(sew3);
  await orders.orderStatus(yuyao, third, 'awaiting_funds');
  await settle();
  await members.deposit(yuyao, 2_000_000);
  await settle();
  await orders.make(cut3, 200);
  await orders.inspect(cut3.subtaskId, 0, clean);
  await orders.make(sew3, 200);
  await orders.inspect(sew3.subtaskId, 0, clean);
  await orders.orderStatus(yuyao, third, 'completed');
}

/** Runs the workload on a fresh network (fresh schemas) and returns every service's end state. */
async function runNetwork(transport?: PerturbedTransport): Promise<Run> {
  const schemas = Object.fromEntries(NETWORK_SERVICES.map((s) => [s.name, uniqueSchema(`redelivery_${s.name}`)]));
  const env = {
    ...Object.fromEntries(NETWORK_SERVICES.map((s) => [`MESHFAB_${s.name.toUpperCase()}_SCHEMA`, schemas[s.name]])),
    DATABASE_URL: testDatabaseUrl(),
    PORT: '0',
    ...testSigningEnv(SECRET),
    MESHFAB_OPERATOR_TOKEN: OPERATOR,
    LOG_LEVEL: 'warn',
    MESHFAB_DB_POOL_SIZE: '5', // small pools: the PostgreSQL is shared with other test files
    MESHFAB_DATA_DIR: '.data/e2e-redelivery',
  };
  const startDay = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const db = new pg.Client({ connectionString: testDatabaseUrl() });
  let host: RunningHost | undefined;
  try {
    await db.connect();
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env, eventBus: transport?.bus });
    await workload(new MeshfabClient(host.url), () => quiescent(db, schemas, transport));
    await quiescent(db, schemas, transport);
    return { snapshot: await snapshot(db, schemas, startDay), counts: transport?.counts() };
  } finally {
    await db.end().catch(() => undefined);
    await host?.stop();
    for (const schema of Object.values(schemas)) await dropSchema(testDatabaseUrl(), schema);
  }
}

/**
 * Waits until every consumer has read every producer's log to its end, nothing is queued or in flight
 * on the perturbing transport, and nothing new was appended anywhere meanwhile.
 */
async function quiescent(db: pg.Client, schemas: Record<string, string>, transport?: PerturbedTransport): Promise<void> {
  const deadline = Date.now() + 60_000;
  let previous = '';
  for (;;) {
    await transport?.idle();
    const heads: string[] = [];
    let caughtUp = true;
    for (const service of NETWORK_SERVICES) {
      for (const producer of service.consumes) {
        const [head] = (await db.query(`SELECT transaction_id::text AS t, global_position::text AS p FROM ${schemas[producer]}.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`)).rows;
        const [read] = (await db.query(`SELECT transaction_id::text AS t, position::text AS p FROM ${schemas[service.name]}.checkpoints WHERE subscription_id = $1`, [`embedded-consumer:${producer}`])).rows;
        if (head && (!read || read.t !== head.t || read.p !== head.p)) caughtUp = false;
        heads.push(`${service.name}<${producer}:${head?.p ?? 0}`);
      }
    }
    const now = heads.join(',');
    if (caughtUp && now === previous) return;
    if (Date.now() > deadline) throw new Error(`the network did not settle: ${now}`);
    previous = caughtUp ? now : '';
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function snapshot(db: pg.Client, schemas: Record<string, string>, startDay: number): Promise<Snapshot> {
  const raw: Record<string, { tables: Record<string, Row[]>; eventsByType: Record<string, number>; inbox: number; deadLetters: number }> = {};
  for (const [service, schema] of Object.entries(schemas)) {
    const tables: Record<string, Row[]> = {};
    const { rows: names } = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`, [schema]);
    for (const { table_name: table } of names as { table_name: string }[]) {
      if (MACHINERY.has(table)) continue;
      // Generated row numbers (identity and serial columns) count inserts across orders: not state.
      const { rows: generated } = await db.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND (is_identity = 'YES' OR column_default LIKE 'nextval%')`,
        [schema, table],
      );
      const { rows } = await db.query(`SELECT to_jsonb(t) AS row FROM ${schema}.${table} t`);
      tables[table] = rows.map(({ row }: { row: Row }) => {
        for (const { column_name } of generated as { column_name: string }[]) delete row[column_name];
        return row;
      });
    }
    if (service === 'settlement') foldPooledShards(tables);
    const { rows: all } = await db.query(`SELECT type, count(*)::int AS n FROM ${schema}.events GROUP BY type ORDER BY type`);
    const types = all.filter((t: { type: string }) => !ORDER_DEPENDENT_EVENTS.has(`${service}:${t.type}`));
    const [{ n: inbox }] = (await db.query(`SELECT count(*)::int AS n FROM ${schema}.inbox`)).rows;
    const [{ n: deadLetters }] = (await db.query(`SELECT count(*)::int AS n FROM ${schema}.dead_letters`)).rows;
    raw[service] = { tables, eventsByType: Object.fromEntries(types.map((t: { type: string; n: number }) => [t.type, t.n])), inbox, deadLetters };
  }
  return normalise(raw, startDay);
}

/**
 * Settlement spreads each pooled account (platform fees, bank clearing) over shards chosen from a hash of
 * the transfer id, and transfer ids hold the run's random ids: which shard took a posting is layout, not
 * state. The pooled account is compared whole: its shards' rows summed into one, legs and lines on it by its id.
 */
function foldPooledShards(tables: Record<string, Row[]>): void {
  const pooled = new Set(['platform_fees', 'bank_clearing']);
  const shards = new Map<string, string>();
  const accounts = new Map<string, Row>();
  for (const row of tables.accounts ?? []) {
    const id = String(row.id);
    if (!pooled.has(String(row.purpose))) {
      accounts.set(id, row);
      continue;
    }
    const whole = id.replace(/:s\d+$/, '');
    shards.set(id, whole);
    const seen = accounts.get(whole);
    accounts.set(whole, seen ? { ...seen, balance: Number(seen.balance) + Number(row.balance) } : { ...row, id: whole });
  }
  if (tables.accounts) tables.accounts = [...accounts.values()];
  const whole = (account: unknown) => shards.get(String(account)) ?? account;
  if (tables.entries_before_legs) tables.entries_before_legs = tables.entries_before_legs.map((e) => ({ ...e, account_id: whole(e.account_id) }));
  // A transfer's legs (in the lock order of the shards they took) as a set of account and amount; the
  // number of its first ledger line counts postings across orders, like the generated row numbers.
  if (tables.transfers) {
    tables.transfers = tables.transfers.map(({ leg_accounts: accounts, leg_amounts: amounts, first_entry_id: _firstLine, ...transfer }) => ({
      ...transfer,
      legs: Array.isArray(accounts) && Array.isArray(amounts) ? accounts.map((account, i) => ({ account: whole(account), amount: amounts[i] })) : null,
    }));
  }
}

/**
 * Makes two runs comparable. Ids are random UUIDs, different in each run: members' ids become their
 * role and name (registry.members), orders' ids the name of their brand (each scenario has its own
 * brand and one order), and every other id (subtasks, lots, transfers, tokens, …) a number given in
 * the order it first appears when the tables are read in a fixed order, their rows sorted by content
 * with those ids masked. Timestamps (the clock of each run) become `<time>`; calendar days (capacity,
 * reservations, due dates) days after the run's first day, `D+n`. Generated row numbers are dropped.
 */
function normalise(raw: Record<string, { tables: Record<string, Row[]> } & Omit<Snapshot[string], 'tables'>>, startDay: number): Snapshot {
  const labels = new Map<string, string>();
  for (const m of raw.registry.tables.members as { member_id: string; role: string; name: string }[]) labels.set(m.member_id, `${m.role}:${m.name}`);
  for (const o of raw.orders.tables.order_summary as { order_id: string; brand_id: string }[]) labels.set(o.order_id, `order-of-${labels.get(o.brand_id)}`);

  const value = (v: unknown, unknownId: (id: string) => string): unknown => {
    if (typeof v === 'string') {
      if (DAY.test(v)) return `D+${Math.round((Date.parse(`${v}T00:00:00Z`) - startDay) / 86_400_000)}`;
      return v
        .replace(TIMESTAMP, '<time>')
        .replace(ID, (id) => labels.get(id) ?? unknownId(id))
        .replace(PAYMENT_REFERENCE, (reference) => {
          const id = reference.replace(/-/g, '');
          return `reference ${labels.get(id) ?? unknownId(id)}`;
        });
    }
    if (Array.isArray(v)) {
      // A list of records (an order's lots) is in the order its events arrived: compared as a set.
      const records = v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
      const sorted = records ? [...v].sort((a, b) => masked(a).localeCompare(masked(b))) : v;
      return sorted.map((x) => value(x, unknownId));
    }
    if (v && typeof v === 'object') {
      const fields = Object.entries(v).filter(([k]) => !NOT_STATE.has(k));
      return Object.fromEntries(fields.sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, value(x, unknownId)]));
    }
    return v;
  };
  const masked = (row: unknown): string => JSON.stringify(value(row, () => '<id>'));
  const out: Snapshot = {};
  for (const service of Object.keys(raw).sort()) {
    const tables: Record<string, Row[]> = {};
    for (const table of Object.keys(raw[service].tables).sort()) {
      const sorted = [...raw[service].tables[table]].sort((a, b) => masked(a).localeCompare(masked(b)));
      tables[table] = sorted.map(
        (row) =>
          value(row, (id) => {
            if (!labels.has(id)) labels.set(id, `#${labels.size}`);
            return labels.get(id)!;
          }) as Row,
      );
    }
    out[service] = { ...raw[service], tables };
  }
  return out;
}

describe('duplicate and reordered delivery', () => {
  let clean: Run;
  beforeAll(async () => {
    clean = await runNetwork();
  }, 300_000);

  describe.each(SEEDS.map((seed) => ({ seed })))('seed $seed (replay with MESHFAB_REDELIVERY_SEED=$seed)', ({ seed }) => {
    let perturbed: Run;
    let transport: PerturbedTransport;

    beforeAll(async () => {
      transport = new PerturbedTransport({ seed, holdBackRate: 0.5, maxHoldBackMs: 40 });
      perturbed = await runNetwork(transport);
    }, 300_000);

    it('ends with every service in the same state as on the clean transport', () => {
      const services = Object.keys(clean.snapshot);
      expect(services).toEqual(['inspection', 'matching', 'orders', 'registry', 'settlement']);
      for (const service of services) expect({ service, deadLetters: perturbed.snapshot[service].deadLetters }).toEqual({ service, deadLetters: 0 });
      expect(perturbed.snapshot).toEqual(clean.snapshot);
    });

    it('did redeliver and reorder for every consumer, and the inboxes suppressed every duplicate', () => {
      const counts = perturbed.counts!;
      process.stdout.write(`redelivery e2e (seed ${seed}): ${JSON.stringify({ totals: transport.totals(), counts })}\n`);
      expect(Object.keys(counts).sort()).toEqual(['inspection', 'matching', 'orders', 'registry', 'settlement']);
      for (const [consumer, c] of Object.entries(counts)) {
        expect({ consumer, handledTwice: c.handledTwice, deadLettered: c.deadLettered }).toEqual({ consumer, handledTwice: 0, deadLettered: 0 });
        expect({ consumer, redelivered: c.redeliveries > 0, reordered: c.overtookSameProducer + c.overtookOtherProducer > 0 }).toEqual({ consumer, redelivered: true, reordered: true });
      }
      const totals = transport.totals();
      expect(totals.duplicates).toBeGreaterThan(0);
      // Each handled event is one inbox row, in both runs alike; every redelivery of a handled event was
      // suppressed (a redelivery of an event without a handler is ignored, not recorded).
      expect(totals.handled).toBe(Object.values(perturbed.snapshot).reduce((sum, s) => sum + s.inbox, 0));
      expect(totals.duplicates + totals.ignored + totals.handled).toBe(totals.events + totals.redeliveries);
      expect(totals.overtookSameProducer).toBeGreaterThan(0);
      expect(totals.overtookOtherProducer).toBeGreaterThan(0);
    });
  });
});
