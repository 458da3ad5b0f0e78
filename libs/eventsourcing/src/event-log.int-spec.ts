import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import type { EntityManager } from 'typeorm';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { CatchUpSubscription, ConcurrencyError, ServiceDatabase, START_OF_LOG, type EventLog, type StoredEvent } from './index.js';

const meta = { correlationId: 'test', causationId: 'test' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The whole feed, as a subscriber reads it: from the start, in batches, in global order. */
async function readFeed(log: EventLog, batchSize = 50): Promise<StoredEvent[]> {
  const read: StoredEvent[] = [];
  let position = START_OF_LOG;
  for (;;) {
    const batch = await log.readAfter(position, batchSize);
    if (batch.length === 0) return read;
    read.push(...batch);
    position = batch[batch.length - 1].globalPosition;
  }
}

/** Stream id → versions in the order the feed gave them. */
function versionsByStream(events: readonly StoredEvent[]): Map<string, number[]> {
  const byStream = new Map<string, number[]>();
  for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.streamVersion]);
  return byStream;
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('event log order under stress (issue 15)', () => {
  const schema = uniqueSchema('event_log');
  let db: ServiceDatabase;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, poolSize: 40 });
    await db.dataSource.query(`CREATE TABLE "${schema}".other_rows (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text)`);
  });
  afterAll(async () => {
    await db.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  /** Runs `work` in a transaction and retries it in a new one on a ConcurrencyError, as command handlers and consumers do. */
  async function withRetry(work: (manager: EntityManager) => Promise<void>, attempts = 50): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        await db.dataSource.transaction(work);
        return attempt;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
        await sleep(Math.random() * 5);
      }
    }
  }

  it('never shows version 2 before version 1 when the writer of version 2 took its transaction id first', async () => {
    const stream = `late-${randomUUID()}`;
    // T1 begins and takes a transaction id (a consumer's inbox row does the same).
    const t1 = db.dataSource.createQueryRunner();
    await t1.connect();
    await t1.startTransaction();
    await t1.query('SELECT pg_current_xact_id()');
    try {
      // T2 appends version 1 and commits.
      await db.store.append(stream, [{ type: 'Numbered', data: { n: 1 } }], { expectedVersion: 0, metadata: meta });
      // T1 appends version 2 and commits — or is refused as a retryable conflict and retried anew.
      let refused = false;
      try {
        await db.store.append(stream, [{ type: 'Numbered', data: { n: 2 } }], { expectedVersion: 1, metadata: meta, manager: t1.manager });
        await t1.commitTransaction();
      } catch (error) {
        expect(error).toBeInstanceOf(ConcurrencyError);
        refused = true;
        await t1.rollbackTransaction();
        await withRetry(async (manager) => {
          await db.store.append(stream, [{ type: 'Numbered', data: { n: 2 } }], { expectedVersion: 1, metadata: meta, manager });
        });
      }
      const feed = await waitFor(async () => {
        const ours = (await readFeed(db.log)).filter((e) => e.streamId === stream);
        return ours.length === 2 ? ours : undefined;
      });
      expect(feed.map((e) => e.streamVersion)).toEqual([1, 2]);
      expect(refused).toBe(true);
    } finally {
      if (t1.isTransactionActive) await t1.rollbackTransaction();
      await t1.release();
    }
  });

  it('keeps every stream in version order, gap-free, under any interleaving of concurrent appenders (property)', async () => {
    const writer = fc.record({
      stream: fc.integer({ min: 0, max: 2 }),
      otherRowsFirst: fc.boolean(),
      events: fc.integer({ min: 1, max: 3 }),
      delayBeforeAppendMs: fc.integer({ min: 0, max: 15 }),
      delayBeforeCommitMs: fc.integer({ min: 0, max: 15 }),
      startAfterMs: fc.integer({ min: 0, max: 10 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(writer, { minLength: 2, maxLength: 12 }), async (writers) => {
        const run = randomUUID().slice(0, 8);
        const streams = [0, 1, 2].map((i) => `shared-${run}-${i}`);
        // A live subscriber reads while the writers run (the xmin/horizon bound is exercised, not only the final order).
        const live: StoredEvent[] = [];
        const subscription = new CatchUpSubscription({
          log: db.log,
          checkpoints: db.checkpoints,
          subscriptionId: `property-${run}`,
          batchSize: 5,
          pollIntervalMs: 1,
          handle: async (events) => {
            live.push(...events.filter((e) => streams.includes(e.streamId)));
          },
        });
        subscription.start();
        let written = 0;
        try {
          await Promise.all(
            writers.map(async (w) => {
              await sleep(w.startAfterMs);
              await withRetry(async (manager) => {
                if (w.otherRowsFirst) await manager.query(`INSERT INTO "${schema}".other_rows (note) VALUES ($1)`, [run]);
                if (w.delayBeforeAppendMs > 0) await manager.query('SELECT pg_sleep($1)', [w.delayBeforeAppendMs / 1000]);
                const events = Array.from({ length: w.events }, (_, k) => ({ type: 'Shared', data: { k } }));
                await db.store.append(streams[w.stream], events, { expectedVersion: 'any', metadata: meta, manager });
                if (w.delayBeforeCommitMs > 0) await manager.query('SELECT pg_sleep($1)', [w.delayBeforeCommitMs / 1000]);
              });
              written += w.events;
            }),
          );
          await waitFor(() => live.length >= written, { timeoutMs: 15_000, message: `${written} events delivered live` });
        } finally {
          await subscription.stop();
        }
        for (const events of [live, (await readFeed(db.log, 7)).filter((e) => streams.includes(e.streamId))]) {
          const byStream = versionsByStream(events);
          for (const [, versions] of byStream) expect(versions).toEqual(oneToN(versions.length));
          expect(events).toHaveLength(written);
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('delivers events while another database of the cluster holds a transaction open for 30 s', async () => {
    // A database of its own in the same cluster (the test database may itself be `postgres`, as on the
    // embedded cluster), dropped at the end.
    const otherName = `meshfab_other_${randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${otherName}`);
    const otherDatabase = new URL(testDatabaseUrl());
    otherDatabase.pathname = `/${otherName}`;
    const holder = new pg.Client({ connectionString: otherDatabase.toString() });
    await holder.connect();
    const appendedAt = new Map<string, number>();
    const latencies: number[] = [];
    const subscription = new CatchUpSubscription({
      log: db.log,
      checkpoints: db.checkpoints,
      subscriptionId: `long-tx-${randomUUID()}`,
      pollIntervalMs: 20,
      handle: async (events) => {
        for (const e of events) {
          const at = appendedAt.get(e.eventId);
          if (at !== undefined) latencies.push(Date.now() - at);
        }
      },
    });
    // Start from the end of the log: only what is appended while the transaction is open counts.
    const existing = await readFeed(db.log, 1000);
    if (existing.length > 0) await db.checkpoints.save(subscription.subscriptionId, existing[existing.length - 1].globalPosition);
    subscription.start();
    const stopNotifying = db.onAppend(() => subscription.notify());
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()'); // holds back the cluster's oldest running transaction id
      const heldSince = Date.now();
      let appended = 0;
      while (Date.now() - heldSince < 30_000) {
        const { events } = await db.store.append(`during-${randomUUID()}`, [{ type: 'WhileHeld', data: {} }], { expectedVersion: 0, metadata: meta });
        appendedAt.set(events[0].eventId, Date.now());
        appended += 1;
        await sleep(500);
      }
      // Before releasing the long transaction, everything appended meanwhile has to be delivered.
      await waitFor(() => latencies.length >= appended, { timeoutMs: 5_000, message: `${appended} events delivered while the transaction was open` });
      const sorted = [...latencies].sort((a, b) => a - b);
      const p50 = sorted[Math.floor(sorted.length / 2)];
      const max = sorted[sorted.length - 1];
      console.log(`delivery latency while another database held a transaction for 30 s: p50 ${p50} ms, max ${max} ms over ${appended} events`);
      expect(max).toBeLessThan(2_000);
    } finally {
      stopNotifying();
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await subscription.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${otherName}`);
      await admin.end();
    }
  }, 90_000);

  it('loses no event when the log is restored into a cluster whose transaction ids are lower than the saved ones', async () => {
    const source = uniqueSchema('restore_from');
    const target = uniqueSchema('restore_into');
    const old = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: source });
    let restored: ServiceDatabase | undefined;
    try {
      const [s1, s2] = [`old-${randomUUID()}`, `old-${randomUUID()}`];
      await old.store.append(s1, [{ type: 'Before', data: {} }, { type: 'Before', data: {} }], { expectedVersion: 0, metadata: meta });
      await old.store.append(s2, [{ type: 'Before', data: {} }], { expectedVersion: 0, metadata: meta });
      let before = 0;
      const subscriber = new CatchUpSubscription({
        log: old.log,
        checkpoints: old.checkpoints,
        subscriptionId: 'relay',
        handle: async (events) => {
          before += events.length;
        },
      });
      await waitFor(async () => (await subscriber.pollOnce(), before >= 3), { timeoutMs: 15_000, message: 'the three old events delivered' });

      // The simulated restore. pg_dump writes xid8 columns as plain numbers and a restore into a fresh
      // cluster keeps them, while that cluster's own counter starts again near zero: every saved id (in
      // events and in checkpoints) is then above any id the new cluster hands out for a long time. We
      // can't reset this cluster's counter, so we move the saved ids up instead: the copy gets the
      // source's rows with transaction ids raised by 2^33 (an old cluster two epochs ahead), global
      // positions kept and the identity sequence set past them, as pg_restore does. The relation the
      // bug depends on — saved ids above every new one — is the same. Then the service starts again.
      const bootstrap = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: target });
      await bootstrap.close();
      const ahead = 2n ** 33n;
      await old.dataSource.query(
        `INSERT INTO "${target}".events OVERRIDING SYSTEM VALUE
           SELECT global_position, (transaction_id::text::numeric + ${ahead})::text::xid8, event_id, stream_id, stream_version, type,
                  schema_version, data, correlation_id, causation_id, occurred_at
           FROM "${source}".events`,
      );
      await old.dataSource.query(
        `INSERT INTO "${target}".checkpoints SELECT subscription_id, (transaction_id::text::numeric + ${ahead})::text::xid8, position, updated_at
         FROM "${source}".checkpoints`,
      );
      await old.dataSource.query(
        `SELECT setval(pg_get_serial_sequence('"${target}".events', 'global_position'), (SELECT max(global_position) FROM "${target}".events))`,
      );
      restored = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: target });

      // New writes after the restore: to an old stream and to a new one.
      const s3 = `new-${randomUUID()}`;
      await restored.store.append(s1, [{ type: 'After', data: {} }], { expectedVersion: 2, metadata: meta });
      await restored.store.append(s3, [{ type: 'After', data: {} }], { expectedVersion: 0, metadata: meta });
      await restored.store.append(s2, [{ type: 'After', data: {} }], { expectedVersion: 1, metadata: meta });

      const delivered: StoredEvent[] = [];
      const resumed = new CatchUpSubscription({
        log: restored.log,
        checkpoints: restored.checkpoints,
        subscriptionId: 'relay',
        handle: async (events) => {
          delivered.push(...events);
        },
      });
      // Reads wait for transactions still running in this database (another test's, say): poll until the three arrive.
      await waitFor(async () => (await resumed.pollOnce(), delivered.length >= 3), { timeoutMs: 15_000, message: 'the three new events delivered' });
      expect(delivered.map((e) => [e.streamId, e.streamVersion, e.type])).toEqual([
        [s1, 3, 'After'],
        [s3, 1, 'After'],
        [s2, 2, 'After'],
      ]);
      const feed = await readFeed(restored.log);
      expect(Object.fromEntries(versionsByStream(feed))).toEqual({ [s1]: [1, 2, 3], [s2]: [1, 2], [s3]: [1] });
    } finally {
      await old.close();
      await restored?.close();
      await dropSchema(testDatabaseUrl(), source);
      await dropSchema(testDatabaseUrl(), target);
    }
  }, 60_000);
});
