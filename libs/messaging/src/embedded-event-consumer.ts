import { Logger } from '@nestjs/common';
import { CatchUpSubscription } from '#libs/eventsourcing';
import { EmbeddedEventBus, toEnvelope, type EmbeddedDelivery } from './embedded-event-bus.js';
import { EMBEDDED_SOURCE } from './event-dispatcher.js';
import { EventConsumerServer, type EventConsumerOptions } from './event-consumer.server.js';
import { StreamVersions } from './stream-order.js';

export interface EmbeddedConsumerOptions extends EventConsumerOptions {
  bus: EmbeddedEventBus;
  pollIntervalMs?: number;
  /**
   * Transactions run at once over a batch, its streams split between them (like Kafka partitions); one
   * stream's events stay in order. Default 1 (RuntimeConfig.MESHFAB_EMBEDDED_LANES says why).
   */
  lanes?: number;
}

/** How often a busy embedded consumer saves its position (see CatchUpSubscription.checkpointIntervalMs). */
export const EMBEDDED_CHECKPOINT_INTERVAL_MS = 250;

/** Splits a batch into `lanes` ordered sub-lists by stream, as Kafka's key → partition does. */
export function laneOf(streamId: string, lanes: number): number {
  let hash = 0;
  for (let i = 0; i < streamId.length; i++) hash = (hash * 31 + streamId.charCodeAt(i)) | 0;
  return Math.abs(hash) % lanes;
}

/**
 * In-process transport for the single-process network: reads each producer's event log in commit order
 * from checkpoints kept in the consumer's schema. Same guarantees as Kafka: at-least-once delivery,
 * exactly-once effects through the inbox, bounded retries, dead letters.
 */
export class EmbeddedEventConsumer extends EventConsumerServer {
  private readonly subscriptions: CatchUpSubscription[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log = new Logger(EmbeddedEventConsumer.name);
  private delivery?: EmbeddedDelivery;
  private readonly versions = new StreamVersions();

  constructor(private readonly embedded: EmbeddedConsumerOptions) {
    super(embedded, async ({ reason, source }) => {
      this.log.warn(`${embedded.consumer}: dead-lettered a message from ${source}: ${reason}`);
    });
  }

  listen(callback: () => void): void {
    // A delivery put on the bus by a test replaces the lanes below (production never sets one).
    this.delivery = this.embedded.bus.deliveryFor(this.embedded.consumer);
    for (const producer of this.embedded.producers) {
      const source = `${EMBEDDED_SOURCE}${producer}`;
      const subscription = new CatchUpSubscription({
        log: this.embedded.bus.tailOf(producer),
        checkpoints: this.embedded.database.checkpoints,
        subscriptionId: `embedded-consumer:${producer}`,
        pollIntervalMs: this.embedded.pollIntervalMs ?? 100,
        // The inbox takes a repeat as a no-op: the position is saved at most every 250 ms and on stop (a
        // crash hands again at most that much), not after every batch.
        checkpointIntervalMs: EMBEDDED_CHECKPOINT_INTERVAL_MS,
        handle: async (events) => {
          if (this.delivery) return this.delivery.deliver(producer, events, (event) => this.dispatcher.dispatch(toEnvelope(event), source, event.traceparent));
          const lanes = this.embedded.lanes ?? 1;
          const byLane = Array.from({ length: lanes }, () => [] as typeof events);
          for (const event of events) byLane[laneOf(event.streamId, lanes)].push(event);
          // The log hands over every event of a stream, in version order: a gap is held (the batch fails
          // and is read again from the checkpoint), never applied out of order. allSettled: no lane still
          // runs when the batch is read again. A lane's events before the first gap are handled in runs of
          // up to MAX_EVENTS_PER_TRANSACTION in one inbox transaction each (EventDispatcher.dispatchAll); a
          // stream's version is marked seen once its event's transaction committed.
          const lanesDone = await Promise.allSettled(
            byLane.map(async (lane) => {
              const key = (event: (typeof lane)[number]) => `${producer}/${event.streamId}`;
              const gap = this.versions.firstProblem(lane.map((event) => ({ streamId: key(event), version: event.streamVersion })), true);
              const inOrder = gap ? lane.slice(0, gap.index) : lane;
              await this.dispatcher.dispatchAll(
                inOrder.map((event) => ({ message: toEnvelope(event), source, traceparent: event.traceparent })),
                (i) => this.versions.seen(key(inOrder[i]), inOrder[i].streamVersion),
              );
              if (gap) throw this.dispatcher.streamOrderProblem(gap.problem, source);
            }),
          );
          const failed = lanesDone.find((done): done is PromiseRejectedResult => done.status === 'rejected');
          if (failed) throw failed.reason as Error;
        },
        onError: (error) => this.log.error(`${this.embedded.consumer} reading ${producer}: ${String(error)}`),
      });
      this.subscriptions.push(subscription);
      this.unsubscribe.push(this.embedded.bus.onAppend(producer, () => subscription.notify()));
      subscription.start();
    }
    callback();
  }

  /** Drains: each subscription finishes and checkpoints the batch in hand. */
  async close(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    await Promise.all(this.subscriptions.map((s) => s.stop()));
    await this.delivery?.close();
  }

  unwrap<T>(): T {
    return this.subscriptions as T;
  }
}
