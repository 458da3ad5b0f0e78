import { DEFAULT_RETRY_POLICY, nextAttemptAt, shouldDisable } from './retry-schedule.js';

const t0 = new Date('2026-12-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('nextAttemptAt: exponential back-off for up to 24 h', () => {
  it('doubles the wait after each failure, from the initial back-off', () => {
    expect(nextAttemptAt(1, t0, at(0), DEFAULT_RETRY_POLICY)).toEqual(at(5_000));
    expect(nextAttemptAt(2, t0, at(5_000), DEFAULT_RETRY_POLICY)).toEqual(at(15_000));
    expect(nextAttemptAt(3, t0, at(15_000), DEFAULT_RETRY_POLICY)).toEqual(at(35_000));
  });

  it('caps the wait', () => {
    expect(nextAttemptAt(20, t0, at(3_600_000), DEFAULT_RETRY_POLICY)).toEqual(at(3 * 3_600_000));
  });

  it('gives up once the next attempt would fall past the window, and not before', () => {
    const lastHour = 22 * 3_600_000;
    expect(nextAttemptAt(20, t0, at(lastHour), DEFAULT_RETRY_POLICY)).toEqual(at(24 * 3_600_000));
    expect(nextAttemptAt(20, t0, at(lastHour + 1), DEFAULT_RETRY_POLICY)).toBeNull();
  });

  it('keeps trying a whole day with the defaults', () => {
    let attempts = 0;
    let now = t0;
    for (;;) {
      attempts += 1;
      const next = nextAttemptAt(attempts, t0, now, DEFAULT_RETRY_POLICY);
      if (!next) break;
      now = next;
    }
    expect(now.getTime() - t0.getTime()).toBeGreaterThan(20 * 3_600_000);
    expect(now.getTime() - t0.getTime()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(attempts).toBeGreaterThan(10);
  });
});

describe('shouldDisable', () => {
  const policy = { afterFailures: 5, afterMs: 60_000 };
  it('needs both enough failures in a row and long enough failing', () => {
    expect(shouldDisable(4, t0, at(120_000), policy)).toBe(false);
    expect(shouldDisable(5, t0, at(59_999), policy)).toBe(false);
    expect(shouldDisable(5, null, at(120_000), policy)).toBe(false);
    expect(shouldDisable(5, t0, at(60_000), policy)).toBe(true);
  });
});
