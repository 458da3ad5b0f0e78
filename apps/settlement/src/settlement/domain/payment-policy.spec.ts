import { basisPointsOf, daysLate, splitRelease, type PaymentPolicy } from './payment-policy.js';

const policy: PaymentPolicy = { feeBps: 500, penaltyBpsPerDay: 100, penaltyCapBps: 1000, graceHours: 0 };

describe('payment policy', () => {
  it('takes the fee in basis points, rounding down in the workshop favour', () => {
    expect(basisPointsOf(10_000, 500)).toBe(500);
    expect(basisPointsOf(999, 500)).toBe(49); // 49.95 → 49
    expect(basisPointsOf(19, 500)).toBe(0); // 0.95 → 0
    expect(basisPointsOf(Number.MAX_SAFE_INTEGER, 10_000)).toBe(Number.MAX_SAFE_INTEGER); // exact in BigInt
  });

  it('splits an on-time lot into fee and net that add up to the gross', () => {
    expect(splitRelease(123_457, policy, 0)).toEqual({ gross: 123_457, fee: 6172, penalty: 0, net: 117_285, daysLate: 0 });
  });

  it('charges the late penalty per started day, capped', () => {
    expect(splitRelease(100_000, policy, 3)).toEqual({ gross: 100_000, fee: 5000, penalty: 3000, net: 92_000, daysLate: 3 });
    expect(splitRelease(100_000, policy, 30).penalty).toBe(10_000);
  });

  it('never lets fee plus penalty exceed the gross', () => {
    const harsh: PaymentPolicy = { feeBps: 9000, penaltyBpsPerDay: 5000, penaltyCapBps: 10_000, graceHours: 0 };
    const split = splitRelease(1001, harsh, 2);
    expect(split.fee + split.penalty + split.net).toBe(1001);
    expect(split.net).toBe(0);
    expect(split.penalty).toBe(1001 - 900);
  });

  it('counts days late from the due time, with grace hours', () => {
    const due = new Date('2026-03-01T12:00:00Z');
    expect(daysLate(new Date('2026-03-01T12:00:00Z'), due)).toBe(0);
    expect(daysLate(new Date('2026-03-01T12:00:01Z'), due)).toBe(1);
    expect(daysLate(new Date('2026-03-03T13:00:00Z'), due)).toBe(3);
    expect(daysLate(new Date('2026-03-01T20:00:00Z'), due, 12)).toBe(0);
    expect(daysLate(new Date('2026-02-27T00:00:00Z'), due)).toBe(0);
  });

  it('refuses rates outside 0..10000 bps', () => {
    expect(() => splitRelease(100, { ...policy, feeBps: 10_001 }, 0)).toThrow(/feeBps/);
    expect(() => splitRelease(100, { ...policy, feeBps: 2.5 }, 0)).toThrow(/feeBps/);
  });
});
