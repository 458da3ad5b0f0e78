import { SharedLogTail, type EventLog, type StoredEvent } from '#libs/eventsourcing';
import type { EventEnvelope } from '#libs/contracts';
import type { DispatchOutcome } from './event-dispatcher.js';

/**
 * How the events a consumer reads from one producer's log reach its dispatcher. The embedded consumer
 * has its own (lanes by stream); a test may put another one on the bus to perturb delivery, e.g.
 * redeliver and reorder events the way Kafka may (see testing/perturbed-delivery.ts). Production never does.
 */
export interface EmbeddedDelivery {
  /**
   * Hands `events` (read from `producer`'s log, in commit order) to `dispatch`; resolves once every one
   * of them has been dispatched at least once, when the consumer checkpoints the batch.
   */
  deliver(producer: string, events: readonly StoredEvent[], dispatch: (event: StoredEvent) => Promise<DispatchOutcome>): Promise<void>;
  /** Called when the consumer stops, after its subscriptions have drained. */
  close(): Promise<void>;
}

export interface EmbeddedEventBusOptions {
  /** A delivery for each consuming service instead of the embedded consumer's own (tests only). */
  deliveryFor?: (consumer: string) => EmbeddedDelivery;
}

/**
 * The in-process "broker" of the embedded network: each service registers its event log (its outbox);
 * consumers read those logs in commit order with their own durable checkpoints.
 */
export class EmbeddedEventBus {
  private readonly logs = new Map<string, EventLog>();
  private readonly tails = new Map<string, SharedLogTail>();
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly options: EmbeddedEventBusOptions = {}) {}

  /** The delivery a test put on the bus for `consumer`, if any. */
  deliveryFor(consumer: string): EmbeddedDelivery | undefined {
    return this.options.deliveryFor?.(consumer);
  }

  register(producer: string, log: EventLog): void {
    this.logs.set(producer, log);
    this.tails.set(producer, new SharedLogTail(log));
  }

  /** The one reader of `producer`'s log that every consumer in this process reads through. */
  tailOf(producer: string): SharedLogTail {
    const tail = this.tails.get(producer);
    if (!tail) throw new Error(`No event log registered for producer "${producer}" on the embedded bus`);
    return tail;
  }

  /** Each producer's tail with its counts (exported as metrics: libs/runtime event-transport.ts). */
  tailStats(): [producer: string, stats: SharedLogTail['stats']][] {
    return [...this.tails].map(([producer, tail]) => [producer, tail.stats]);
  }

  /** Wake the consumers of `producer` (called after an append; polling covers the rest). */
  notify(producer: string): void {
    this.tails.get(producer)?.committed(); // before the wake-ups: their reads must see this commit
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
  const { globalPosition: _position, traceparent: _trace, ...envelope } = event;
  return envelope;
}
