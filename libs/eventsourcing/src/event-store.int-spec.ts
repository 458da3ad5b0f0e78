import { randomUUID } from 'node:crypto';
import type { Decider, DomainEvent } from '#libs/domain';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import {
  CatchUpSubscription,
  CommandHandler,
  ConcurrencyError,
  rebuildProjection,
  ServiceDatabase,
  type Projection,
  type StoredEvent,
} from './index.js';

const meta = { correlationId: 'test', causationId: 'test' };

describe('event store on PostgreSQL', () => {
  const schema = uniqueSchema('es');
  let db: ServiceDatabase;

  beforeAll(async () => {
    db = await ServiceDatabase.open({
      url: testDatabaseUrl(),
      schema,
      poolSize: 60,
      upcasters: [{ type: 'ThingRenamed', fromVersion: 1, upcast: (d) => ({ name: d.title, renamedBy: 'unknown' }) }],
    });
  });
  afterAll(async () => {
    await db.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('appends events to a stream with consecutive versions and reads them back with their envelope', async () => {
    const stream = `thing-${randomUUID()}`;
    const first = await db.store.append(stream, [{ type: 'ThingCreated', data: { name: 'a' } }], { expectedVersion: 0, metadata: meta });
    const second = await db.store.append(
      stream,
      [
        { type: 'ThingRenamed', data: { name: 'b' } },
        { type: 'ThingRenamed', data: { name: 'c' } },
      ],
      { expectedVersion: 1, metadata: { correlationId: 'order-1', causationId: 'cmd-2' } },
    );
    expect(first.nextExpectedVersion).toBe(1);
    expect(second.nextExpectedVersion).toBe(3);
    const events = await db.store.readStream(stream);
    expect(events.map((e) => [e.streamVersion, e.type, e.data])).toEqual([
      [1, 'ThingCreated', { name: 'a' }],
      [2, 'ThingRenamed', { name: 'b' }],
      [3, 'ThingRenamed', { name: 'c' }],
    ]);
    expect(events[2]).toMatchObject({ streamId: stream, correlationId: 'order-1', causationId: 'cmd-2', schemaVersion: 2 });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3);
  });

  it('gives back the time an event occurred as the ISO 8601 string it was appended with, in the log and in its stream, whatever the session time zone', async () => {
    const stream = `thing-${randomUUID()}`;
    const times = ['2026-12-06T00:00:00.000Z', '2026-03-28T23:30:00.001Z', '1999-12-31T23:59:59.999Z'];
    await db.store.append(stream, times.map((t) => ({ type: 'ThingCreated', data: { name: t }, occurredAt: new Date(t) })), { expectedVersion: 0, metadata: meta });
    const url = new URL(testDatabaseUrl());
    url.searchParams.set('options', '-c timezone=Asia/Shanghai');
    const zoned = await ServiceDatabase.open({ url: url.toString(), schema, poolSize: 2 });
    try {
      expect((await zoned.dataSource.query('SHOW timezone'))[0].TimeZone).toBe('Asia/Shanghai');
      expect((await zoned.store.readStream(stream)).map((e) => e.occurredAt)).toEqual(times);
      // The log hands an event over once no older transaction runs (other tests share the database).
      const inLog: string[] = [];
      for (let position = { transactionId: '0', position: '0' }; inLog.length < times.length; ) {
        const { events, heldBack } = await zoned.log.readUpToHorizon(position, 1000);
        inLog.push(...events.filter((e) => e.streamId === stream).map((e) => e.occurredAt));
        if (events.length > 0) position = events[events.length - 1].globalPosition;
        else if (heldBack) await new Promise((resolve) => setTimeout(resolve, 20));
        else break;
      }
      expect(inLog).toEqual(times);
    } finally {
      await zoned.close();
    }
  });

  it('refuses an append whose expected version is stale or ahead, storing nothing', async () => {
    const stream = `thing-${randomUUID()}`;
    await db.store.append(stream, [{ type: 'ThingCreated', data: { name: 'a' } }], { expectedVersion: 0, metadata: meta });
    await expect(db.store.append(stream, [{ type: 'X', data: {} }], { expectedVersion: 0, metadata: meta })).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(db.store.append(stream, [{ type: 'X', data: {} }], { expectedVersion: 5, metadata: meta })).rejects.toMatchObject({
      name: 'ConcurrencyError',
      actualVersion: 1,
    });
    expect(await db.store.streamVersion(stream)).toBe(1);
  });

  it('lets exactly one of 50 concurrent appends with the same expected version succeed, without gaps or duplicates', async () => {
    const stream = `race-${randomUUID()}`;
    await db.store.append(stream, [{ type: 'ThingCreated', data: { name: 'start' } }], { expectedVersion: 0, metadata: meta });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        db.store.append(
          stream,
          [
            { type: 'ThingRenamed', data: { name: `w${i}` } },
            { type: 'ThingRenamed', data: { name: `w${i}-again` } },
          ],
          { expectedVersion: 1, metadata: meta },
        ),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const r of lost) expect(r.reason).toBeInstanceOf(ConcurrencyError);
    const events = await db.store.readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(events[1].data.name).toEqual(`${String(events[2].data.name).replace('-again', '')}`);
  });

  it('appends with expected version "any" under contention without overwriting', async () => {
    const stream = `any-${randomUUID()}`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => db.store.append(stream, [{ type: 'Tick', data: { i } }], { expectedVersion: 'any', metadata: meta })),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConcurrencyError);
    const events = await db.store.readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: ok }, (_, i) => i + 1));
  });

  describe('starting several streams in one statement', () => {
    const started = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        streamId: `${prefix}-${randomUUID()}`,
        events: Array.from({ length: i + 1 }, (_, k) => ({ type: k === 0 ? 'ThingCreated' : 'ThingRenamed', data: { name: `${i}.${k}` } })),
      }));

    it('writes each stream from version 1, in the order given, all in one transaction', async () => {
      const streams = started('new', 4);
      const results = await db.store.startStreams(streams, { metadata: meta });
      expect(results.map((r) => r.nextExpectedVersion)).toEqual([1, 2, 3, 4]);
      for (const [i, { streamId, events }] of streams.entries()) {
        const read = await db.store.readStream(streamId);
        expect(read.map((e) => [e.streamVersion, e.type, e.data.name, e.correlationId])).toEqual(events.map((e, k) => [k + 1, e.type, e.data.name, 'test']));
        expect(results[i].events.map((e) => e.eventId)).toEqual(read.map((e) => e.eventId));
      }
      // One statement on the pool: one transaction id, positions in the order given.
      const all = results.flatMap((r) => r.events);
      expect(new Set(all.map((e) => e.globalPosition.transactionId)).size).toBe(1);
      const positions = all.map((e) => BigInt(e.globalPosition.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    });

    it('refuses them all when one of the streams exists already, naming it, and stores nothing', async () => {
      const streams = started('clash', 3);
      await db.store.append(streams[1].streamId, [{ type: 'ThingCreated', data: { name: 'first' } }], { expectedVersion: 0, metadata: meta });
      await expect(db.store.startStreams(streams, { metadata: meta })).rejects.toMatchObject({ name: 'ConcurrencyError', streamId: streams[1].streamId });
      expect(await db.store.streamVersion(streams[0].streamId)).toBe(0);
      expect(await db.store.streamVersion(streams[2].streamId)).toBe(0);
      expect((await db.store.readStream(streams[1].streamId)).map((e) => e.data.name)).toEqual(['first']);
    });

    it('lets exactly one of 20 concurrent starts of the same stream land, whole', async () => {
      const contested = `contested-${randomUUID()}`;
      const attempts = Array.from({ length: 20 }, (_, i) => [
        { streamId: `own-${i}-${randomUUID()}`, events: [{ type: 'ThingCreated', data: { name: `own ${i}` } }] },
        { streamId: contested, events: [{ type: 'ThingCreated', data: { name: `w${i}` } }, { type: 'ThingRenamed', data: { name: `w${i}-again` } }] },
      ]);
      const outcomes = await Promise.allSettled(attempts.map((streams) => db.store.startStreams(streams, { metadata: meta })));
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConcurrencyError);
      expect((await db.store.readStream(contested)).map((e) => e.data.name)).toEqual([`w${won[0]}`, `w${won[0]}-again`]);
      for (const [i, [own]] of attempts.entries()) expect(await db.store.streamVersion(own.streamId)).toBe(i === won[0] ? 1 : 0);
    });

    it("joins the caller's transaction: rolled back with it, and local readers woken once at its commit", async () => {
      let wakes = 0;
      const stop = db.onAppend(() => (wakes += 1));
      try {
        const kept = started('tx', 2);
        await db.dataSource.transaction(async (manager) => {
          await db.store.startStreams(kept, { metadata: meta, manager });
          expect(wakes).toBe(0);
        });
        expect(wakes).toBe(1);
        const dropped = started('tx-dropped', 2);
        await expect(
          db.dataSource.transaction(async (manager) => {
            await db.store.startStreams(dropped, { metadata: meta, manager });
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect(wakes).toBe(1);
        for (const { streamId } of kept) expect(await db.store.streamVersion(streamId)).toBeGreaterThan(0);
        for (const { streamId } of dropped) expect(await db.store.streamVersion(streamId)).toBe(0);
      } finally {
        stop();
      }
    });

    it('refuses a stream named twice or given no events before writing anything', async () => {
      const [a] = started('twice', 1);
      await expect(db.store.startStreams([a, a], { metadata: meta })).rejects.toThrow(/twice/);
      await expect(db.store.startStreams([a, { streamId: `empty-${randomUUID()}`, events: [] }], { metadata: meta })).rejects.toThrow(/no events/);
      expect(await db.store.streamVersion(a.streamId)).toBe(0);
    });
  });

  it('upcasts old event shapes when reading', async () => {
    const stream = `old-${randomUUID()}`;
    // Write a version-1 shape directly, as an older release of the code would have.
    await db.dataSource.query(
      `INSERT INTO "${schema}".events (event_id, stream_id, stream_version, type, schema_version, data, correlation_id, causation_id, occurred_at)
       VALUES ($1, $2, 1, 'ThingRenamed', 1, '{"title":"legacy"}', 'c', 'c', now())`,
      [randomUUID(), stream],
    );
    const [event] = await db.store.readStream(stream);
    expect(event).toMatchObject({ schemaVersion: 2, data: { name: 'legacy', renamedBy: 'unknown' } });
  });

  it('orders the global log by transaction id numerically, not as text (xid 9 before xid 10)', async () => {
    const other = uniqueSchema('order');
    const store = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: other });
    try {
      for (const [tx, n] of [['10', 1], ['9', 2], ['10', 3], ['100', 4], ['9', 5]] as const) {
        await store.dataSource.query(
          `INSERT INTO "${other}".events (transaction_id, event_id, stream_id, stream_version, type, data, correlation_id, causation_id, occurred_at)
           VALUES ($1::text::xid8, $2, $3, 1, 'Numbered', $4, 'c', 'c', now())`,
          [tx, randomUUID(), `n-${n}`, JSON.stringify({ n })],
        );
      }
      const seen: number[] = [];
      let position = { transactionId: '0', position: '0' };
      for (;;) {
        const batch = await store.log.readAfter(position, 2);
        if (batch.length === 0) break;
        seen.push(...batch.map((e) => Number(e.data.n)));
        position = batch[batch.length - 1].globalPosition;
      }
      expect(seen).toEqual([2, 5, 1, 3, 4]);
    } finally {
      await store.close();
      await dropSchema(testDatabaseUrl(), other);
    }
  });

  it('never lets a subscriber skip an event that commits late (8 writers with delayed commits)', async () => {
    const written = new Set<string>();
    const read: StoredEvent[] = [];
    const subscription = new CatchUpSubscription({
      log: db.log,
      checkpoints: db.checkpoints,
      subscriptionId: `gapless-${randomUUID()}`,
      batchSize: 7,
      pollIntervalMs: 2,
      handle: async (events) => {
        read.push(...events.filter((e) => e.type === 'Gapless'));
      },
    });
    subscription.start();
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 25; i++) {
        const delay = (w * 7 + i * 13) % 5 === 0 ? 0.05 : Math.random() * 0.01;
        await db.dataSource.transaction(async (manager) => {
          const { events } = await db.store.append(`writer-${w}-${randomUUID()}`, [{ type: 'Gapless', data: { w, i } }], {
            expectedVersion: 0,
            metadata: meta,
            manager,
          });
          await manager.query('SELECT pg_sleep($1)', [delay]); // commit late, after others have committed
          events.forEach((e) => written.add(e.eventId));
        });
      }
    });
    await Promise.all(writers);
    const deadline = Date.now() + 20000;
    while (read.length < written.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await subscription.stop();
    const ids = read.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates
    expect(new Set(ids)).toEqual(written); // nothing missed
  });

  it('records handled event ids in the inbox so a redelivered event changes nothing', async () => {
    const eventId = randomUUID();
    let effects = 0;
    const deliveries = await Promise.all(
      Array.from({ length: 5 }, () =>
        db.inbox.handleOnce('tester', eventId, async (manager) => {
          await manager.query('SELECT 1');
          effects += 1;
          return 'done';
        }),
      ),
    );
    expect(effects).toBe(1);
    expect(deliveries.filter((d) => d.handled)).toHaveLength(1);
    // An effect that fails rolls the inbox record back, so the event can be handled again.
    const other = randomUUID();
    await expect(db.inbox.handleOnce('tester', other, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await db.inbox.wasHandled('tester', other)).toBe(false);
  });

  it("runs nothing for an event of a stream the consumer has parked, in the same claim as the duplicate check", async () => {
    const parkedStream = `thing-${randomUUID()}`;
    await db.deadLetters.record({ consumer: 'parker', source: 'test', eventId: randomUUID(), type: 'ThingCreated', streamId: parkedStream, payload: {}, reason: 'test', attempts: 5, status: 'parked' });
    let effects = 0;
    const effect = async () => {
      effects += 1;
    };
    expect(await db.inbox.handleOnce('parker', randomUUID(), effect, { unlessParked: parkedStream })).toEqual({ handled: false, parked: true });
    // Another consumer, another stream, or no check asked for: handled.
    expect((await db.inbox.handleOnce('other', randomUUID(), effect, { unlessParked: parkedStream })).handled).toBe(true);
    expect((await db.inbox.handleOnce('parker', randomUUID(), effect, { unlessParked: `thing-${randomUUID()}` })).handled).toBe(true);
    expect((await db.inbox.handleOnce('parker', randomUUID(), effect)).handled).toBe(true);
    expect(effects).toBe(3);
  });

  it('wakes local readers when an append commits, not before, and never for one rolled back', async () => {
    let wakes = 0;
    const stop = db.onAppend(() => (wakes += 1));
    try {
      await db.store.append(`thing-${randomUUID()}`, [{ type: 'ThingCreated', data: { name: 'a' } }], { expectedVersion: 0, metadata: meta });
      expect(wakes).toBe(1);
      await db.dataSource.transaction(async (manager) => {
        await db.store.append(`thing-${randomUUID()}`, [{ type: 'ThingCreated', data: { name: 'b' } }], { expectedVersion: 0, metadata: meta, manager });
        await db.store.append(`thing-${randomUUID()}`, [{ type: 'ThingCreated', data: { name: 'c' } }], { expectedVersion: 0, metadata: meta, manager });
        expect(wakes).toBe(1);
      });
      expect(wakes).toBe(2);
      await expect(
        db.dataSource.transaction(async (manager) => {
          await db.store.append(`thing-${randomUUID()}`, [{ type: 'ThingCreated', data: { name: 'd' } }], { expectedVersion: 0, metadata: meta, manager });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(wakes).toBe(2);
    } finally {
      stop();
    }
  });

  it('tells a reader when an older transaction still running holds committed events back', async () => {
    const start = await db.store.append(`thing-${randomUUID()}`, [{ type: 'ThingCreated', data: { name: 'start' } }], { expectedVersion: 0, metadata: meta });
    const from = start.events[0].globalPosition;
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await db.store.append(`thing-${randomUUID()}`, [{ type: 'ThingCreated', data: { name: 'older' } }], { expectedVersion: 0, metadata: meta, manager: runner.manager });
      const younger = await db.store.append(`thing-${randomUUID()}`, [{ type: 'ThingCreated', data: { name: 'younger' } }], { expectedVersion: 0, metadata: meta });
      const held = await db.log.readUpToHorizon(from, 100);
      expect(held.events.map((e) => e.eventId)).not.toContain(younger.events[0].eventId);
      expect(held.heldBack).toBe(true);
      await runner.commitTransaction();
      // Other transactions of the database (other schemas' tests) may hold the horizon a moment longer.
      const passed = await waitFor(async () => {
        const read = await db.log.readUpToHorizon(from, 100);
        return read.heldBack ? undefined : read;
      });
      expect(passed.events.map((e) => e.data.name)).toEqual(expect.arrayContaining(['older', 'younger']));
    } finally {
      await runner.release();
    }
  });

  it('answers a repeated Idempotency-Key with the stored response and refuses it for a different request', async () => {
    let runs = 0;
    const effect = async () => ({ status: 201, body: { id: `n${++runs}` } });
    const first = await db.idempotency.run('deposit', 'key-1', { amount: 100 }, effect);
    const again = await db.idempotency.run('deposit', 'key-1', { amount: 100 }, effect);
    expect(first).toEqual({ status: 201, body: { id: 'n1' }, replayed: false });
    expect(again).toEqual({ status: 201, body: { id: 'n1' }, replayed: true });
    await expect(db.idempotency.run('deposit', 'key-1', { amount: 999 }, effect)).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    expect(runs).toBe(1);
  });

  describe('command handling through a decider', () => {
    type Counter = { total: number; opened: boolean };
    type CounterEvent = DomainEvent<'CounterOpened', { limit: number }> | DomainEvent<'CounterAdded', { amount: number }>;
    type CounterCommand = { type: 'Open' } | { type: 'Add'; amount: number };
    const counter: Decider<Counter, CounterCommand, CounterEvent> = {
      initialState: () => ({ total: 0, opened: false }),
      decide: (command, state) => {
        switch (command.type) {
          case 'Open':
            return state.opened ? [] : [{ type: 'CounterOpened', data: { limit: 1000 } }];
          case 'Add':
            if (!state.opened) throw new Error('not opened');
            return [{ type: 'CounterAdded', data: { amount: command.amount } }];
        }
      },
      evolve: (state, event) => {
        switch (event.type) {
          case 'CounterOpened':
            return { ...state, opened: true };
          case 'CounterAdded':
            return { ...state, total: state.total + event.data.amount };
        }
      },
    };
    const totals: Projection = {
      name: 'counter-totals',
      handles: ['CounterAdded'],
      apply: async (event, manager) => {
        await manager.query(
          `INSERT INTO "${schema}".counter_totals (stream_id, total) VALUES ($1, $2)
           ON CONFLICT (stream_id) DO UPDATE SET total = counter_totals.total + excluded.total`,
          [event.streamId, (event.data as { amount: number }).amount],
        );
      },
      reset: async (manager) => {
        await manager.query(`TRUNCATE "${schema}".counter_totals`);
      },
    };

    beforeAll(async () => {
      await db.dataSource.query(`CREATE TABLE "${schema}".counter_totals (stream_id text PRIMARY KEY, total bigint NOT NULL)`);
    });

    it('retries concurrent commands on conflict so every one lands exactly once, projecting inline', async () => {
      const handler = new CommandHandler(db.dataSource, db.store, counter, { projections: [totals], maxRetries: 50 });
      const stream = `counter-${randomUUID()}`;
      await handler.handle(stream, { type: 'Open' }, { metadata: meta });
      await Promise.all(Array.from({ length: 20 }, (_, i) => handler.handle(stream, { type: 'Add', amount: i + 1 }, { metadata: meta })));
      const { state, version } = await handler.load(stream);
      expect(state.total).toBe(210);
      expect(version).toBe(21);
      const [row] = await db.dataSource.query(`SELECT total::int AS total FROM "${schema}".counter_totals WHERE stream_id = $1`, [stream]);
      expect(row.total).toBe(210);
      // A rebuild from the start of the log arrives at the same read model.
      await db.dataSource.query(`UPDATE "${schema}".counter_totals SET total = -1`);
      await rebuildProjection(db.dataSource, db.log, totals);
      const [rebuilt] = await db.dataSource.query(`SELECT total::int AS total FROM "${schema}".counter_totals WHERE stream_id = $1`, [stream]);
      expect(rebuilt.total).toBe(210);
    });

    it('does not retry when the command says it must not, and reports the conflict', async () => {
      const handler = new CommandHandler(db.dataSource, db.store, counter);
      const stream = `counter-${randomUUID()}`;
      await handler.handle(stream, { type: 'Open' }, { metadata: meta });
      await expect(handler.handle(stream, { type: 'Add', amount: 1 }, { metadata: meta, expectedVersion: 0, retryOnConflict: false })).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect((await handler.load(stream)).state.total).toBe(0);
    });
  });
});
