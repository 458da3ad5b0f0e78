/**
 * The price of a lot, computed exactly. Hourly lots used to be priced in floating point
 * (`Math.ceil(price × efficiency × hours × qty − 1e-9)`), which is off by a fen once the product is
 * large enough for its float error to pass the epsilon, and which the registry's quote rounded
 * differently (half up) from the planner (up).
 *
 * Rule (one for the registry's quote and matching's planner):
 * - `per_unit`: `price × quantity`, exact.
 * - `per_hour`: `price × efficiency × workContentHoursPerUnit × quantity`, computed as an exact fraction
 *   of integers and rounded HALF UP to the minor unit, once per lot (never per unit or per hour).
 * - `efficiency` and `workContentHoursPerUnit` are the decimals the client wrote: each number is read as
 *   the exact decimal fraction of its shortest round-trip text (`0.1` is 1/10, not the binary
 *   0.1000000000000000055…). A third of an hour is therefore whatever decimal was given
 *   (`0.3333333333333333` h = 3333333333333333/10^16 h); the result is still exact for that input.
 * - Results beyond Number.MAX_SAFE_INTEGER saturate there (settlement's caps refuse such a lot anyway).
 */

/** An exact non-negative fraction `num / den` (den > 0). */
export interface Fraction {
  num: bigint;
  den: bigint;
}

/** The exact decimal fraction of a finite number's shortest round-trip text: `0.1` → 1/10, `2.5e-7` → 25/10^8. */
export function decimalOf(value: number): Fraction {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`);
  const [mantissa, exponent = '0'] = String(value).toLowerCase().split('e');
  const negative = mantissa.startsWith('-');
  const [whole, fraction = ''] = (negative ? mantissa.slice(1) : mantissa).split('.');
  const digits = BigInt(`${whole}${fraction}`) * (negative ? -1n : 1n);
  const scale = fraction.length - Number(exponent);
  return scale >= 0 ? { num: digits, den: 10n ** BigInt(scale) } : { num: digits * 10n ** BigInt(-scale), den: 1n };
}

/** Rounds a non-negative fraction half up to an integer: floor((2·num + den) / (2·den)). */
export function roundHalfUp(f: Fraction): bigint {
  if (f.num < 0n) throw new RangeError('a price is never negative');
  return (2n * f.num + f.den) / (2n * f.den);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const toSafe = (v: bigint): number => Number(v > MAX_SAFE ? MAX_SAFE : v);

/** Exact price of an hourly lot in minor units: price × efficiency × hours per unit × quantity, rounded half up once. */
export function hourlyLotPriceMinor(priceMinorPerHour: number, efficiency: number, workContentHoursPerUnit: number, quantity: number): number {
  const e = decimalOf(efficiency);
  const w = decimalOf(workContentHoursPerUnit);
  const q = decimalOf(quantity);
  const p = decimalOf(priceMinorPerHour);
  if (e.num < 0n || w.num < 0n || q.num < 0n || p.num < 0n) return 0;
  return toSafe(roundHalfUp({ num: p.num * e.num * w.num * q.num, den: p.den * e.den * w.den * q.den }));
}

/** Exact price of a per-unit lot in minor units. */
export function unitLotPriceMinor(priceMinorPerUnit: number, quantity: number): number {
  const p = decimalOf(priceMinorPerUnit);
  const q = decimalOf(quantity);
  if (p.num < 0n || q.num < 0n) return 0;
  return toSafe(roundHalfUp({ num: p.num * q.num, den: p.den * q.den }));
}
