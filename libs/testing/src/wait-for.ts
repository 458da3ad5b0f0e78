export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between two probes (default 50 ms). */
  intervalMs?: number;
  /** What was awaited, for the error on timeout. */
  message?: string;
}

/**
 * Polls `probe` until it returns a truthy value and resolves with that value. A probe that throws
 * (e.g. a failing `expect`) counts as "not yet"; on timeout the last error is part of the message.
 *
 *     const row = await waitFor(() => findRow(id), { message: `row ${id} projected` });
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 50, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `\nlast error: ${lastError.message}` : '';
      throw new Error(`waitFor: ${message} not met within ${timeoutMs} ms${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A log reader (`EventLog`, `SharedLogTail`): what `steadyLog` wraps. */
interface HorizonReader<P, E> {
  readUpToHorizon(position: P, limit: number): Promise<{ events: E[]; heldBack: boolean }>;
}

/**
 * `log`, read only once nothing is held back: other work on the shared test database may hold the log's
 * horizon for a moment, which would make a read stop short of events a test expects. Fails after 30 s (a
 * transaction left open).
 */
export const steadyLog = <P, E, L extends HorizonReader<P, E>>(log: L): L =>
  ({
    readUpToHorizon: async (position: P, limit: number) => {
      for (const until = Date.now() + 30_000; ; ) {
        const read = await log.readUpToHorizon(position, limit);
        if (!read.heldBack) return read;
        if (Date.now() > until) throw new Error('the log stayed held back for 30 s: a transaction left open on the test database?');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  }) as unknown as L;
