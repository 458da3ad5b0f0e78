import type { DataSource, EntityManager } from 'typeorm';
import { ident } from './sql.js';

/**
 * How a CommandHandler snapshots a stream type: every `every` events it stores the state it reached
 * (JSON) beside the stream, and a load starts from the newest snapshot instead of the first event.
 * `name` names the state's shape: give it a new one (`quality-record@2`) whenever the state changes shape,
 * and older snapshots are ignored (the stream is folded from its first event once, then snapshotted anew).
 */
export interface SnapshotPolicy {
  name: string;
  every: number;
}

export interface Snapshot<State> {
  state: State;
  version: number;
}

/**
 * Snapshots of long streams, one row per stream and state shape. A snapshot is only a cache of what the
 * stream's events fold to at `stream_version`: it is written after the append it follows (in the same
 * transaction when there is one) and never ahead of the stream, so losing or dropping it costs time only.
 */
export class SnapshotStore {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${ident(schema)}.snapshots`;
  }

  async read<State>(streamId: string, name: string, manager?: EntityManager): Promise<Snapshot<State> | undefined> {
    const rows: { stream_version: number; state: State }[] = await (manager ?? this.dataSource).query(
      `SELECT stream_version, state FROM ${this.table} WHERE stream_id = $1 AND name = $2`,
      [streamId, name],
    );
    return rows.length === 0 ? undefined : { state: rows[0].state, version: rows[0].stream_version };
  }

  /** Keeps the newer of the stored and the given snapshot (a slower writer never moves it back). */
  async write(streamId: string, name: string, snapshot: Snapshot<unknown>, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource).query(
      `INSERT INTO ${this.table} (stream_id, name, stream_version, state, taken_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (stream_id, name) DO UPDATE SET stream_version = EXCLUDED.stream_version, state = EXCLUDED.state, taken_at = EXCLUDED.taken_at
       WHERE ${this.table}.stream_version < EXCLUDED.stream_version`,
      [streamId, name, snapshot.version, JSON.stringify(snapshot.state)],
    );
  }
}
