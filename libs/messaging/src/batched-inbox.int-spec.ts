// One inbox transaction per batch of consumed events (EventDispatcher.dispatchAll, Inbox.handleBatch),
// against a real PostgreSQL: a clean batch commits once; anything wrong in it rolls it back and its events
// go one by one through the per-event path, so every effect is applied exactly once whatever happens.
import { randomUUID } from 'node:crypto';
import type { MessageHandler } from '@nestjs/microservices';
import { IsInt, IsString } from 'class-validator';
import { IntegrationEvent, type EventEnvelope } from '#libs/contracts';
import { ConcurrencyError, START_OF_LOG, ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema, waitFor } from '#libs/testing';
import { EventDispatcher, dispatchTallies, type DispatchOutcome } from './event-dispatcher.js';
import type { EventContext } from './event-context.js';

class PartCutContract {
  @IsString() part!: string;
  @IsInt() n!: number;
}
IntegrationEvent('cutting', 'PartCut')(PartCutContract);

const RETRY = { maxAttempts: 3, initialBackoffMs: 1 };

function partCut(n: number, streamId = `part-${n}`, streamVersion = 1): EventEnvelope<PartCutContract> {
  return {
    eventId: randomUUID(),
    type: 'PartCut',
    schemaVersion: 1,
    streamId,
    streamVersion,
    occurredAt: new Date().toISOString(),
    correlationId: 'c',
    causationId: 'c',
    data: { part: `p${n}`, n },
  };
}

describe('one inbox transaction per batch of consumed events', () => {
  const schema = uniqueSchema('batched');
  let db: ServiceDatabase;
  /** Each call of the handler: which event, in which transaction. */
  let calls: { n: number; xid: string }[];
  /** What the handler does besides recording its effect (a failure, a kill), by event number. */
  let before: Map<number, (ctx: EventContext) => Promise<void>>;
  let letters: { reason: string; attempts: number }[];

  const handler: MessageHandler = async (event: EventEnvelope<PartCutContract>, ctx: EventContext) => {
    const [{ xid }]: { xid: string }[] = await ctx.manager.query('SELECT pg_current_xact_id()::text AS xid');
    calls.push({ n: event.data.n, xid });
    await before.get(event.data.n)?.(ctx);
    // No unique constraint on purpose: an effect applied twice shows as a second row.
    await ctx.manager.query(`INSERT INTO "${schema}".effects (event_id, n, xid) VALUES ($1, $2, pg_current_xact_id()::text)`, [event.eventId, event.data.n]);
  };
  const dispatcher = (consumer: string) =>
    new EventDispatcher(consumer, db, (type) => (type === 'PartCut' ? handler : null), async (letter) => void letters.push(letter), RETRY, () => Promise.resolve());
  const dispatchAll = async (d: EventDispatcher, events: EventEnvelope<PartCutContract>[]): Promise<DispatchOutcome['kind'][]> => {
    const outcomes: DispatchOutcome['kind'][] = [];
    await d.dispatchAll(
      events.map((message) => ({ message, source: 'test' })),
      (i, outcome) => void (outcomes[i] = outcome.kind),
    );
    return outcomes;
  };
  const effects = async (): Promise<{ event_id: string; n: number; xid: string }[]> => db.dataSource.query(`SELECT event_id, n, xid FROM "${schema}".effects ORDER BY id`);

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, poolSize: 6 });
    await db.dataSource.query(`CREATE TABLE "${schema}".effects (id bigserial, event_id uuid, n int, xid text)`);
  });
  beforeEach(async () => {
    calls = [];
    before = new Map();
    letters = [];
    await db.dataSource.query(`TRUNCATE "${schema}".effects`);
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  it('applies a clean batch in one transaction, each effect once, and a redelivery of it changes nothing', async () => {
    const events = [1, 2, 3, 4, 5, 6].map((n) => partCut(n));
    const d = dispatcher('clean');
    expect(await dispatchAll(d, events)).toEqual(Array(6).fill('handled'));
    const rows = await effects();
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
    expect(await dispatchAll(d, events)).toEqual(Array(6).fill('duplicate'));
    expect(await effects()).toHaveLength(6);
    expect(dispatchTallies().get('clean')).toMatchObject({ handled: 6, duplicates: 6, batches: 2, batchFallbacks: 0 });
  });

  it('applies the others of a batch once when one handler keeps failing, and dead-letters that one after its attempts', async () => {
    before.set(3, () => Promise.reject(new Error('the saw broke')));
    const d = dispatcher('failing');
    const outcomes = await dispatchAll(d, [1, 2, 3, 4, 5].map((n) => partCut(n)));
    expect(outcomes).toEqual(['handled', 'handled', 'dead-lettered', 'handled', 'handled']);
    expect((await effects()).map((r) => r.n)).toEqual([1, 2, 4, 5]);
    expect(letters).toEqual([expect.objectContaining({ attempts: RETRY.maxAttempts, reason: 'Error: the saw broke' })]);
    // Tried once in the batch (rolled back), then its attempts on the per-event path.
    expect(calls.filter((c) => c.n === 3)).toHaveLength(1 + RETRY.maxAttempts);
    expect(await db.deadLetters.list()).toEqual([expect.objectContaining({ consumer: 'failing', status: 'dead', attempts: RETRY.maxAttempts })]);
    expect(dispatchTallies().get('failing')).toMatchObject({ handled: 4, duplicates: 0, batches: 0, batchFallbacks: 1 });
  });

  it('skips an event of the batch handled before, and a second copy of an event in the same batch', async () => {
    const d = dispatcher('redelivered');
    const events = [1, 2, 3, 4].map((n) => partCut(n));
    expect(await d.dispatch(events[1], 'test')).toEqual({ kind: 'handled' });
    const outcomes = await dispatchAll(d, [...events, events[2]]);
    expect(outcomes).toEqual(['handled', 'duplicate', 'handled', 'handled', 'duplicate']);
    const rows = await effects();
    expect(rows.map((r) => r.n).sort()).toEqual([1, 2, 3, 4]);
    expect(new Set(rows.filter((r) => r.n !== 2).map((r) => r.xid)).size).toBe(1); // still one transaction for the rest
  });

  it('applies each effect once when two consumers race over the same batch', async () => {
    const events = Array.from({ length: 30 }, (_, i) => partCut(i + 1));
    // The second replica sees the batch in another order of streams, and in smaller batches.
    const [a, b] = await Promise.all([dispatchAll(dispatcher('racing'), events), dispatchAll(dispatcher('racing'), [...events].reverse())]);
    const rows = await effects();
    expect(rows.map((r) => r.n).sort((x, y) => x - y)).toEqual(events.map((e) => e.data.n));
    b.reverse();
    for (let i = 0; i < events.length; i++) expect([a[i], b[i]].sort()).toEqual(['duplicate', 'handled']);
  });

  it('leaves nothing of a batch applied when its connection dies in the middle, and its redelivery applies each once', async () => {
    const events = [1, 2, 3, 4, 5].map((n) => partCut(n));
    let whileKilled: { effects: number; inbox: number } | undefined;
    before.set(4, async (ctx) => {
      if (whileKilled) return;
      const [{ pid }]: { pid: number }[] = await ctx.manager.query('SELECT pg_backend_pid() AS pid');
      await db.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
      // Seen from another connection once the batch's connection is gone: 1–3's effects and inbox rows are not there.
      whileKilled = {
        effects: (await effects()).length,
        inbox: Number((await db.dataSource.query(`SELECT count(*) AS n FROM "${schema}".inbox WHERE consumer = 'killed'`))[0].n),
      };
    });
    const d = dispatcher('killed');
    const outcomes = await dispatchAll(d, events);
    expect(whileKilled).toEqual({ effects: 0, inbox: 0 });
    expect(outcomes).toEqual(Array(5).fill('handled'));
    expect((await effects()).map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    // Delivered again (a restarted consumer reading from its old checkpoint): nothing changes.
    expect(await dispatchAll(d, events)).toEqual(Array(5).fill('duplicate'));
    expect(await effects()).toHaveLength(5);
  });

  it('falls back when a later effect of the batch would append as a late writer, and no reader of the log skips an event', async () => {
    // Event 1's effect is the batch's first write (it gives the transaction its id); event 2's effect
    // appends to `ledger`, which another transaction appended to and committed in between.
    const stream = `ledger-${randomUUID()}`;
    const appendTo = (version: number, manager?: EventContext['manager']) =>
      db.store.append(stream, [{ type: 'LedgerTouched', data: {} }], { expectedVersion: version, metadata: { correlationId: 'c', causationId: 'c' }, manager });
    await appendTo(0);
    const tail = (await db.log.readAfter(START_OF_LOG, 10_000)).at(-1)!.globalPosition;
    let readWhileRunning: string[] | undefined;
    let refused: unknown;
    before.set(2, async (ctx) => {
      if (!readWhileRunning) {
        await appendTo(1); // another writer, committed after the batch's first write
        // A reader of the log now must not pass that event: the batch (with an older id) still runs.
        readWhileRunning = (await db.log.readAfter(tail, 100)).map((e) => e.streamId);
      }
      const version = await db.store.streamVersion(stream, ctx.manager);
      try {
        await appendTo(version, ctx.manager);
      } catch (error) {
        refused ??= error;
        throw error;
      }
    });
    const d = dispatcher('late');
    expect(await dispatchAll(d, [partCut(1), partCut(2), partCut(3)])).toEqual(['handled', 'handled', 'handled']);
    expect(refused).toBeInstanceOf(ConcurrencyError);
    expect((refused as ConcurrencyError).message).toMatch(/younger transaction/);
    expect(readWhileRunning).toEqual([]);
    expect((await effects()).map((r) => r.n)).toEqual([1, 2, 3]);
    // Read as a subscriber does (another transaction of the shared database may hold the horizon a while).
    const ledger = await waitFor(async () => {
      const read = (await db.log.readAfter(tail, 100)).filter((e) => e.streamId === stream);
      return read.length >= 2 ? read : null;
    }, { timeoutMs: 30_000, message: 'the ledger stream past the horizon' });
    expect(ledger.map((e) => e.streamVersion)).toEqual([2, 3]);
  });
});
