// A test transport for the embedded network that delivers events the way Kafka may and no better:
// each event at least once and sometimes two or three times (also after later events of its stream),
// events of different streams and producers interleaved in a seeded random order, each stream's own
// events in their order. Production never uses it: it only runs when a test puts it on the bus.
import type { StoredEvent } from '#libs/eventsourcing';
import { Prng } from '#libs/scheduling';
import { EmbeddedEventBus, type EmbeddedDelivery } from '../embedded-event-bus.js';
import type { DispatchOutcome } from '../event-dispatcher.js';

export interface PerturbationOptions {
  /** Seeds every random choice; print it with a failure so the run can be replayed. */
  seed: number;
  /** Chance that an event, once delivered, is queued again behind its stream's later events (1 or 2 more copies). Default 0.3. */
  redeliveryRate?: number;
  /** Chance that an event's first delivery races a second copy of itself, as after a rebalance. Default 0.05. */
  concurrentDuplicateRate?: number;
  /** Chance that an event is held back a little, so events of other streams overtake it. Default 0.3. */
  holdBackRate?: number;
  /** Longest hold-back in ms. Default 30. */
  maxHoldBackMs?: number;
  /** Deliveries in flight at once per consumer, each of a different stream (Kafka's partitions). Default 4. */
  concurrency?: number;
}

/** What one consumer's delivery did, counted as it happened. */
export interface DeliveryCounts {
  /** Events handed to the consumer (each delivered at least once). */
  events: number;
  /** Deliveries beyond the first of an event. */
  redeliveries: number;
  /** Outcomes of all deliveries, as the dispatcher reported them. */
  handled: number;
  duplicates: number;
  ignored: number;
  deadLettered: number;
  /** Events whose effect ran more than once: the inbox let a duplicate through. Must stay 0. */
  handledTwice: number;
  /** First deliveries started ahead of an earlier-committed event of another stream of the same producer. */
  overtookSameProducer: number;
  /** First deliveries started ahead of an event of another producer that had been handed over earlier. */
  overtookOtherProducer: number;
}

const zeroCounts = (): DeliveryCounts => ({
  events: 0,
  redeliveries: 0,
  handled: 0,
  duplicates: 0,
  ignored: 0,
  deadLettered: 0,
  handledTwice: 0,
  overtookSameProducer: 0,
  overtookOtherProducer: 0,
});

interface QueuedDelivery {
  event: StoredEvent;
  producer: string;
  /** Kafka's key: the producer's topic and the event's stream. */
  key: string;
  /** The order in which the consumer was handed its events. */
  arrival: number;
  /** The first delivery of the event (its batch waits for it) or a redelivery (nobody waits). */
  first: boolean;
  /** Not started before this time (hold-back). */
  readyAt: number;
  dispatch: (event: StoredEvent) => Promise<DispatchOutcome>;
  settle?: { resolve: () => void; reject: (error: unknown) => void };
}

/** A generator for one consumer under `seed` (FNV-1a of the name mixed into the seed). */
function keyedPrng(seed: number, name: string): Prng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return new Prng(h >>> 0);
}

/**
 * One consumer's perturbed delivery. Every event read from any producer's log joins a queue per key;
 * a picker starts, at random among the keys whose head is ready and not in flight, the head of one key
 * at a time, up to `concurrency` keys at once. So a key's events start one after the other in commit
 * order, while keys (streams and producers) interleave freely. Redeliveries join the tail of their key.
 * Given the same events handed over in the same order, the same seed makes the same choices.
 */
export class PerturbedDelivery implements EmbeddedDelivery {
  readonly counts = zeroCounts();
  private readonly random: Prng;
  private readonly queues = new Map<string, QueuedDelivery[]>();
  private readonly inFlight = new Set<string>();
  private readonly handledByEvent = new Map<string, number>();
  private readonly idleWaiters: (() => void)[] = [];
  private arrivals = 0;
  private active = 0;
  private closed = false;
  private timer?: { at: number; handle: NodeJS.Timeout };

  constructor(
    readonly consumer: string,
    private readonly options: PerturbationOptions,
  ) {
    this.random = keyedPrng(options.seed, consumer);
  }

  async deliver(producer: string, events: readonly StoredEvent[], dispatch: (event: StoredEvent) => Promise<DispatchOutcome>): Promise<void> {
    if (this.closed) throw new Error(`the perturbed delivery of ${this.consumer} is closed`);
    const delivered = events.map(
      (event) =>
        new Promise<void>((resolve, reject) => {
          const key = `${producer}/${event.streamId}`;
          this.enqueue({ event, producer, key, arrival: this.arrivals++, first: true, readyAt: this.holdBack(), dispatch, settle: { resolve, reject } });
        }),
    );
    this.counts.events += events.length;
    this.pump();
    await Promise.all(delivered);
  }

  /** Resolves when nothing is queued or in flight (pending redeliveries included). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  /** Drops redeliveries still queued and waits for the deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer.handle);
    for (const queue of this.queues.values()) {
      for (const item of queue) item.settle?.reject(new Error(`the perturbed delivery of ${this.consumer} closed`));
    }
    this.queues.clear();
    await this.idle();
  }

  private enqueue(item: QueuedDelivery): void {
    const queue = this.queues.get(item.key);
    if (queue) queue.push(item);
    else this.queues.set(item.key, [item]);
  }

  private holdBack(): number {
    if (this.random.next() >= (this.options.holdBackRate ?? 0.3)) return 0;
    return Date.now() + this.random.int(1, this.options.maxHoldBackMs ?? 30);
  }

  /** Starts ready heads of keys, chosen at random, while there is room; sets a timer for held ones. */
  private pump(): void {
    if (this.closed) return;
    const concurrency = this.options.concurrency ?? 4;
    while (this.inFlight.size < concurrency) {
      const now = Date.now();
      const ready: string[] = [];
      let nextReadyAt = Infinity;
      for (const [key, queue] of this.queues) {
        if (this.inFlight.has(key)) continue;
        if (queue[0].readyAt <= now) ready.push(key);
        else nextReadyAt = Math.min(nextReadyAt, queue[0].readyAt);
      }
      if (ready.length === 0) {
        if (nextReadyAt < Infinity) this.wakeAt(nextReadyAt);
        return;
      }
      const key = ready[Math.floor(this.random.next() * ready.length)];
      const queue = this.queues.get(key)!;
      const item = queue.shift()!;
      if (queue.length === 0) this.queues.delete(key);
      this.start(item);
    }
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timer.at <= at) return;
    if (this.timer) clearTimeout(this.timer.handle);
    const handle = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, at - Date.now());
    this.timer = { at, handle };
  }

  private start(item: QueuedDelivery): void {
    this.inFlight.add(item.key);
    this.active += 1;
    if (item.first) this.countOvertakes(item);
    const copies = [this.dispatchOnce(item)];
    if (item.first && this.random.next() < (this.options.concurrentDuplicateRate ?? 0.05)) {
      this.counts.redeliveries += 1;
      copies.push(this.dispatchOnce(item));
    }
    void Promise.all(copies)
      .then(
        () => {
          if (item.first) this.queueRedeliveries(item, copies.length);
          item.settle?.resolve();
        },
        (error: unknown) => {
          // The dispatcher itself failed (not a handler: those are retried and dead-lettered inside it).
          // The subscription re-reads from its checkpoint, so the rest of the producer's batch is dropped
          // here rather than delivered out of order ahead of this event.
          item.settle?.reject(error);
          this.dropFirstDeliveries(item.producer, error);
        },
      )
      .finally(() => {
        this.inFlight.delete(item.key);
        this.active -= 1;
        this.pump();
        this.checkIdle();
      });
  }

  private async dispatchOnce(item: QueuedDelivery): Promise<void> {
    const outcome = await item.dispatch(item.event);
    switch (outcome.kind) {
      case 'handled': {
        const times = (this.handledByEvent.get(item.event.eventId) ?? 0) + 1;
        this.handledByEvent.set(item.event.eventId, times);
        if (times === 2) this.counts.handledTwice += 1;
        this.counts.handled += 1;
        break;
      }
      case 'duplicate':
        this.counts.duplicates += 1;
        break;
      case 'ignored':
        this.counts.ignored += 1;
        break;
      case 'dead-lettered':
      case 'parked': // given up on too (its stream waits for the operator)
      case 'held':
        this.counts.deadLettered += 1;
        break;
    }
  }

  /**
   * Kafka redelivers from the last committed offset: the event again, after what came since. An event
   * is delivered three times at most (`delivered` already, counting a racing copy).
   */
  private queueRedeliveries(item: QueuedDelivery, delivered: number): void {
    if (this.closed || this.random.next() >= (this.options.redeliveryRate ?? 0.3)) return;
    const copies = Math.min(this.random.next() < 0.5 ? 1 : 2, 3 - delivered);
    for (let i = 0; i < copies; i++) this.enqueue({ ...item, first: false, readyAt: this.holdBack(), settle: undefined });
    this.counts.redeliveries += copies;
  }

  private countOvertakes(item: QueuedDelivery): void {
    let sameProducer = false;
    let otherProducer = false;
    for (const queue of this.queues.values()) {
      for (const waiting of queue) {
        if (!waiting.first || waiting.arrival > item.arrival) continue;
        if (waiting.producer === item.producer) sameProducer = true;
        else otherProducer = true;
      }
    }
    if (sameProducer) this.counts.overtookSameProducer += 1;
    if (otherProducer) this.counts.overtookOtherProducer += 1;
  }

  private dropFirstDeliveries(producer: string, error: unknown): void {
    for (const [key, queue] of this.queues) {
      const kept = queue.filter((waiting) => {
        if (!waiting.first || waiting.producer !== producer) return true;
        waiting.settle?.reject(error);
        return false;
      });
      if (kept.length > 0) this.queues.set(key, kept);
      else this.queues.delete(key);
    }
  }

  private checkIdle(): void {
    if (this.active > 0 || this.queues.size > 0) return;
    this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }
}

/**
 * The perturbing transport of a whole network: put `bus` in the host (startHost's `eventBus`) and
 * every consuming service gets its own PerturbedDelivery, seeded from `seed` and its name.
 */
export class PerturbedTransport {
  readonly bus: EmbeddedEventBus;
  private readonly deliveries = new Map<string, PerturbedDelivery>();

  constructor(readonly options: PerturbationOptions) {
    this.bus = new EmbeddedEventBus({ deliveryFor: (consumer) => this.deliveryFor(consumer) });
  }

  deliveryFor(consumer: string): PerturbedDelivery {
    let delivery = this.deliveries.get(consumer);
    if (!delivery) {
      delivery = new PerturbedDelivery(consumer, this.options);
      this.deliveries.set(consumer, delivery);
    }
    return delivery;
  }

  /** Counts per consuming service. */
  counts(): Record<string, DeliveryCounts> {
    return Object.fromEntries([...this.deliveries].map(([consumer, delivery]) => [consumer, { ...delivery.counts }]));
  }

  /** The counts of all consumers added up. */
  totals(): DeliveryCounts {
    const total = zeroCounts();
    for (const delivery of this.deliveries.values()) {
      for (const name of Object.keys(total) as (keyof DeliveryCounts)[]) total[name] += delivery.counts[name];
    }
    return total;
  }

  /** Resolves when no consumer has anything queued or in flight. */
  async idle(): Promise<void> {
    await Promise.all([...this.deliveries.values()].map((d) => d.idle()));
  }
}
