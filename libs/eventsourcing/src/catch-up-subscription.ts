import type { Checkpoints } from './checkpoints.js';
import type { LogReader } from './shared-log-tail.js';
import type { GlobalPosition, StoredEvent } from './stored-event.js';

export interface CatchUpSubscriptionOptions {
  /** Where the events come from (a producing service's log, or a tail of it shared in the process). */
  log: LogReader;
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
  /**
   * Save the checkpoint at most this often (default 0: after every batch); a subscription that caught up
   * saves at its next idle poll once the interval has passed, and one that stops saves then. A crash then
   * hands again at most this long's batches: only for handlers that take a repeat as a no-op (an inbox).
   */
  checkpointIntervalMs?: number;
}

/** The longest wait between reads while the log's horizon holds committed events back. */
const HELD_BACK_MAX_WAIT_MS = 50;

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
  /** A notify came since the last read began: read again before waiting. */
  private notified = false;
  /** Reads in a row that the log's horizon held back (an older transaction runs on, see event-log.ts). */
  private heldBackReads = 0;
  /** The position handled but not yet saved, and when the checkpoint was last saved. */
  private unsaved?: GlobalPosition;
  private savedAt = 0;

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

  /** Ask for an immediate poll (e.g. right after a local append commits). */
  notify(): void {
    this.notified = true;
    this.heldBackReads = 0; // a new commit: re-reads held back by the horizon start over at 2 ms
    this.wake?.();
  }

  /** One poll: handles the next batch, returns its size. */
  async pollOnce(): Promise<number> {
    const { log, checkpoints, subscriptionId, handle } = this.options;
    this.notified = false;
    this.position ??= await checkpoints.load(subscriptionId);
    const { events: batch, heldBack } = await log.readUpToHorizon(this.position, this.options.batchSize ?? 200);
    this.heldBackReads = heldBack ? this.heldBackReads + 1 : 0;
    if (batch.length === 0) {
      // Caught up: saved once the interval has passed (an idle poll comes within the poll interval).
      await this.saveCheckpointWhenDue();
      return 0;
    }
    await handle(batch);
    this.position = this.unsaved = batch[batch.length - 1].globalPosition;
    await this.saveCheckpointWhenDue();
    return batch.length;
  }

  private async saveCheckpointWhenDue(): Promise<void> {
    if (Date.now() - this.savedAt >= (this.options.checkpointIntervalMs ?? 0)) await this.saveCheckpoint();
  }

  private async saveCheckpoint(): Promise<void> {
    if (!this.unsaved) return;
    const position = this.unsaved;
    await this.options.checkpoints.save(this.options.subscriptionId, position);
    if (this.unsaved === position) this.unsaved = undefined;
    this.savedAt = Date.now();
  }

  /**
   * After a read that found nothing new: the interval, unless the horizon held events back — they pass
   * as soon as the older transaction ends, so the next read comes after 2, 6, 18, then every 50 ms (at
   * most the interval) while they are held; new commits in this process wake the subscription anyway.
   */
  private nextIdleWait(): number {
    const interval = this.options.pollIntervalMs ?? 100;
    if (this.heldBackReads === 0) return interval;
    return Math.min(interval, HELD_BACK_MAX_WAIT_MS, 2 * 3 ** Math.min(this.heldBackReads - 1, 6));
  }

  private async run(): Promise<void> {
    try {
      await this.pollUntilStopped();
    } finally {
      // Stopping: what was handled is saved (unless the database is gone: then it is handed again).
      await this.saveCheckpoint().catch((error: unknown) => this.options.onError?.(error));
    }
  }

  private async pollUntilStopped(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.pollOnce();
        failures = 0;
      } catch (error) {
        failures += 1;
        // Reload the durable checkpoint before trying again (what was handled since is handed again).
        this.position = this.unsaved = undefined;
        this.options.onError?.(error);
      }
      if (handled === 0 && this.running && (failures > 0 || !this.notified)) {
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
