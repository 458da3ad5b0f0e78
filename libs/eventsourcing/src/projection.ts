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
  apply(event: StoredEvent, manager: EntityManager): Promise<void>;
  /** Empties the read model before a rebuild. */
  reset(manager: EntityManager): Promise<void>;
}

export async function applyProjections(projections: readonly Projection[], events: readonly StoredEvent[], manager: EntityManager): Promise<void> {
  for (const event of events) {
    for (const projection of projections) {
      if (projection.handles.includes(event.type)) await projection.apply(event, manager);
    }
  }
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
      for (const event of batch) {
        if (projection.handles.includes(event.type)) {
          await projection.apply(event, manager);
          applied += 1;
        }
      }
      position = batch[batch.length - 1].globalPosition;
    }
  });
}
