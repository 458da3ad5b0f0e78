/**
 * Seeded randomness for the demo. The scenario (workshops, brands, orders) comes from one stream; the
 * behaviour of each actor at each moment (does this shop decline this lot? how many defects does the
 * inspector find?) comes from a stream keyed by the seed and a stable name of the decision, so it does
 * not depend on the order in which concurrent HTTP calls happen to finish.
 */
import { Prng as Mulberry32 } from '#libs/scheduling';

/** The optimiser's mulberry32 generator, with the draws the demo's scenario needs. */
export class Prng extends Mulberry32 {
  /** A generator for one named decision under `seed` (FNV-1a of the key mixed into the seed). */
  static keyed(seed: number, key: string): Prng {
    let h = 0x811c9dc5 ^ (seed >>> 0);
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return new Prng(h >>> 0);
  }

  /** Uniform real in [lo, hi). */
  real(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** An item chosen with probability proportional to its weight. */
  weighted<T>(items: readonly { item: T; weight: number }[]): T {
    const total = items.reduce((s, i) => s + i.weight, 0);
    let r = this.next() * total;
    for (const i of items) {
      r -= i.weight;
      if (r < 0) return i.item;
    }
    return items[items.length - 1].item;
  }

  /** Successes in `n` trials of probability `p` (exact draws for small n, normal approximation above 500). */
  binomial(n: number, p: number): number {
    if (p <= 0 || n <= 0) return 0;
    if (p >= 1) return n;
    if (n <= 500) {
      let k = 0;
      for (let i = 0; i < n; i++) if (this.next() < p) k++;
      return k;
    }
    const u = Math.max(1e-12, this.next());
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
    return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
  }
}
