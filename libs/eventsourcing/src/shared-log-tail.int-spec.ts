// One reader of a log for every subscription of the process (issue 20): on a real PostgreSQL, several
// subscriptions reading through one SharedLogTail get every event once, in the log's global order, as
// they would reading the log each on its own — with concurrent writers, an older transaction that
// commits late, a subscriber far behind, a read that fails — and the log is read once per commit, not
// once per subscriber.
import { randomUUID } from 'node:crypto';
import { dropSchema, steadyLog, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { CatchUpSubscription, compareGlobalPositions, ServiceDatabase, SharedLogTail, START_OF_LOG, type EventLog, type GlobalPosition, type StoredEvent } from './index.js';

const meta = { correlationId: 'test', causationId: 'test' };


describe('SharedLogTail (real PostgreSQL)', () => {
  const schema = uniqueSchema('log_tail');
  let db: ServiceDatabase;
  let checkpointNo = 0;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, poolSize: 12 });
  });
  afterAll(async () => {
    await db.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const append = (stream: string, n: number, expectedVersion: number) =>
    db.store.append(stream, [{ type: 'Numbered', data: { n } }], { expectedVersion, metadata: meta });

  /** Everything in the log after `from`, read directly (the reference). */
  async function readAll(from: GlobalPosition = START_OF_LOG): Promise<StoredEvent[]> {
    const all: StoredEvent[] = [];
    let position = from;
    for (;;) {
      const { events } = await steadyLog(db.log).readUpToHorizon(position, 100);
      if (events.length === 0) return all;
      all.push(...events);
      position = events[events.length - 1].globalPosition;
    }
  }

  /** `count` subscriptions through `tail`, each recording what it was handed, woken on `committed`. */
  function subscribe(tail: SharedLogTail, count: number) {
    const got = Array.from({ length: count }, () => [] as StoredEvent[]);
    const subscriptions = got.map(
      (into) =>
        new CatchUpSubscription({
          log: tail,
          checkpoints: db.checkpoints,
          subscriptionId: `tail-${++checkpointNo}-${randomUUID()}`,
          pollIntervalMs: 50,
          batchSize: 7,
          handle: async (events) => {
            into.push(...events);
          },
        }),
    );
    subscriptions.forEach((s) => s.start());
    const wake = () => {
      tail.committed();
      subscriptions.forEach((s) => s.notify());
    };
    return { got, wake, stop: () => Promise.all(subscriptions.map((s) => s.stop())) };
  }

  const ids = (events: readonly StoredEvent[]) => events.map((e) => e.eventId);

  it('hands every subscriber every event once, in global order, with 8 concurrent writers, reading the log far less than once per subscriber', async () => {
    const before = await readAll();
    const tail = new SharedLogTail(db.log);
    const { got, wake, stop } = subscribe(tail, 4);
    const prefix = `w-${randomUUID()}`;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let v = 0; v < 25; v++) {
          await append(`${prefix}-${w}`, v + 1, v);
          wake();
        }
      }),
    );
    const expected = ids((await readAll()).slice(before.length));
    expect(expected).toHaveLength(200);
    await waitFor(() => got.every((g) => g.length >= before.length + 200), { timeoutMs: 20_000, message: 'every subscriber caught up' });
    await stop();
    for (const g of got) {
      expect(ids(g.slice(before.length))).toEqual(expected);
      for (let i = 1; i < g.length; i++) expect(compareGlobalPositions(g[i - 1].globalPosition, g[i].globalPosition)).toBeLessThan(0);
    }
    // Each read of the log served several subscribers (each reading on its own reads once per wake-up).
    expect(tail.stats.served).toBeGreaterThanOrEqual(2 * tail.stats.logReads);
  });

  it('never skips an older transaction that commits after younger ones were handed out', async () => {
    const tail = new SharedLogTail(db.log);
    const start = (await readAll()).length;
    const { got, wake, stop } = subscribe(tail, 3);
    // Caught up with the log first, so the check below sees holding back, not a slow catch-up (a loaded
    // machine took longer than its 300 ms to hand out the earlier tests' events).
    await waitFor(() => got.every((g) => g.length === start), { timeoutMs: 10_000, message: 'the subscribers caught up with the log' });
    const stream = `late-${randomUUID()}`;
    // The older transaction takes its id and appends, but does not commit yet.
    const older = db.dataSource.createQueryRunner();
    await older.connect();
    await older.startTransaction();
    await older.query('SELECT pg_current_xact_id()');
    await db.store.append(`${stream}-old`, [{ type: 'Numbered', data: { n: 0 } }], { expectedVersion: 0, metadata: meta, manager: older.manager });
    for (let v = 0; v < 5; v++) {
      await append(stream, v + 1, v);
      wake();
    }
    // Held back behind the older transaction: nobody has the younger events yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got.every((g) => g.length === start)).toBe(true);
    await older.commitTransaction();
    await older.release();
    wake();
    await waitFor(() => got.every((g) => g.length === start + 6), { timeoutMs: 10_000, message: 'the held events passed' });
    await stop();
    const expected = ids((await readAll()).slice(start));
    for (const g of got) expect(ids(g.slice(start))).toEqual(expected);
    expect(got[0][start].streamId).toBe(`${stream}-old`);
  });

  it('serves a subscriber far behind from the log itself, and one that asks right after a commit with the new event', async () => {
    const prefix = `far-${randomUUID()}`;
    const first = (await readAll()).length;
    for (let v = 0; v < 30; v++) await append(prefix, v + 1, v);
    const all = await readAll();
    // The horizon's hold is the second case's subject; here other work on the shared database must not
    // hold events back from the tail's reads.
    const tail = new SharedLogTail(steadyLog(db.log), { capacity: 10, readSize: 10, reuseMs: 60_000 });
    // A reader near the end anchors the run there; one at the start is behind it.
    const near = all[all.length - 3].globalPosition;
    expect(ids((await tail.readUpToHorizon(near, 50)).events)).toEqual(ids(all.slice(-2)));
    const behind = await tail.readUpToHorizon(all[first].globalPosition, 5);
    expect(ids(behind.events)).toEqual(ids(all.slice(first + 1, first + 6)));
    expect(tail.stats.bypassed).toBe(1);
    // Caught up and idle: a second ask within reuseMs costs no read ...
    const reads = tail.stats.logReads;
    expect((await tail.readUpToHorizon(all[all.length - 1].globalPosition, 5)).events).toEqual([]);
    expect((await tail.readUpToHorizon(all[all.length - 1].globalPosition, 5)).events).toEqual([]);
    expect(tail.stats.logReads).toBe(reads);
    // ... but after a commit announced, it reads again and hands the new event out.
    await append(prefix, 31, 30);
    tail.committed();
    const fresh = await tail.readUpToHorizon(all[all.length - 1].globalPosition, 5);
    expect(fresh.events.map((e) => e.data)).toEqual([{ n: 31 }]);
    // Handed-out events are shared by every subscriber: frozen under test.
    expect(Object.isFrozen(fresh.events[0].data)).toBe(true);
  });

  it('a read of the log that fails fails its waiters once, and the next read goes on', async () => {
    let failNext = true;
    const flaky = {
      readUpToHorizon: (position: GlobalPosition, limit: number) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('connection reset'));
        }
        return steadyLog(db.log).readUpToHorizon(position, limit);
      },
    } as unknown as EventLog;
    const tail = new SharedLogTail(flaky);
    const prefix = `flaky-${randomUUID()}`;
    const before = await readAll();
    const at = before[before.length - 1].globalPosition;
    tail.committed();
    await expect(tail.readUpToHorizon(at, 5)).rejects.toThrow('connection reset');
    await append(prefix, 1, 0);
    tail.committed();
    const next = await tail.readUpToHorizon(at, 5);
    expect(next.events.map((e) => e.streamId)).toEqual([prefix]);
  });
});
