// CommandHandler with a stream state cache against real PostgreSQL: a command on a stream it committed
// lately skips the stream's read, and nothing a cached state could get wrong gets through — a stale
// entry (another handler appended), a rolled-back transaction, two commands in one transaction, a
// refusal or a no-op decided on old state.
import { DomainError, type Decider, type DomainEvent } from '#libs/domain';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { CommandHandler } from './command-handler.js';
import { ServiceDatabase } from './service-database.module.js';
import { streamStateCacheTallies } from './stream-state-cache.js';

type Added = DomainEvent<'Added', { n: number }>;
interface Sum {
  count: number;
  total: number;
}
type Command = { type: 'Add'; n: number } | { type: 'AddUnlessOver'; n: number; limit: number } | { type: 'EnsureTotal'; total: number };
/** `AddUnlessOver` is refused once the total is over its limit; `EnsureTotal` adds what is missing, or nothing. */
const sum: Decider<Sum, Command, Added> = {
  initialState: () => ({ count: 0, total: 0 }),
  decide: (command, state) => {
    switch (command.type) {
      case 'Add':
        return [{ type: 'Added', data: { n: command.n } }];
      case 'AddUnlessOver':
        if (state.total > command.limit) throw new DomainError('over_limit', `total ${state.total} is over ${command.limit}`);
        return [{ type: 'Added', data: { n: command.n } }];
      case 'EnsureTotal':
        return state.total >= command.total ? [] : [{ type: 'Added', data: { n: command.total - state.total } }];
    }
  },
  evolve: (state, event) => ({ count: state.count + 1, total: state.total + event.data.n }),
};
const meta = { correlationId: 'cache', causationId: 'cache' };

describe('CommandHandler with a stream state cache', () => {
  const schema = uniqueSchema('es_cache');
  let db: ServiceDatabase;
  const reads: string[] = [];

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
    const readStream = db.store.readStream.bind(db.store);
    db.store.readStream = (streamId, options) => (reads.push(streamId), readStream(streamId, options));
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });
  beforeEach(() => (reads.length = 0));

  const cached = () => new CommandHandler(db.dataSource, db.store, sum, { cache: { name: 'sum', streams: 100 } });
  const truth = async (streamId: string) => (await new CommandHandler(db.dataSource, db.store, sum).load(streamId)).state;

  it('reads a stream once for a run of commands on it, each decided on the state the one before committed', async () => {
    const handler = cached();
    const before = { ...streamStateCacheTallies().get('sum')! };
    for (let n = 1; n <= 5; n++) await handler.handle('sum-1', { type: 'Add', n }, { metadata: meta });
    expect(reads.filter((id) => id === 'sum-1')).toHaveLength(1);
    // On /metrics: one miss (the first command read the stream), four hits, nothing decided again.
    const after = streamStateCacheTallies().get('sum')!;
    expect([after.hits - before.hits, after.misses - before.misses, after.redecided - before.redecided]).toEqual([4, 1, 0]);
    const last = await handler.handle('sum-1', { type: 'Add', n: 6 }, { metadata: meta });
    expect(last.state).toEqual({ count: 6, total: 21 });
    expect(last.version).toBe(6);
    expect(await truth('sum-1')).toEqual(last.state);
  });

  it('decides again on the stream as it is when another handler appended after the entry (a stale entry)', async () => {
    const a = cached();
    const b = cached();
    await a.handle('sum-2', { type: 'Add', n: 10 }, { metadata: meta });
    await b.handle('sum-2', { type: 'Add', n: 100 }, { metadata: meta }); // a's entry is now behind
    const redecided = streamStateCacheTallies().get('sum')!.redecided;
    const result = await a.handle('sum-2', { type: 'Add', n: 1 }, { metadata: meta });
    expect(result.state).toEqual({ count: 3, total: 111 });
    expect(streamStateCacheTallies().get('sum')!.redecided).toBe(redecided + 1); // counted on /metrics
    expect(await truth('sum-2')).toEqual({ count: 3, total: 111 });
    // A refusal and a no-op are never answered from a stale entry either.
    await b.handle('sum-2', { type: 'Add', n: 1000 }, { metadata: meta });
    await expect(a.handle('sum-2', { type: 'AddUnlessOver', n: 1, limit: 500 }, { metadata: meta })).rejects.toMatchObject({ code: 'over_limit' });
    await b.handle('sum-2', { type: 'Add', n: 5000 }, { metadata: meta });
    const ensured = await a.handle('sum-2', { type: 'EnsureTotal', total: 6200 }, { metadata: meta });
    expect(ensured.decided).toEqual([{ type: 'Added', data: { n: 89 } }]);
    expect(await truth('sum-2')).toEqual({ count: 6, total: 6200 });
  });

  it('keeps nothing of a rolled-back transaction, and lets a second command in the same transaction see the first', async () => {
    const handler = cached();
    await handler.handle('sum-4', { type: 'Add', n: 1 }, { metadata: meta });
    await db.dataSource
      .transaction(async (manager) => {
        const first = await handler.handle('sum-4', { type: 'Add', n: 10 }, { metadata: meta, manager });
        expect(first.state).toEqual({ count: 2, total: 11 });
        const second = await handler.handle('sum-4', { type: 'Add', n: 100 }, { metadata: meta, manager });
        expect(second.state).toEqual({ count: 3, total: 111 });
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    // Another writer takes the stream to the version the rolled-back transaction had reached, with other
    // events: a state kept from the rollback would pass the append's version check.
    const other = cached();
    await other.handle('sum-4', { type: 'Add', n: 7 }, { metadata: meta });
    await other.handle('sum-4', { type: 'Add', n: 7 }, { metadata: meta });
    const after = await handler.handle('sum-4', { type: 'Add', n: 1000 }, { metadata: meta });
    expect(after.state).toEqual({ count: 4, total: 1015 });
    expect(await truth('sum-4')).toEqual({ count: 4, total: 1015 });
    // Committed in a transaction: the next command starts from it without a read.
    await db.dataSource.transaction((manager) => handler.handle('sum-4', { type: 'Add', n: 5 }, { metadata: meta, manager }));
    reads.length = 0;
    expect((await handler.handle('sum-4', { type: 'Add', n: 0 }, { metadata: meta })).state).toEqual({ count: 6, total: 1020 });
    expect(reads).toEqual([]);
  });
  it('decides a run of commands in one transaction on its own appends, without reading the stream again; a rolled-back savepoint or another writer in it is decided on the stream as read', async () => {
    const handler = cached();
    await handler.handle('sum-6', { type: 'Add', n: 1 }, { metadata: meta }); // committed: the entry
    reads.length = 0;
    await db.dataSource.transaction(async (manager) => {
      // A consumer's batch: several events of one stream in one inbox transaction.
      for (let n = 2; n <= 4; n++) await handler.handle('sum-6', { type: 'Add', n }, { metadata: meta, manager });
      expect(reads).toEqual([]);
      // A savepoint that appends and is rolled back: what it appended is not decided on afterwards.
      await manager
        .transaction(async (inner) => {
          expect((await handler.handle('sum-6', { type: 'Add', n: 1000 }, { metadata: meta, manager: inner })).state).toEqual({ count: 5, total: 1010 });
          throw new Error('roll back the savepoint');
        })
        .catch((error: Error) => expect(error.message).toBe('roll back the savepoint'));
      expect((await handler.handle('sum-6', { type: 'Add', n: 5 }, { metadata: meta, manager })).state).toEqual({ count: 5, total: 15 });
      // Another handler appends in the same transaction: this handler's state of it is behind.
      await cached().handle('sum-6', { type: 'Add', n: 100 }, { metadata: meta, manager });
      expect((await handler.handle('sum-6', { type: 'AddUnlessOver', n: 6, limit: 1000 }, { metadata: meta, manager })).state).toEqual({ count: 7, total: 121 });
      await expect(handler.handle('sum-6', { type: 'AddUnlessOver', n: 7, limit: 120 }, { metadata: meta, manager })).rejects.toMatchObject({ code: 'over_limit' });
      await handler.handle('sum-6', { type: 'Add', n: 1 }, { metadata: meta, manager });
    });
    expect(await truth('sum-6')).toEqual({ count: 8, total: 122 });
    // Committed: the transaction's last state is the entry.
    reads.length = 0;
    expect((await handler.handle('sum-6', { type: 'Add', n: 0 }, { metadata: meta })).state).toEqual({ count: 9, total: 122 });
    expect(reads).toEqual([]);
  });

  it('decides again when the stream was written again to the same version after a restore of the database', async () => {
    const handler = cached();
    await handler.handle('sum-5', { type: 'Add', n: 1 }, { metadata: meta });
    await handler.handle('sum-5', { type: 'Add', n: 2 }, { metadata: meta }); // the entry: version 2, total 3
    // Restored to a backup taken after the first event, then another writer appended its own second event.
    await db.dataSource.query(`DELETE FROM "${schema}".events WHERE stream_id = 'sum-5' AND stream_version = 2`);
    await cached().handle('sum-5', { type: 'Add', n: 50 }, { metadata: meta });
    const result = await handler.handle('sum-5', { type: 'AddUnlessOver', n: 4, limit: 10 }, { metadata: meta }).catch((error: Error) => error);
    expect(result).toMatchObject({ code: 'over_limit' });
    await handler.handle('sum-5', { type: 'Add', n: 4 }, { metadata: meta });
    expect(await truth('sum-5')).toEqual({ count: 3, total: 55 });
  });
});
