/** How fast one caller may go: `perSecond` calls on average, up to `burst` at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** What {@link TokenBuckets.take} answers: go ahead, or wait `retryAfterSeconds` before the next try. */
export type Admission = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms of the clock). */
  at: number;
}

/**
 * Token buckets, one per key (a member id, a client address): each call takes one token, tokens
 * come back at `perSecond` up to `burst`. A bucket that would be full again is the same as no bucket,
 * so once the map holds more than `maxKeys` those are dropped: memory stays bounded by the callers
 * active in the last `burst / perSecond` seconds, whatever an attacker puts in the keys.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 10_000,
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) throw new Error('a rate limit needs perSecond > 0 and burst >= 1');
  }

  take(key: string): Admission {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = this.refilled(bucket, now);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      // At most one sweep a second: when every tracked caller is active, sweeping frees nothing.
      if (this.buckets.size > this.maxKeys && now - this.lastSweep >= 1000) this.dropFullBuckets(now);
      return { allowed: true };
    }
    this.buckets.set(key, bucket);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond)) };
  }

  /** How many keys are tracked (for tests of the memory bound). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
  }

  private dropFullBuckets(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (this.refilled(bucket, now) >= this.limit.burst) this.buckets.delete(key);
    }
  }
}
