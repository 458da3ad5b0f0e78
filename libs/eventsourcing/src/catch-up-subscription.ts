import type { Checkpoints } from './checkpoints.js';
import type { EventLog } from './event-log.js';
import type { GlobalPosition, StoredEvent } from './stored-event.js';

export interface CatchUpSubscriptionOptions {
  /** Where the events come from (a producing service's log). */
  log: EventLog;
  /** Where this subscription's position is kept (the subscriber's own schema). */
  checkpoints: Checkpoints;
  subscriptionId: string;
  /** Handles one batch in order; the checkpoint moves past it only after this resolves. */
  handle: (events: StoredEvent[]) => Promise<void>;
  batchSize?: number;
  /** Idle wait between polls when the log had nothing new. */
  pollIntervalMs?: number;
  /** Called when a poll or a batch fails; the batch is retried on the next poll. */
  onError?: (error: unknown) => void;
}

/**
 * Reads a service's event log in global order from a durable checkpoint and hands batches to a
 * handler: at-least-once delivery in commit order (an event is handed again only if the process
 * stopped before its checkpoint was saved). Used by the outbox relay, the embedded transport and
 * asynchronous read models.
 */
export class CatchUpSubscription {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private position?: GlobalPosition;
  /** Quick re-polls left after a wake-up: the append may belong to a transaction still committing. */
  private quickPolls = 0;

  constructor(private readonly options: CatchUpSubscriptionOptions) {}

  get subscriptionId(): string {
    return this.options.subscriptionId;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch in hand is handled and checkpointed. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Ask for an immediate poll (e.g. right after a local append). */
  notify(): void {
    this.quickPolls = 6;
    this.wake?.();
  }

  /** One poll: handles the next batch, returns its size. */
  async pollOnce(): Promise<number> {
    const { log, checkpoints, subscriptionId, handle } = this.options;
    this.position ??= await checkpoints.load(subscriptionId);
    const batch = await log.readAfter(this.position, this.options.batchSize ?? 200);
    if (batch.length === 0) return 0;
    await handle(batch);
    const last = batch[batch.length - 1].globalPosition;
    await checkpoints.save(subscriptionId, last);
    this.position = last;
    return batch.length;
  }

  private nextIdleWait(): number {
    const interval = this.options.pollIntervalMs ?? 100;
    if (this.quickPolls === 0) return interval;
    this.quickPolls -= 1;
    return Math.min(interval, 3);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.pollOnce();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.position = undefined; // reload the durable checkpoint before trying again
        this.options.onError?.(error);
      }
      if (handled === 0 && this.running) {
        const idle = failures > 0 ? Math.min(5000, 100 * 2 ** failures) : this.nextIdleWait();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idle);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
