import { ValidationFailed } from '#libs/domain';

export const BPS_DENOMINATOR = 10_000;
const DAY_MS = 86_400_000;

/**
 * How a passed lot's agreed price is split. Rates are integer basis points (1 bp = 0.01 %).
 *
 * Rounding (documented policy): every percentage is computed exactly in BigInt and rounded DOWN to
 * whole minor units, in the workshop's favour — the fee and the penalty never exceed the exact
 * fraction, and the workshop's net absorbs no rounding. `gross = fee + penalty + net` always holds exactly.
 */
export interface PaymentPolicy {
  feeBps: number;
  penaltyBpsPerDay: number;
  penaltyCapBps: number;
  /** Hours after the due time before a delivery counts as late. */
  graceHours: number;
}

export interface ReleaseSplit {
  gross: number;
  fee: number;
  penalty: number;
  net: number;
  daysLate: number;
}

export function assertPolicy(policy: PaymentPolicy): void {
  for (const field of ['feeBps', 'penaltyBpsPerDay', 'penaltyCapBps'] as const) {
    const v = policy[field];
    if (!Number.isInteger(v) || v < 0 || v > BPS_DENOMINATOR) throw new ValidationFailed(field, 'must be an integer from 0 to 10000 basis points');
  }
  if (!Number.isInteger(policy.graceHours) || policy.graceHours < 0) throw new ValidationFailed('graceHours', 'must be a non-negative integer');
}

/** floor(amount × bps / 10000), exact for any safe integer amount. */
export function basisPointsOf(amountMinor: number, bps: number): number {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) throw new ValidationFailed('amountMinor', 'must be a non-negative safe integer');
  if (!Number.isInteger(bps) || bps < 0) throw new ValidationFailed('bps', 'must be a non-negative integer');
  return Number((BigInt(amountMinor) * BigInt(bps)) / BigInt(BPS_DENOMINATOR));
}

/** Whole days late, each started day counting in full; 0 when on time or within the grace hours. */
export function daysLate(deliveredAt: Date, dueAt: Date, graceHours = 0): number {
  const lateMs = deliveredAt.getTime() - dueAt.getTime() - graceHours * 3_600_000;
  return lateMs <= 0 ? 0 : Math.ceil(lateMs / DAY_MS);
}

/**
 * gross → platform fee (feeBps of gross), late penalty (penaltyBpsPerDay × days of gross, capped at
 * penaltyCapBps of gross and at what is left after the fee) and the workshop's net.
 */
export function splitRelease(gross: number, policy: PaymentPolicy, lateDays: number): ReleaseSplit {
  assertPolicy(policy);
  if (!Number.isInteger(lateDays) || lateDays < 0) throw new ValidationFailed('lateDays', 'must be a non-negative integer');
  const fee = basisPointsOf(gross, policy.feeBps);
  const penaltyBps = Math.min(policy.penaltyBpsPerDay * lateDays, policy.penaltyCapBps);
  const penalty = Math.min(basisPointsOf(gross, penaltyBps), gross - fee);
  return { gross, fee, penalty, net: gross - fee - penalty, daysLate: lateDays };
}
