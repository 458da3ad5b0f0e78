// CommandHandler with snapshots against real PostgreSQL: a load starts from the newest snapshot, the
// result equals a whole-stream fold, and snapshots are written only every `every` events.
import type { Decider, DomainEvent } from '#libs/domain';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { CommandHandler } from './command-handler.js';
import { ServiceDatabase } from './service-database.module.js';

type Counted = DomainEvent<'Counted', { n: number }>;
interface Tally {
  count: number;
  total: number;
}
const tally: Decider<Tally, { type: 'Count'; n: number }, Counted> = {
  initialState: () => ({ count: 0, total: 0 }),
  decide: (command) => [{ type: 'Counted', data: { n: command.n } }],
  evolve: (state, event) => ({ count: state.count + 1, total: state.total + event.data.n }),
};
const meta = { correlationId: 'snap', causationId: 'snap' };

describe('CommandHandler snapshots', () => {
  const schema = uniqueSchema('es_snap');
  let db: ServiceDatabase;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema });
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const snapshotRow = (streamId: string) =>
    db.dataSource.query<{ name: string; stream_version: number; state: Tally }[]>(`SELECT name, stream_version, state FROM "${schema}".snapshots WHERE stream_id = $1`, [streamId]);

  it('writes a snapshot every `every` events and loads from it, the same state as a whole-stream fold', async () => {
    const handler = new CommandHandler(db.dataSource, db.store, tally, { snapshots: { name: 'tally@1', every: 3 } });
    const plain = new CommandHandler(db.dataSource, db.store, tally);
    for (let n = 1; n <= 2; n++) await handler.handle('tally-1', { type: 'Count', n }, { metadata: meta });
    expect(await snapshotRow('tally-1')).toEqual([]);
    for (let n = 3; n <= 7; n++) await handler.handle('tally-1', { type: 'Count', n }, { metadata: meta });
    // Versions 3 (3 folded since none) and 6 (3 since the one at 3); 7 is one event after it.
    expect(await snapshotRow('tally-1')).toEqual([{ name: 'tally@1', stream_version: 6, state: { count: 6, total: 21 } }]);
    expect(await handler.load('tally-1')).toEqual({ state: { count: 7, total: 28 }, version: 7 });
    expect(await handler.load('tally-1')).toEqual(await plain.load('tally-1'));
  });

  it('folds only the events after the snapshot (the snapshot is what a load starts from)', async () => {
    const handler = new CommandHandler(db.dataSource, db.store, tally, { snapshots: { name: 'tally@1', every: 2 } });
    for (let n = 1; n <= 4; n++) await handler.handle('tally-2', { type: 'Count', n }, { metadata: meta });
    // A marker state at version 4: the load shows it (plus nothing after), so events 1..4 were not folded.
    await db.dataSource.query(`UPDATE "${schema}".snapshots SET state = '{"count": 100, "total": 0}' WHERE stream_id = 'tally-2'`);
    expect(await handler.load('tally-2')).toEqual({ state: { count: 100, total: 0 }, version: 4 });
    await handler.handle('tally-2', { type: 'Count', n: 5 }, { metadata: meta });
    expect(await handler.load('tally-2')).toEqual({ state: { count: 101, total: 5 }, version: 5 });
    // Another shape name ignores the old snapshot and folds the stream from its first event.
    const renamed = new CommandHandler(db.dataSource, db.store, tally, { snapshots: { name: 'tally@2', every: 100 } });
    expect(await renamed.load('tally-2')).toEqual({ state: { count: 5, total: 15 }, version: 5 });
  });

  it('keeps a snapshot in the transaction of its append: a rolled-back command leaves none', async () => {
    const handler = new CommandHandler(db.dataSource, db.store, tally, { snapshots: { name: 'tally@1', every: 1 } });
    await expect(
      db.dataSource.transaction(async (manager) => {
        await handler.handle('tally-3', { type: 'Count', n: 1 }, { metadata: meta, manager });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await snapshotRow('tally-3')).toEqual([]);
    expect(await handler.load('tally-3')).toEqual({ state: { count: 0, total: 0 }, version: 0 });
  });
});
