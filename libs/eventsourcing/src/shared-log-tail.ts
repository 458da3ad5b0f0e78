import type { EventLog } from './event-log.js';
import { compareGlobalPositions, type GlobalPosition, type StoredEvent } from './stored-event.js';

/** What a catch-up subscription reads: a log, or a tail shared by several subscriptions of one log. */
export interface LogReader {
  readUpToHorizon(position: GlobalPosition, limit: number): Promise<{ events: StoredEvent[]; heldBack: boolean }>;
}

export interface SharedLogTailOptions {
  /** Events kept for subscribers that are behind; older ones are read from the log again. Default 4096. */
  capacity?: number;
  /** Events fetched per read of the log. Default 500. */
  readSize?: number;
  /**
   * How long a finished read that held nothing back still answers a subscriber that asks without a new
   * commit in between (an idle poll), in ms. Default 100: the idle polls of many subscribers cost one
   * read per producer at most this often.
   */
  reuseMs?: number;
}

/**
 * One reader of a service's event log for all the subscriptions of the same process (the embedded
 * network's consumers): each commit costs one read of the log, not one per consumer. It keeps the latest
 * events read, a contiguous run of the log in global order, `(start, end]`; a subscriber whose position
 * lies in that run is served from memory, and one at its end waits for the next read. A subscriber
 * outside the run (behind it, or ahead after a read of its own) reads the log itself, as before.
 *
 * Why that can't skip or reorder: the run grows only by reads of the log from its end (the horizon read of
 * event-log.ts, which never passes an event that may still commit below it), one read at a time, so every
 * event after `start` up to `end` is in it, in order. A subscriber at position p in the run gets the events
 * after p, exactly what its own read from p would have returned by then.
 *
 * Freshness: a commit in this process calls `committed()` before it wakes the subscribers; a read begun
 * before the latest commit cannot serve a subscriber that asks after it, so it reads again. The events
 * handed out are shared by every subscriber: they must not be changed (frozen under NODE_ENV=test).
 */
export class SharedLogTail implements LogReader {
  private run: StoredEvent[] = [];
  private start?: GlobalPosition;
  private end?: GlobalPosition;
  private heldBack = false;
  private commits = 0;
  /** The latest read of the log: the commits announced when it began, when it ended (0 while in flight). */
  private latest?: { commits: number; endedAt: number; done: Promise<void> };
  private readonly capacity: number;
  private readonly readSize: number;
  private readonly reuseMs: number;
  private readonly freeze = process.env.NODE_ENV === 'test';
  /**
   * Reads of the log by this tail, answers from memory, and reads left to the log itself (a subscriber
   * outside the run: far behind, or after a restart). Exported as `meshfab_log_tail_*_total{producer}`.
   */
  readonly stats = { logReads: 0, served: 0, bypassed: 0 };

  constructor(
    private readonly log: EventLog,
    options: SharedLogTailOptions = {},
  ) {
    this.capacity = options.capacity ?? 4096;
    this.readSize = options.readSize ?? 500;
    this.reuseMs = options.reuseMs ?? 100;
  }

  /** A transaction that appended to this log committed (in this process). */
  committed(): void {
    this.commits += 1;
  }

  async readUpToHorizon(position: GlobalPosition, limit: number): Promise<{ events: StoredEvent[]; heldBack: boolean }> {
    // The first reader anchors the run at its own position.
    if (this.start === undefined) this.start = this.end = position;
    if (!this.covers(position)) {
      this.stats.bypassed += 1;
      return this.log.readUpToHorizon(position, limit);
    }
    let events = this.after(position, limit);
    if (events.length === 0) {
      await this.fresh();
      if (!this.covers(position)) return this.log.readUpToHorizon(position, limit);
      events = this.after(position, limit);
    }
    this.stats.served += 1;
    return { events, heldBack: this.heldBack };
  }

  /** Whether `position` lies in the run (start ≤ position ≤ end). */
  private covers(position: GlobalPosition): boolean {
    return this.start !== undefined && this.end !== undefined && compareGlobalPositions(this.start, position) <= 0 && compareGlobalPositions(position, this.end) <= 0;
  }

  /** Up to `limit` events of the run after `position` (in the run). */
  private after(position: GlobalPosition, limit: number): StoredEvent[] {
    let low = 0;
    let high = this.run.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareGlobalPositions(this.run[mid].globalPosition, position) <= 0) low = mid + 1;
      else high = mid;
    }
    return this.run.slice(low, low + limit);
  }

  /** Waits for a read of the log that began after the latest commit announced (or a recent idle one). */
  private async fresh(): Promise<void> {
    const wanted = this.commits;
    const latest = this.latest;
    if (latest && latest.commits >= wanted && (latest.endedAt === 0 || (!this.heldBack && Date.now() - latest.endedAt < this.reuseMs))) {
      await latest.done;
      return;
    }
    // A failed read fails its waiters (they retry from their checkpoints), not the reads after it.
    const previous = latest ? latest.done.catch(() => undefined) : Promise.resolve();
    const read = { commits: wanted, endedAt: 0, done: Promise.resolve() };
    // One read at a time, each from the run's end as the previous read left it.
    read.done = previous.then(async () => {
      read.commits = this.commits;
      try {
        await this.readMore();
      } finally {
        read.endedAt = Date.now();
      }
    });
    this.latest = read;
    await read.done;
  }

  private async readMore(): Promise<void> {
    const from = this.end!;
    this.stats.logReads += 1;
    const { events, heldBack } = await this.log.readUpToHorizon(from, this.readSize);
    this.heldBack = heldBack;
    if (events.length === 0) return;
    if (this.freeze) events.forEach(deepFreeze);
    this.run.push(...events);
    this.end = events[events.length - 1].globalPosition;
    if (this.run.length > this.capacity) {
      const dropped = this.run.splice(0, this.run.length - this.capacity);
      this.start = dropped[dropped.length - 1].globalPosition;
    }
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}
