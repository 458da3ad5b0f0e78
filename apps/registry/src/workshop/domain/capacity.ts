/**
 * Shared capacity as a list of rules in the order they were declared. The hours a workshop shares for
 * a process on a day come from the LATEST rule covering that day: a declaration gives its exception
 * for the day if it has one, else its hours per day; a withdrawal gives 0. No rule: 0.
 *
 * These are the hours the workshop offers to the network, not net of reservations: matching holds the
 * reservations and subtracts them.
 */
export type CapacityRule =
  | { kind: 'declared'; process: string; hoursPerDay: number; from: string; until?: string; exceptions: { date: string; hours: number }[] }
  | { kind: 'withdrawn'; process: string; from: string; until: string };

/** The last day of "until further notice" (a withdrawal without an end). */
export const END_OF_TIME = '9999-12-31';

const covers = (rule: CapacityRule, day: string): boolean => day >= rule.from && (rule.until === undefined || day <= rule.until);

export function sharedHoursOn(rules: readonly CapacityRule[], process: string, day: string): number {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (rule.process !== process || !covers(rule, day)) continue;
    if (rule.kind === 'withdrawn') return 0;
    return rule.exceptions.find((e) => e.date === day)?.hours ?? rule.hoursPerDay;
  }
  return 0;
}
