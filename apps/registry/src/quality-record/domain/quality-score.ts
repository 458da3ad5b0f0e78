/**
 * The quality score matching weighs, 0..1, higher is better. It is a pass rate pulled towards a
 * prior for workshops with few inspected lots, and a failed lot with critical defects counts as two
 * failures:
 *
 *     score = (lotsPassed + PRIOR_PASS_RATE × PRIOR_LOTS) / (lotsInspected + PRIOR_LOTS + lotsWithCriticalDefects)
 *
 * A new workshop starts at 0.9 (PRIOR_PASS_RATE); after 5 lots its own record weighs as much as the
 * prior; after 50 it dominates. Rounded to 4 decimals.
 */
export const PRIOR_PASS_RATE = 0.9;
export const PRIOR_LOTS = 5;
export const SCORE_FORMULA =
  '(lotsPassed + 0.9 × 5) / (lotsInspected + 5 + lotsWithCriticalDefects): the pass rate, pulled towards 0.9 while few lots were inspected; a lot failed with critical defects counts as two failures';

export interface ScoreInputs {
  lotsInspected: number;
  lotsPassed: number;
  lotsWithCriticalDefects: number;
}

export function qualityScore({ lotsInspected, lotsPassed, lotsWithCriticalDefects }: ScoreInputs): number {
  const score = (lotsPassed + PRIOR_PASS_RATE * PRIOR_LOTS) / (lotsInspected + PRIOR_LOTS + lotsWithCriticalDefects);
  return Math.round(Math.min(1, Math.max(0, score)) * 10_000) / 10_000;
}
