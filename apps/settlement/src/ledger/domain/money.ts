import { ValidationFailed } from '#libs/domain';

/** Money in integer minor units (fen for CNY). Never a float; always a safe integer. */
export interface Money {
  amountMinor: number;
  currency: string;
}

/** Refuses anything that is not a safe integer number of minor units. */
export function assertMinorUnits(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ValidationFailed(field, 'must be a whole number of minor units (a safe integer)');
  }
}

/**
 * PostgreSQL `bigint`/`numeric` values arrive as strings: converts them without ever going through a
 * float, refusing values beyond Number.MAX_SAFE_INTEGER rather than silently losing fen.
 */
export function minorFromDb(value: string | number | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const big = typeof value === 'bigint' ? value : BigInt(typeof value === 'number' ? assertSafe(value) : value.trim());
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${big} is beyond the safe integer range`);
  }
  return Number(big);
}

function assertSafe(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`amount ${value} is not a safe integer`);
  return value;
}

/** Sum of minor amounts computed in BigInt (no intermediate overflow), checked back into the safe range. */
export function sumMinor(values: readonly number[]): number {
  return minorFromDb(values.reduce((acc, v) => acc + BigInt(v), 0n));
}

export const money = (amountMinor: number, currency: string): Money => ({ amountMinor, currency });
