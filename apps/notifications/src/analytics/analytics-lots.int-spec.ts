// The lots' analytics rows are written behind, at the commit of the consumer's transaction, folded in
// memory (laterLotRow) when one transaction carries several events of a lot. Against PostgreSQL: for every
// sequence of up to three lot events, applied one transaction each, all in one transaction, or the first
// alone and the rest in one, the stored rows are the same.
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '#libs/contracts';
import { ServiceDatabase } from '#libs/eventsourcing';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { notificationsMigrations } from '../notifications.migrations.js';
import { AnalyticsProjection } from './analytics.projection.js';

const TYPES = ['SubtaskOffered', 'SubtaskAccepted', 'SubtaskStarted', 'SubtaskCompleted', 'SubtaskCancelled'] as const;

/** Every sequence of lot event types of length 1 to 3. */
function sequences(): (typeof TYPES)[number][][] {
  const all: (typeof TYPES)[number][][] = [];
  const grow = (prefix: (typeof TYPES)[number][]) => {
    if (prefix.length > 0) all.push(prefix);
    if (prefix.length < 3) for (const type of TYPES) grow([...prefix, type]);
  };
  grow([]);
  return all;
}

function lotEvent(type: string, subtaskId: string, i: number): EventEnvelope {
  // Offers carry planned days; so does every second later event, with other days.
  const planned = type === 'SubtaskOffered' || i % 2 === 1 ? { plannedStart: `2026-12-${10 + i}T00:00:00.000Z`, plannedEnd: `2026-12-${20 + i}T00:00:00.000Z` } : {};
  return {
    eventId: randomUUID(),
    type,
    data: { subtaskId, orderId: `order-${subtaskId}`, brandId: 'brand-1', workshopId: `ws-${i}`, stepId: 'cut', process: 'cutting', quantity: 100 + i, ...planned },
  } as unknown as EventEnvelope;
}

describe('analytics lot rows written behind', () => {
  const schema = uniqueSchema('analytics_lots');
  let db: ServiceDatabase;
  let projection: AnalyticsProjection;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, migrations: notificationsMigrations(schema), poolSize: 4 });
    projection = new AnalyticsProjection(db);
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(testDatabaseUrl(), schema);
  });

  const rowsOf = async (ids: string[]) =>
    (
      await db.dataSource.query<Record<string, unknown>[]>(
        `SELECT subtask_id, workshop_id, quantity, planned_start, planned_end, status FROM "${schema}".analytics_lots WHERE subtask_id = ANY($1) ORDER BY subtask_id`,
        [ids],
      )
    ).map(({ subtask_id, ...row }) => ({ sequence: String(subtask_id).split(':')[1], ...row }));

  it('stores the same rows whether a lot’s events come one transaction each or several in one', async () => {
    const all = sequences();
    const run = randomUUID();
    const ids = (how: string) => all.map((types) => `${run}-${how}:${types.join(',')}`);
    const apply = (events: EventEnvelope[]) => db.dataSource.transaction(async (m) => {
      for (const event of events) await projection.apply(event, m);
    });
    const [oneByOne, together, firstAlone] = [ids('one'), ids('together'), ids('first')];
    for (const [s, types] of all.entries()) {
      for (const [i, type] of types.entries()) await apply([lotEvent(type, oneByOne[s], i)]);
      const events = types.map((type, i) => lotEvent(type, firstAlone[s], i));
      await apply(events.slice(0, 1));
      await apply(events.slice(1));
    }
    // Every sequence's events of the "together" case in ONE transaction.
    await apply(all.flatMap((types, s) => types.map((type, i) => lotEvent(type, together[s], i))));

    const expected = await rowsOf(oneByOne);
    expect(expected).toHaveLength(all.length);
    expect(await rowsOf(together)).toEqual(expected);
    expect(await rowsOf(firstAlone)).toEqual(expected);
  });
});
