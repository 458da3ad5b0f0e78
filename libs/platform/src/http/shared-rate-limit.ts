import { TokenBuckets, type Admission, type RateLimit } from './rate-limit.js';

/**
 * Injection token of an optional {@link SharedRateLimitStore}: provide it in any module of the app and the
 * rate limit middleware draws every budget from it (one budget per member or client address for all the
 * instances of a service), instead of from buckets of its own process.
 */
export const SHARED_RATE_LIMIT_STORE = Symbol('SHARED_RATE_LIMIT_STORE');

/** What {@link SharedRateLimitStore.take} answers: how many tokens it granted, and if none, the wait for the next. */
export interface SharedGrant {
  granted: number;
  /** Milliseconds until one token is back; meaningful when `granted` is 0. */
  retryAfterMs: number;
}

/** A token bucket per key kept where every instance sees it (the service's PostgreSQL: libs/runtime). */
export interface SharedRateLimitStore {
  /** Takes up to `wanted` tokens of `key`'s bucket under `limit`, atomically across instances. */
  take(key: string, limit: RateLimit, wanted: number): Promise<SharedGrant>;
}

export interface SharedBucketsOptions {
  /** Tokens taken from the shared budget per round trip and spent locally; 1 = every call is a round trip. */
  lease: number;
  /** How long unspent leased tokens stay usable here (they are lost to the shared budget meanwhile). */
  leaseMs: number;
  /** A store call slower than this admits the call by the local buckets instead. */
  timeoutMs: number;
  /** After a failed or slow store call, the local buckets decide alone for this long before the store is tried again. */
  fallbackMs: number;
  /** Told once each time the store fails and the local buckets take over. */
  onFallback?: (error: unknown) => void;
}

interface Lease {
  tokens: number;
  expiresAt: number;
}

/**
 * One budget per key for every instance of a service, drawn from a {@link SharedRateLimitStore}:
 *
 * - **Leases.** A round trip takes up to `lease` tokens at once; the calls that follow spend them here
 *   without a round trip until they run out or `leaseMs` passes. A leased token is gone from the shared
 *   budget whether it is spent or not, so all instances together never admit more than the budget (they
 *   may admit a little less: a lease left unspent when it expires).
 * - **Refusals.** A refused key is refused here, without a round trip, until the store said a token is back:
 *   tokens only come back with time, so a flood of refused calls costs no database work.
 * - **Fails open to the local buckets.** When the store errs or is slower than `timeoutMs`, the call is
 *   admitted or refused by this process's own buckets (the limit still holds per instance, at most one
 *   budget per instance), for `fallbackMs`, then the store is tried again. A limiter whose database is
 *   unavailable does not take the service down with it; the WriteGate already refuses writes in that state.
 */
export class SharedTokenBuckets {
  private readonly leases = new Map<string, Lease>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly local: TokenBuckets;
  private storeDownUntil = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: SharedRateLimitStore,
    private readonly limit: RateLimit,
    private readonly options: SharedBucketsOptions,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 10_000,
  ) {
    if (!(options.lease >= 1)) throw new Error('a shared rate limit needs a lease of at least one token');
    this.local = new TokenBuckets(limit, now, maxKeys);
  }

  async take(key: string): Promise<Admission> {
    for (;;) {
      const now = this.now();
      if (now < this.storeDownUntil) return this.local.take(key);
      const lease = this.leases.get(key);
      if (lease && lease.expiresAt > now && lease.tokens >= 1) {
        lease.tokens -= 1;
        return { allowed: true };
      }
      const until = this.refusedUntil.get(key);
      if (until !== undefined && until > now) return { allowed: false, retryAfterSeconds: secondsUntil(until - now) };
      // One round trip per key at a time: the calls that arrive meanwhile share what it brings back.
      const pending = this.inflight.get(key);
      if (pending) {
        await pending;
        continue;
      }
      const refill = this.refill(key);
      this.inflight.set(
        key,
        refill.then(
          () => undefined,
          () => undefined,
        ),
      );
      try {
        const admission = await refill;
        if (admission) return admission;
      } finally {
        this.inflight.delete(key);
      }
    }
  }

  /** How many keys hold a lease or a refusal here (for tests of the memory bound). */
  get size(): number {
    return this.leases.size + this.refusedUntil.size;
  }

  /** Takes a lease from the store and spends its first token on this call; undefined when the store failed. */
  private async refill(key: string): Promise<Admission | undefined> {
    let grant: SharedGrant;
    try {
      grant = await withTimeout(this.store.take(key, this.limit, this.options.lease), this.options.timeoutMs);
    } catch (error) {
      this.storeDownUntil = this.now() + this.options.fallbackMs;
      this.options.onFallback?.(error);
      return undefined;
    }
    const now = this.now();
    this.sweep(now);
    if (grant.granted >= 1) {
      this.refusedUntil.delete(key);
      if (grant.granted > 1) this.leases.set(key, { tokens: grant.granted - 1, expiresAt: now + this.options.leaseMs });
      else this.leases.delete(key);
      return { allowed: true };
    }
    this.leases.delete(key);
    const wait = Math.max(1, grant.retryAfterMs);
    this.refusedUntil.set(key, now + wait);
    return { allowed: false, retryAfterSeconds: secondsUntil(wait) };
  }

  /** Drops expired leases and refusals once the maps are large, at most once a second (memory bounded by active callers). */
  private sweep(now: number): void {
    if (this.leases.size + this.refusedUntil.size <= this.maxKeys || now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [key, lease] of this.leases) if (lease.expiresAt <= now || lease.tokens < 1) this.leases.delete(key);
    for (const [key, until] of this.refusedUntil) if (until <= now) this.refusedUntil.delete(key);
  }
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the rate limit store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
