import { ValidationFailed } from '#libs/domain';

/**
 * Money at the edge (JSON APIs, integration events): integer minor units (fen for CNY) as a JSON
 * number, always a safe integer. Inside the ledger and settlement amounts are `bigint` (`MinorUnits`):
 * exact whatever their size, converted to this shape only through `toJsonMinor`, which refuses what a
 * JSON number cannot carry exactly. The caps (limits.ts) keep every stored balance far below that.
 */
export interface Money {
  amountMinor: number;
  currency: string;
}

/** An exact amount in minor units, signed. */
export type MinorUnits = bigint;

/** Refuses anything that is not a safe integer number of minor units. */
export function assertMinorUnits(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ValidationFailed(field, 'must be a whole number of minor units (a safe integer)');
  }
}

/**
 * An amount given by code (`number` from a JSON body or an event, or already a `bigint`) as exact
 * minor units. A number must be a safe integer: anything else could already have lost fen.
 */
export function toMinor(value: number | bigint, field = 'amountMinor'): MinorUnits {
  if (typeof value === 'bigint') return value;
  assertMinorUnits(value, field);
  return BigInt(value);
}

/**
 * PostgreSQL `bigint`/`numeric` values arrive as strings: reads them exactly, never through a float.
 * NULL reads as 0.
 */
export function parseMinor(value: string | number | bigint | null | undefined): MinorUnits {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`amount ${value} is not a safe integer`);
    return BigInt(value);
  }
  const text = value.trim();
  if (!/^-?\d+$/.test(text)) throw new RangeError(`amount ${JSON.stringify(value)} is not a whole number of minor units`);
  return BigInt(text);
}

/**
 * The one way out to JSON: an exact amount as a safe-integer number. Throws (a defect, never a
 * member's doing: the caps keep every balance and sum below 2^53) rather than silently losing fen.
 */
export function toJsonMinor(value: MinorUnits): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${value} is beyond the safe integer range of a JSON number`);
  }
  return Number(value);
}

/** A database value straight to the JSON edge: parseMinor then toJsonMinor. */
export function minorFromDb(value: string | number | bigint | null | undefined): number {
  return toJsonMinor(parseMinor(value));
}

/** Exact sum of minor amounts. */
export function sumMinor(values: readonly (number | bigint)[]): MinorUnits {
  return values.reduce<bigint>((acc, v) => acc + toMinor(v), 0n);
}
