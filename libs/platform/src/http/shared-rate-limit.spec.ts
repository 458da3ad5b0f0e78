import type { RateLimit } from './rate-limit.js';
import { SharedTokenBuckets, type SharedBucketsOptions, type SharedGrant, type SharedRateLimitStore } from './shared-rate-limit.js';

function clock() {
  let ms = 0;
  return { now: () => ms, advance: (seconds: number) => (ms += seconds * 1000) };
}

/** The store's contract (GCRA in memory on the test clock), counting its round trips; the PostgreSQL one is the int-spec's. */
class CountingStore implements SharedRateLimitStore {
  calls = 0;
  failing = false;
  hanging = false;
  private readonly tat = new Map<string, number>();
  constructor(private readonly now: () => number) {}

  take(key: string, limit: RateLimit, wanted: number): Promise<SharedGrant> {
    this.calls += 1;
    if (this.hanging) return new Promise(() => undefined);
    if (this.failing) return Promise.reject(new Error('connection refused'));
    const interval = 1000 / limit.perSecond;
    const now = this.now();
    const start = Math.max(this.tat.get(key) ?? now, now);
    const granted = Math.min(wanted, Math.max(0, Math.floor((now + limit.burst * interval - start) / interval)));
    const tat = start + granted * interval;
    this.tat.set(key, tat);
    return Promise.resolve({ granted, retryAfterMs: granted ? 0 : tat - (limit.burst - 1) * interval - now });
  }
}

const OPTIONS: SharedBucketsOptions = { lease: 1, leaseMs: 1000, timeoutMs: 50, fallbackMs: 5000 };

async function takeMany(buckets: SharedTokenBuckets, key: string, times: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < times; i += 1) if ((await buckets.take(key)).allowed) allowed += 1;
  return allowed;
}

describe('SharedTokenBuckets', () => {
  const limit = { perSecond: 1, burst: 10 };

  it('lets two instances together spend one budget, not one each', async () => {
    const time = clock();
    const store = new CountingStore(time.now);
    const a = new SharedTokenBuckets(store, limit, OPTIONS, time.now);
    const b = new SharedTokenBuckets(store, limit, OPTIONS, time.now);
    let allowed = 0;
    for (let i = 0; i < 10; i += 1) allowed += (await takeMany(a, 'k', 1)) + (await takeMany(b, 'k', 1));
    expect(allowed).toBe(10);
    time.advance(3);
    expect((await takeMany(a, 'k', 5)) + (await takeMany(b, 'k', 5))).toBe(3);
  });

  it('spends a lease without round trips, and never admits more than the budget with leases in several instances', async () => {
    const time = clock();
    const store = new CountingStore(time.now);
    const leased = { ...OPTIONS, lease: 4 };
    const a = new SharedTokenBuckets(store, limit, leased, time.now);
    const b = new SharedTokenBuckets(store, limit, leased, time.now);
    expect(await takeMany(a, 'k', 4)).toBe(4);
    expect(store.calls).toBe(1);
    expect((await takeMany(b, 'k', 20)) + (await takeMany(a, 'k', 20))).toBe(6);
  });

  it('refuses a refused key without a round trip until the store said a token is back', async () => {
    const time = clock();
    const store = new CountingStore(time.now);
    const a = new SharedTokenBuckets(store, limit, OPTIONS, time.now);
    await takeMany(a, 'k', 10);
    const calls = store.calls;
    expect(await a.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(await takeMany(a, 'k', 50)).toBe(0);
    expect(store.calls).toBe(calls + 1);
    time.advance(1);
    expect(await a.take('k')).toEqual({ allowed: true });
  });

  it('shares one round trip among the calls of a key that arrive while it runs', async () => {
    const time = clock();
    const store = new CountingStore(time.now);
    const a = new SharedTokenBuckets(store, limit, { ...OPTIONS, lease: 5 }, time.now);
    const admissions = await Promise.all(Array.from({ length: 5 }, () => a.take('k')));
    expect(admissions.every((admission) => admission.allowed)).toBe(true);
    expect(store.calls).toBe(1);
  });

  it('fails open to its own buckets while the store fails, then goes back to the store', async () => {
    const time = clock();
    const store = new CountingStore(time.now);
    const fallbacks: unknown[] = [];
    const a = new SharedTokenBuckets(store, limit, { ...OPTIONS, onFallback: (error) => fallbacks.push(error) }, time.now);
    store.failing = true;
    // The local buckets still hold the limit (one budget for this instance).
    expect(await takeMany(a, 'k', 15)).toBe(10);
    expect(store.calls).toBe(1);
    expect(fallbacks).toHaveLength(1);
    store.failing = false;
    time.advance(5);
    expect(await takeMany(a, 'k', 1)).toBe(1);
    expect(store.calls).toBe(2);
  });

  it('treats a store slower than its timeout as failed', async () => {
    const time = clock();
    const store = new CountingStore(time.now);
    const fallbacks: unknown[] = [];
    const a = new SharedTokenBuckets(store, limit, { ...OPTIONS, timeoutMs: 5, onFallback: (error) => fallbacks.push(error) }, time.now);
    store.hanging = true;
    expect(await a.take('k')).toEqual({ allowed: true });
    expect(String(fallbacks[0])).toContain('did not answer within 5 ms');
  });
});
