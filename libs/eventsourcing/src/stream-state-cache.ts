import type { DataSource, EntityManager } from 'typeorm';
import { PerTransaction } from './per-transaction.js';

/** A stream's state as a command handler last committed it. */
export interface CachedStreamState<State> {
  state: State;
  version: number;
  /** Events folded on top of the stream's newest snapshot (all of them without snapshots). */
  folded: number;
  /** The id of the stream's event at `version`: the append checks it is still there (AppendOptions.expectedLastEventId). */
  lastEventId?: string;
}

/**
 * What the stream state caches of this process did since it started, by cache name (on /metrics as
 * `meshfab_stream_state_cache_hits_total`, `…_misses_total` and `…_redecided_total{handler}`): a command
 * started from a cached state (hit) or read its stream (miss); `redecided`: a cached state did not lead to
 * an append and the command was decided again on the stream as read (a stale entry, or a refusal or no-op
 * checked). Redecided rising with hits means another writer keeps appending to the same streams.
 */
export interface StreamStateCacheTally {
  hits: number;
  misses: number;
  redecided: number;
}
const tallies = new Map<string, StreamStateCacheTally>();
export function streamStateCacheTallies(): ReadonlyMap<string, Readonly<StreamStateCacheTally>> {
  return tallies;
}

/**
 * The states of streams a CommandHandler committed, newest `capacity` streams kept, so a command on a
 * stream it decided on lately skips reading and folding the stream. Only committed states go in: an
 * append inside a transaction takes the stream's entry out at once and puts the new state in at that
 * transaction's commit (a rollback puts nothing); until then the new state serves the later commands
 * of that transaction only (its own writes), and any rollback in it, of a savepoint too, forgets it.
 * An entry can still be stale (another process or handler appended since): the handler's append names
 * the version it decided on, so a stale entry ends in a version conflict, never in a decision on old
 * state (see CommandHandler.once); so does a stream written again to the same version after a restore
 * of the database (the append checks the event at the version is still the one the entry saw).
 */
export class StreamStateCache<State> {
  private readonly entries = new Map<string, CachedStreamState<State>>();
  private readonly tally: StreamStateCacheTally;
  /** States appended in a transaction not yet committed, put in at its commit. */
  private readonly pending: PerTransaction<Map<string, CachedStreamState<State>>>;

  constructor(
    dataSource: DataSource,
    name: string,
    private readonly capacity: number,
  ) {
    this.tally = tallies.get(name) ?? { hits: 0, misses: 0, redecided: 0 };
    tallies.set(name, this.tally);
    // Any rollback, of a savepoint too, forgets what the transaction appended: those streams are read
    // again (their entries were taken out at the append).
    this.pending = new PerTransaction(dataSource, (states) => states.forEach((entry, streamId) => this.put(streamId, entry)));
  }

  /**
   * The state of `streamId` as the transaction of `manager` left it when this handler appended to it in
   * that transaction (a consumer's batch with several events of one stream), else its committed state.
   */
  get(streamId: string, manager?: EntityManager): CachedStreamState<State> | undefined {
    const own = this.pending.get(manager)?.get(streamId);
    if (own) {
      this.tally.hits += 1;
      return own;
    }
    const entry = this.entries.get(streamId);
    if (!entry) {
      this.tally.misses += 1;
      return undefined;
    }
    this.tally.hits += 1;
    this.entries.delete(streamId); // most recently used last
    this.entries.set(streamId, entry);
    return entry;
  }

  /** The entry of `streamId` did not lead to an append: out, the command is decided again on the stream as read. */
  redecide(streamId: string, manager?: EntityManager): void {
    this.tally.redecided += 1;
    this.entries.delete(streamId);
    this.pending.get(manager)?.delete(streamId);
  }

  /** `streamId` is at `entry` after an append through `manager` (or committed already without one). */
  appended(streamId: string, entry: CachedStreamState<State>, manager?: EntityManager): void {
    this.entries.delete(streamId);
    const states = this.pending.getOrCreate(manager, () => new Map<string, CachedStreamState<State>>());
    if (states) states.set(streamId, entry);
    else this.put(streamId, entry);
  }

  private put(streamId: string, entry: CachedStreamState<State>): void {
    const current = this.entries.get(streamId);
    if (current && current.version >= entry.version) return; // a newer commit was put in first
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/**
 * How many streams the services' hot handlers keep (orders, matching's subtasks): the streams in flight
 * at a peak, at a few KiB of state each (an order with its steps and lots), a few MiB in all.
 */
export const STREAM_STATE_CACHE_STREAMS = 2000;
