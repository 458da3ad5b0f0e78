// When a catch-up subscription saves its checkpoint (issue 20: one statement and one commit per consumer
// batch was 10 % of the pipeline's statements). With checkpointIntervalMs, a subscription saves at most
// that often (also once caught up: at its next idle poll after the interval) and always when it stops;
// after a crash it hands again only what it handled since its last save, never skips.
import { randomUUID } from 'node:crypto';
import { dropSchema, steadyLog, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { CatchUpSubscription, ServiceDatabase, type StoredEvent } from './index.js';

const meta = { correlationId: 'test', causationId: 'test' };


describe('CatchUpSubscription checkpoints (real PostgreSQL)', () => {
  const schema = uniqueSchema('catch_up');
  let db: ServiceDatabase;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, poolSize: 6 });
  });
  afterAll(async () => {
    await db.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  async function appendMany(n: number): Promise<void> {
    const stream = `s-${randomUUID()}`;
    for (let v = 0; v < n; v++) await db.store.append(stream, [{ type: 'Numbered', data: { n: v } }], { expectedVersion: v, metadata: meta });
  }

  const subscription = (id: string, into: StoredEvent[], checkpointIntervalMs?: number) =>
    new CatchUpSubscription({ log: steadyLog(db.log), checkpoints: db.checkpoints, subscriptionId: id, batchSize: 3, pollIntervalMs: 20, checkpointIntervalMs, handle: async (events) => void into.push(...events) });

  it('saves after every batch by default', async () => {
    const id = `every-${randomUUID()}`;
    await appendMany(6);
    const got: StoredEvent[] = [];
    const sub = subscription(id, got);
    // Everything before this test's events was there already: start from the end of the log as it was.
    while ((await sub.pollOnce()) > 0) expect(await db.checkpoints.load(id)).toEqual(got[got.length - 1].globalPosition);
  });

  it('with an interval, saves at most that often, once caught up after the interval, and when stopped', async () => {
    const id = `interval-${randomUUID()}`;
    const got: StoredEvent[] = [];
    const sub = subscription(id, got, 400);
    while ((await sub.pollOnce()) > 0); // catch up with what earlier tests wrote (the first batch is saved)
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await sub.pollOnce()).toBe(0); // caught up, the interval passed: saved
    const caughtUp = await db.checkpoints.load(id);
    expect(caughtUp).toEqual(got[got.length - 1].globalPosition);
    await appendMany(7);
    const before = got.length;
    expect(await sub.pollOnce()).toBe(3);
    expect(await sub.pollOnce()).toBe(3);
    expect(await sub.pollOnce()).toBe(1);
    expect(await sub.pollOnce()).toBe(0);
    // Within the interval: not saved, busy or caught up.
    expect(await db.checkpoints.load(id)).toEqual(caughtUp);
    // A crash now: a new subscription from the saved checkpoint hands the 7 again, skips nothing.
    const again: StoredEvent[] = [];
    const restarted = subscription(id, again, 400);
    while ((await restarted.pollOnce()) > 0);
    expect(again.map((e) => e.eventId)).toEqual(got.slice(before).map((e) => e.eventId));
    // The first subscription, idle past the interval, saves at its next poll.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await sub.pollOnce()).toBe(0);
    expect(await db.checkpoints.load(id)).toEqual(got[got.length - 1].globalPosition);

    // Stopping while busy saves what was handled.
    const id2 = `stop-${randomUUID()}`;
    const got2: StoredEvent[] = [];
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = new CatchUpSubscription({
      log: steadyLog(db.log),
      checkpoints: db.checkpoints,
      subscriptionId: id2,
      batchSize: 3,
      pollIntervalMs: 20,
      checkpointIntervalMs: 60_000,
      handle: async (events) => {
        got2.push(...events);
        if (got2.length > 3) await gate; // the second batch is in hand when stop() is called
      },
    });
    running.start(); // from the start of the log: batches of 3 of what earlier tests wrote
    await waitFor(() => got2.length > 3, { timeoutMs: 5000, message: 'the second batch is in hand' });
    const stopped = running.stop();
    release();
    await stopped;
    expect(await db.checkpoints.load(id2)).toEqual(got2[got2.length - 1].globalPosition);
  });
});
