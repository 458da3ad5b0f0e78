/**
 * The quality score matching weighs, 0..1, higher is better: a blend of how the workshop's lots fare at
 * inspection and how punctually it delivers, each pulled towards a prior while the record is short:
 *
 *     inspectionScore = (lotsPassed + 0.9 × 5) / (lotsInspected + 5 + lotsWithCriticalDefects)
 *     deliveryScore   = (onTimeDeliveries + 0.9 × 5) / (deliveries + 5)
 *     score           = 0.8 × inspectionScore + 0.2 × deliveryScore
 *
 * A failed lot with critical defects counts as two failures. A delivery is a first completion of a
 * subtask (rework rounds are not deliveries), on time when completed by its due time. A new workshop
 * starts at 0.9 (PRIOR_PASS_RATE); after 5 lots (deliveries) its own record weighs as much as the prior;
 * after 50 it dominates. Rounded to 4 decimals.
 */
export const PRIOR_PASS_RATE = 0.9;
export const PRIOR_LOTS = 5;
/** The share of the inspection score in the score; punctuality gets the rest. */
export const INSPECTION_WEIGHT = 0.8;
export const DELIVERY_WEIGHT = 0.2;
export const SCORE_FORMULA =
  '0.8 × inspectionScore + 0.2 × deliveryScore, where inspectionScore = (lotsPassed + 0.9 × 5) / (lotsInspected + 5 + lotsWithCriticalDefects) ' +
  '(the pass rate, pulled towards 0.9 while few lots were inspected; a lot failed with critical defects counts as two failures) and ' +
  'deliveryScore = (onTimeDeliveries + 0.9 × 5) / (deliveries + 5) (the on-time rate of first completions, pulled towards 0.9 while few were delivered)';

export interface ScoreInputs {
  lotsInspected: number;
  lotsPassed: number;
  lotsWithCriticalDefects: number;
  /** Absent: nothing delivered yet. */
  deliveries?: number;
  onTimeDeliveries?: number;
}

const round4 = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 10_000) / 10_000;

const inspection = ({ lotsInspected, lotsPassed, lotsWithCriticalDefects }: ScoreInputs): number =>
  (lotsPassed + PRIOR_PASS_RATE * PRIOR_LOTS) / (lotsInspected + PRIOR_LOTS + lotsWithCriticalDefects);

const delivery = ({ deliveries = 0, onTimeDeliveries = 0 }: ScoreInputs): number => (onTimeDeliveries + PRIOR_PASS_RATE * PRIOR_LOTS) / (deliveries + PRIOR_LOTS);

/** The two parts of the score, 4 decimals each (what a workshop sees to understand its score). */
export function scoreParts(inputs: ScoreInputs): { inspectionScore: number; deliveryScore: number } {
  return { inspectionScore: round4(inspection(inputs)), deliveryScore: round4(delivery(inputs)) };
}

export function qualityScore(inputs: ScoreInputs): number {
  return round4(INSPECTION_WEIGHT * inspection(inputs) + DELIVERY_WEIGHT * delivery(inputs));
}

/** onTimeDeliveries / deliveries, 4 decimals; 0 while nothing was delivered. */
export function onTimeRate({ deliveries = 0, onTimeDeliveries = 0 }: ScoreInputs): number {
  return deliveries === 0 ? 0 : round4(onTimeDeliveries / deliveries);
}
