/** How failed webhook deliveries are tried again (configured by MESHFAB_NOTIFICATIONS_RETRY_*). */
export interface RetryPolicy {
  /** Wait after the first failed attempt; each further failure doubles it. */
  initialBackoffMs: number;
  /** No wait grows past this. */
  maxBackoffMs: number;
  /** A delivery is given up (status `failed`) once its next attempt would fall past this long after it was created. */
  windowMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialBackoffMs: 5_000, maxBackoffMs: 2 * 3_600_000, windowMs: 24 * 3_600_000 };

/**
 * When to try a delivery again after its `attempts`-th attempt failed (exponential back-off, capped), or
 * null when that would fall past its window (it is then given up, and can still be redelivered by hand).
 */
export function nextAttemptAt(attempts: number, createdAt: Date, failedAt: Date, policy: RetryPolicy): Date | null {
  const backoff = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempts - 1));
  const next = failedAt.getTime() + backoff;
  return next > createdAt.getTime() + policy.windowMs ? null : new Date(next);
}

/** When to disable an endpoint: consecutive failed attempts across its deliveries, for at least this long. */
export interface DisablePolicy {
  afterFailures: number;
  afterMs: number;
}

/** Whether an endpoint failing since `failingSince` with `consecutiveFailures` failed attempts in a row is disabled. */
export function shouldDisable(consecutiveFailures: number, failingSince: Date | null, now: Date, policy: DisablePolicy): boolean {
  if (consecutiveFailures < policy.afterFailures || !failingSince) return false;
  return now.getTime() - failingSince.getTime() >= policy.afterMs;
}
