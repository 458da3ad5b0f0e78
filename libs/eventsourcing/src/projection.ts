import type { DataSource, EntityManager } from 'typeorm';
import type { EventLog } from './event-log.js';
import { ident } from './sql.js';
import { START_OF_LOG, type StoredEvent } from './stored-event.js';

/**
 * A read model kept from events. Projections given to a CommandHandler run inline, in the same
 * transaction as the append, so a read after a successful command sees its effect. Every projection
 * can be rebuilt from the start of the log with `rebuildProjection`.
 */
export interface Projection {
  readonly name: string;
  /** Event types this projection reacts to. */
  readonly handles: readonly string[];
  /**
   * `folded`, when given, is the state of the event's stream as the command handler folded it, up to and
   * including `folded.version` (`folded.decider`'s state, as the handler holds it): a projection that
   * rebuilds from the stream with that decider can use it instead of reading the stream again.
   * Absent on a rebuild and for events appended outside a CommandHandler.
   */
  apply(event: StoredEvent, manager: EntityManager, folded?: FoldedStream): Promise<void>;
  /**
   * `apply` rebuilds its row from the whole stream up to the event (and ignores older versions): of
   * several events of one stream applied together, only the newest needs applying — one stream read and
   * one write per stream instead of per event.
   */
  readonly newestOfStreamSuffices?: boolean;
  /** Empties the read model before a rebuild. */
  reset(manager: EntityManager): Promise<void>;
}

/** A stream's state after its event at `version`, folded by `decider` (the appending handler's). */
export interface FoldedStream {
  streamId: string;
  version: number;
  state: unknown;
  /** Which decider's state `state` is (compared by identity before a projection trusts its shape). */
  decider: object;
}

export async function applyProjections(
  projections: readonly Projection[],
  events: readonly StoredEvent[],
  manager: EntityManager,
  folded?: FoldedStream,
): Promise<void> {
  for (const [i, event] of events.entries()) {
    const foldedHere = folded && folded.streamId === event.streamId && folded.version === event.streamVersion ? folded : undefined;
    for (const projection of projections) {
      if (projection.handles.includes(event.type) && !supersededFor(projection, events, i)) await projection.apply(event, manager, foldedHere);
    }
  }
}

/** A later event of the same stream that `projection` handles follows `events[i]`, and that one suffices. */
function supersededFor(projection: Projection, events: readonly StoredEvent[], i: number): boolean {
  if (!projection.newestOfStreamSuffices) return false;
  const { streamId } = events[i];
  for (let j = i + 1; j < events.length; j++) if (events[j].streamId === streamId && projection.handles.includes(events[j].type)) return true;
  return false;
}

/**
 * Empties the read model and replays every event of the log through it, in one transaction that locks
 * the events table against appends (reads stay possible), so no event is missed or applied twice.
 * Returns how many events were applied.
 */
export async function rebuildProjection(
  dataSource: DataSource,
  log: EventLog,
  projection: Projection,
  batchSize = 1000,
): Promise<number> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`LOCK TABLE ${ident(log.schema)}.events IN SHARE MODE`);
    await projection.reset(manager);
    let position = START_OF_LOG;
    let applied = 0;
    for (;;) {
      const batch = await log.readVisibleAfter(position, batchSize, manager);
      if (batch.length === 0) return applied;
      for (const [i, event] of batch.entries()) {
        if (projection.handles.includes(event.type) && !supersededFor(projection, batch, i)) {
          await projection.apply(event, manager);
          applied += 1;
        }
      }
      position = batch[batch.length - 1].globalPosition;
    }
  });
}
