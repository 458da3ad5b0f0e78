import type { DataSource, EntityManager } from 'typeorm';
import { fold, type Decider, type DomainEvent } from '#libs/domain';
import { ConcurrencyError } from './errors.js';
import type { EventStore } from './event-store.js';
import { applyProjections, type Projection } from './projection.js';
import { SnapshotStore, type SnapshotPolicy } from './snapshots.js';
import { StreamStateCache, type CachedStreamState } from './stream-state-cache.js';
import type { EventMetadata, StoredEvent } from './stored-event.js';

export interface HandleOptions {
  metadata: EventMetadata;
  /** Join a running transaction; a conflict then fails that transaction (no retry here). */
  manager?: EntityManager;
  /** Re-load and re-decide on a concurrent append (default true). Commands that depend on what the
   * caller saw (e.g. a client-supplied expected version) pass false. */
  retryOnConflict?: boolean;
  /** Refuse unless the stream is at this version (optimistic concurrency from the client). */
  expectedVersion?: number;
}

export interface HandleResult<State, Event extends DomainEvent> {
  state: State;
  /** The state the command was decided on (fold it with `decided` to get `state`). */
  previous: State;
  version: number;
  newEvents: StoredEvent[];
  /** The decided events as the decider produced them (typed). */
  decided: Event[];
}

export const toDomainEvent = <E extends DomainEvent>(e: StoredEvent): E => ({ type: e.type, data: e.data }) as unknown as E;

export interface CommandHandlerOptions {
  projections?: readonly Projection[];
  maxRetries?: number;
  /** Snapshot long streams (state must be plain JSON): a load then reads the snapshot and the events after it. */
  snapshots?: SnapshotPolicy;
  /**
   * Keep the committed state of the newest `streams` streams this handler appended to, so a command on one
   * of them skips the read and fold of its stream (StreamStateCache; `name` labels its metrics). The
   * decider must not mutate states.
   */
  cache?: { name: string; streams: number };
}

/**
 * load → decide → append with the version it loaded at; on a concurrent append the whole cycle is
 * retried (up to `maxRetries`) when the command allows it. Inline projections run in the append's
 * transaction. With `snapshots`, a load folds only the events after the stream's newest snapshot, and a
 * command that leaves `every` or more events after it writes a new one (in the append's transaction).
 */
export class CommandHandler<State, Command, Event extends DomainEvent> {
  private readonly snapshotStore: SnapshotStore | undefined;
  private readonly cache: StreamStateCache<State> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly decider: Decider<State, Command, Event>,
    private readonly options: CommandHandlerOptions = {},
  ) {
    this.snapshotStore = options.snapshots ? new SnapshotStore(dataSource, store.schema) : undefined;
    this.cache = options.cache ? new StreamStateCache<State>(dataSource, options.cache.name, options.cache.streams) : undefined;
  }

  async load(streamId: string, manager?: EntityManager): Promise<{ state: State; version: number }> {
    const { state, version } = await this.loadFrom(streamId, manager);
    return { state, version };
  }

  /** The state, its version and how many events were folded on top of the snapshot (all of them without one). */
  private async loadFrom(streamId: string, manager?: EntityManager): Promise<{ state: State; version: number; folded: number }> {
    const policy = this.options.snapshots;
    const snapshot = policy && this.snapshotStore ? await this.snapshotStore.read<State>(streamId, policy.name, manager) : undefined;
    const events = await this.store.readStream(streamId, { manager, afterVersion: snapshot?.version ?? 0 });
    const state = snapshot
      ? events.reduce((s, e) => this.decider.evolve(s, toDomainEvent<Event>(e)), snapshot.state)
      : fold(this.decider, events.map((e) => toDomainEvent<Event>(e)));
    const version = events.length === 0 ? (snapshot?.version ?? 0) : events[events.length - 1].streamVersion;
    return { state, version, folded: events.length };
  }

  async handle(streamId: string, command: Command, options: HandleOptions): Promise<HandleResult<State, Event>> {
    const retries = options.retryOnConflict === false || options.manager ? 0 : (this.options.maxRetries ?? 5);
    for (let attempt = 0; ; attempt++) {
      try {
        return options.manager
          ? await this.once(streamId, command, options, options.manager)
          : this.options.projections?.length
            ? await this.dataSource.transaction((manager) => this.once(streamId, command, options, manager))
            : await this.once(streamId, command, options, undefined);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
    }
  }

  /**
   * One load → decide → append. On a cached state (`useCache`) only an append can conclude: whatever else
   * the cached state would lead to (a refusal, nothing to do, a version the client did not expect, a
   * conflict at the append) is decided again on the stream as read now, in the same transaction.
   */
  private async once(
    streamId: string,
    command: Command,
    options: HandleOptions,
    manager: EntityManager | undefined,
    useCache = true,
  ): Promise<HandleResult<State, Event>> {
    const cached = useCache ? this.cache?.get(streamId, manager) : undefined;
    const again = () => {
      this.cache?.redecide(streamId, manager);
      return this.once(streamId, command, options, manager, false);
    };
    const { state, version, folded }: CachedStreamState<State> = cached ?? (await this.loadFrom(streamId, manager));
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      if (cached) return again();
      throw new ConcurrencyError(streamId, options.expectedVersion, version);
    }
    let decided: Event[];
    try {
      decided = this.decider.decide(command, state);
    } catch (error) {
      if (cached) return again();
      throw error;
    }
    if (decided.length === 0) return cached ? again() : { state, previous: state, version, newEvents: [], decided };
    let appended: Awaited<ReturnType<EventStore['append']>>;
    try {
      appended = await this.store.append(streamId, decided, { expectedVersion: version, expectedLastEventId: cached?.lastEventId, metadata: options.metadata, manager });
    } catch (error) {
      // A stale entry: the append found the stream past it and refused without failing the transaction
      // (actualVersion read). A race with a concurrent append (unique violation) fails it: thrown as before.
      if (cached && error instanceof ConcurrencyError && error.actualVersion !== undefined && !error.transient) return again();
      throw error;
    }
    const next = decided.reduce((s, e) => this.decider.evolve(s, e), state);
    // The projections get the state just folded, so one that rebuilds from the stream need not read it again.
    const after = { streamId, version: appended.nextExpectedVersion, state: next, decider: this.decider };
    if (manager && this.options.projections?.length) await applyProjections(this.options.projections, appended.events, manager, after);
    const policy = this.options.snapshots;
    let foldedAfter = folded + decided.length;
    if (policy && this.snapshotStore && foldedAfter >= policy.every) {
      await this.snapshotStore.write(streamId, policy.name, { state: next, version: appended.nextExpectedVersion }, manager);
      foldedAfter = 0;
    }
    this.cache?.appended(streamId, { state: next, version: appended.nextExpectedVersion, folded: foldedAfter, lastEventId: appended.events.at(-1)?.eventId }, manager);
    return { state: next, previous: state, version: appended.nextExpectedVersion, newEvents: appended.events, decided };
  }
}
