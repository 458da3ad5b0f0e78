// Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql) as the event store bench's second
// reference: the same appends and the same global read on the same PostgreSQL, in the same run. Emmett
// keeps its tables (emt_streams, emt_messages, …) in the connection's search_path, so it gets a schema of
// its own, dropped afterwards (the bench drops it after a failure too: Emmett's migration looks its
// functions up by name in the whole database, and one left in another schema stops it creating its own).
import { dumbo } from '@event-driven-io/dumbo';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';

export interface EmmettReference {
  store: PostgresEventStore;
  /** Appends `events` LotProgressRecorded events to a new stream (expected: does not exist). */
  appendNew(streamId: string, events: number, payload: object): Promise<number>;
  /** Appends one event to `streamId` at `version` (0: new), returns the next version. */
  appendAt(streamId: string, version: number, payload: object): Promise<number>;
  /** Reads every message in global order in batches of `batchSize`; returns how many. */
  readAll(batchSize: number): Promise<number>;
  close(): Promise<void>;
}

export async function emmettReference(databaseUrl: string, schema: string): Promise<EmmettReference> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const connectionString = url.toString();
  const store = getPostgreSQLEventStore(connectionString);
  await store.schema.migrate();
  const reader = dumbo({ connectionString });
  const event = (payload: object) => ({ type: 'LotProgressRecorded', data: payload as Record<string, unknown> });
  return {
    store,
    async appendNew(streamId, events, payload) {
      await store.appendToStream(streamId, Array.from({ length: events }, () => event(payload)), { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
      return events;
    },
    async appendAt(streamId, version, payload) {
      const r = await store.appendToStream(streamId, [event(payload)], { expectedStreamVersion: version === 0 ? STREAM_DOES_NOT_EXIST : BigInt(version) });
      return Number(r.nextExpectedStreamVersion);
    },
    async readAll(batchSize) {
      let after = -1n;
      let read = 0;
      for (;;) {
        const batch = await readMessagesBatch(reader.execute, after < 0n ? { from: 0n, batchSize } : { after, batchSize });
        if (batch.messages.length === 0) break;
        read += batch.messages.length;
        after = batch.messages[batch.messages.length - 1].metadata.globalPosition;
      }
      return read;
    },
    async close() {
      await reader.close();
      await store.close();
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA "${schema}" CASCADE`);
      await c.end();
    },
  };
}
