import { decimalOf, hourlyLotPriceMinor, roundHalfUp, unitLotPriceMinor } from './lot-price.js';

/** The reference: integers only. `x` and `y` are efficiency and hours per unit as (digits, decimal places). */
const reference = (price: bigint, eff: [bigint, number], hours: [bigint, number], qty: bigint): bigint => {
  const num = price * eff[0] * hours[0] * qty;
  const den = 10n ** BigInt(eff[1] + hours[1]);
  return (2n * num + den) / (2n * den); // half up
};
const asNumber = ([digits, places]: [bigint, number]) => Number(digits) / 10 ** places;
/** The old float-and-epsilon price, for contrast. */
const floatPrice = (price: number, eff: number, hours: number, qty: number) => Math.ceil(price * eff * hours * qty - 1e-9);

describe('exact lot prices', () => {
  it('reads a number as the decimal it was written as', () => {
    expect(decimalOf(0.1)).toEqual({ num: 1n, den: 10n });
    expect(decimalOf(1.1)).toEqual({ num: 11n, den: 10n });
    expect(decimalOf(2.5e-7)).toEqual({ num: 25n, den: 100_000_000n });
    expect(decimalOf(1e21)).toEqual({ num: 10n ** 21n, den: 1n });
    expect(decimalOf(1 / 3)).toEqual({ num: 3333333333333333n, den: 10n ** 16n });
    expect(() => decimalOf(Number.NaN)).toThrow(RangeError);
  });

  it('rounds half up, once', () => {
    expect(roundHalfUp({ num: 5n, den: 2n })).toBe(3n);
    expect(roundHalfUp({ num: 249n, den: 100n })).toBe(2n);
    expect(roundHalfUp({ num: 250n, den: 100n })).toBe(3n);
    expect(roundHalfUp({ num: 0n, den: 7n })).toBe(0n);
  });

  it('prices awkward hourly lots exactly: thirds of an hour, a half fen, tiny and large quantities', () => {
    // 3333 × 1.1 × 0.25 × 3 = 2749.725 → 2750
    expect(hourlyLotPriceMinor(3333, 1.1, 0.25, 3)).toBe(2750);
    // 1/3 h written as 0.3333333333333333: 6000 × 3 × that = 5999.9999999999994 → 6000
    expect(hourlyLotPriceMinor(6000, 1, 1 / 3, 3)).toBe(6000);
    // 0.3333 h (a third, to four places) × 100 units at 999 fen/h = 33296.67 → 33297
    expect(hourlyLotPriceMinor(999, 1, 0.3333, 100)).toBe(33297);
    // exactly half a fen rounds up: 1 × 0.5 h = 0.5 → 1; 3 × 0.5 = 1.5 → 2
    expect(hourlyLotPriceMinor(1, 1, 0.5, 1)).toBe(1);
    expect(hourlyLotPriceMinor(3, 1, 0.5, 1)).toBe(2);
    // 0.1 + 0.2 style drift: 10 fen/h × 0.7 h × 3 = 21 exactly (the float product is 20.999999999999996)
    expect(hourlyLotPriceMinor(10, 1, 0.7, 3)).toBe(21);
    // Large: 1,000,003 fen/h × 1.1 × 0.7 h × 9,999,999 units = 7,700,022,329,997.69 → 7,700,022,329,998
    expect(hourlyLotPriceMinor(1_000_003, 1.1, 0.7, 9_999_999)).toBe(7_700_022_329_998);
    expect(Number(reference(1_000_003n, [11n, 1], [7n, 1], 9_999_999n))).toBe(7_700_022_329_998);
    // 123,457 fen/h × 1.1 × 0.3 h × 3,000,000 units = 122,222,430,000 exactly; the float product is
    // 122222430000.00002, past the old epsilon, so the old formula charged a fen more.
    expect(hourlyLotPriceMinor(123_457, 1.1, 0.3, 3_000_000)).toBe(122_222_430_000);
    expect(Number(reference(123_457n, [11n, 1], [3n, 1], 3_000_000n))).toBe(122_222_430_000);
    expect(floatPrice(123_457, 1.1, 0.3, 3_000_000)).toBe(122_222_430_001);
    expect(unitLotPriceMinor(250, 7)).toBe(1750);
    expect(unitLotPriceMinor(100_000_000, 100_000_000)).toBe(Number.MAX_SAFE_INTEGER); // 10^16 saturates
  });

  it('agrees with the integer reference on 5,000 generated lots (efficiency to 2 places, hours to 4)', () => {
    let seed = 20_261_216;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    let floatDisagrees = 0;
    for (let i = 0; i < 5000; i++) {
      const price = BigInt(1 + next(2_000_000));
      const eff: [bigint, number] = [BigInt(1 + next(400)), 2];
      const hours: [bigint, number] = [BigInt(1 + next(200_000)), 4];
      const qty = BigInt(1 + (i % 2 === 0 ? next(1000) : next(5_000_000)));
      const expected = reference(price, eff, hours, qty);
      expect(BigInt(hourlyLotPriceMinor(Number(price), asNumber(eff), asNumber(hours), Number(qty)))).toBe(expected);
      if (BigInt(Math.round(Number(price) * asNumber(eff) * asNumber(hours) * Number(qty))) !== expected) floatDisagrees++;
    }
    // Even rounding the float product half up goes wrong on some of them; the exact price never does.
    expect(floatDisagrees).toBeGreaterThan(0);
  });
});
