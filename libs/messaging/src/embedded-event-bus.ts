import type { EventLog, StoredEvent } from '#libs/eventsourcing';
import type { EventEnvelope } from '#libs/contracts';

/**
 * The in-process "broker" of the embedded network: each service registers its event log (its outbox);
 * consumers read those logs in commit order with their own durable checkpoints.
 */
export class EmbeddedEventBus {
  private readonly logs = new Map<string, EventLog>();
  private readonly listeners = new Map<string, Set<() => void>>();

  register(producer: string, log: EventLog): void {
    this.logs.set(producer, log);
  }

  logOf(producer: string): EventLog {
    const log = this.logs.get(producer);
    if (!log) throw new Error(`No event log registered for producer "${producer}" on the embedded bus`);
    return log;
  }

  /** Wake the consumers of `producer` (called after an append; polling covers the rest). */
  notify(producer: string): void {
    this.listeners.get(producer)?.forEach((wake) => wake());
  }

  onAppend(producer: string, wake: () => void): () => void {
    const set = this.listeners.get(producer) ?? new Set();
    set.add(wake);
    this.listeners.set(producer, set);
    return () => set.delete(wake);
  }
}

export function toEnvelope(event: StoredEvent): EventEnvelope {
  const { globalPosition: _position, ...envelope } = event;
  return envelope;
}
