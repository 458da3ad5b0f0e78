import { TokenBuckets } from './rate-limit.js';

function clock() {
  let ms = 0;
  return { now: () => ms, advance: (seconds: number) => (ms += seconds * 1000) };
}

function takeMany(buckets: TokenBuckets, key: string, times: number): number {
  let allowed = 0;
  for (let i = 0; i < times; i += 1) if (buckets.take(key).allowed) allowed += 1;
  return allowed;
}

describe('TokenBuckets', () => {
  it('lets a burst through at once, then refuses with the seconds until the next token', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perSecond: 2, burst: 5 }, time.now);
    expect(takeMany(buckets, 'a', 5)).toBe(5);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at the configured rate, never above the burst', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perSecond: 2, burst: 5 }, time.now);
    takeMany(buckets, 'a', 5);
    time.advance(1.5); // three tokens back
    expect(takeMany(buckets, 'a', 10)).toBe(3);
    time.advance(3600); // a long pause fills it up to the burst only
    expect(takeMany(buckets, 'a', 10)).toBe(5);
  });

  it('keeps callers apart: one caller spending its budget leaves the others theirs', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perSecond: 1, burst: 3 }, time.now);
    expect(takeMany(buckets, 'flooder', 100)).toBe(3);
    expect(takeMany(buckets, 'quiet', 3)).toBe(3);
  });

  it('tells a slow limit to wait the whole interval, in whole seconds', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perSecond: 0.1, burst: 1 }, time.now);
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    time.advance(4);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    time.advance(6);
    expect(buckets.take('a').allowed).toBe(true);
  });

  it('forgets callers whose bucket has filled up again, so memory stays bounded', () => {
    const time = clock();
    const buckets = new TokenBuckets({ perSecond: 10, burst: 10 }, time.now, 100);
    for (let i = 0; i < 100; i += 1) buckets.take(`caller-${i}`);
    expect(buckets.size).toBe(100);
    time.advance(2); // all of them are full again
    buckets.take('one-more');
    expect(buckets.size).toBe(1);
  });

  it('refuses a limit that would let nothing through', () => {
    expect(() => new TokenBuckets({ perSecond: 0, burst: 5 })).toThrow(/perSecond > 0/);
    expect(() => new TokenBuckets({ perSecond: 5, burst: 0 })).toThrow(/burst >= 1/);
  });
});
