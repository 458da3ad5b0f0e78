/**
 * The newest version of each stream a consumer has seen, to notice events that arrive out of order: a
 * gap (version n+2 after n, where the transport hands over every event of a stream, as the embedded one
 * does) or a step back (an event not handled yet, older than one already handled, on any transport).
 * Either means the feed broke its promise; the event is held, never applied out of order. In memory
 * and bounded (the least recently seen streams are forgotten), so after a restart or for a forgotten
 * stream the next event is simply taken as the first.
 */
export class StreamVersions {
  private readonly last = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  /** The version `streamId` should continue with, or undefined when not known. */
  expected(streamId: string): number | undefined {
    const last = this.last.get(streamId);
    return last === undefined ? undefined : last + 1;
  }

  /** A problem with receiving `version` of `streamId` now, or null. `complete`: every event of the stream is delivered. */
  problem(streamId: string, version: number, complete: boolean): string | null {
    const last = this.last.get(streamId);
    if (last === undefined) return null;
    if (complete && version > last + 1) return `version gap in stream ${streamId}: version ${version} arrived after ${last}`;
    return null;
  }

  /**
   * The first of `events` (in the order given) that `problem` would find a problem with, had every one
   * before it been `seen`, and that problem; undefined when there is none. Nothing is marked seen.
   */
  firstProblem(events: readonly { streamId: string; version: number }[], complete: boolean): { index: number; problem: string } | undefined {
    const ahead = new StreamVersions(Number.POSITIVE_INFINITY);
    for (const [index, { streamId, version }] of events.entries()) {
      const problem = ahead.last.has(streamId) ? ahead.problem(streamId, version, complete) : this.problem(streamId, version, complete);
      if (problem) return { index, problem };
      ahead.seen(streamId, Math.max(version, this.last.get(streamId) ?? version));
    }
    return undefined;
  }

  /** A problem with applying `version` of `streamId` for the first time, or null (older than what was applied: out of order). */
  stepBack(streamId: string, version: number): string | null {
    const last = this.last.get(streamId);
    return last !== undefined && version < last ? `stream ${streamId} out of order: version ${version} arrived after ${last} was applied` : null;
  }

  seen(streamId: string, version: number): void {
    const last = this.last.get(streamId);
    this.last.delete(streamId); // re-inserted last: the Map's order is the recency order
    this.last.set(streamId, last === undefined ? version : Math.max(last, version));
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value as string);
  }
}

/** Thrown instead of applying an event out of order; names the stream and the versions. */
export class StreamOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamOrderError';
  }
}
