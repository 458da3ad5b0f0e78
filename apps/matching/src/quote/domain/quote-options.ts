import { freeMinutes, isoDay, planRoute, WorkingCapacity, type Candidate, type PlannedLot, type PlannerSettings, type PlanningFailure, type PlanningRequest, type PlanResult, type PlanSuccess } from '../../plan/domain/planner.js';
import type { QuoteConfidence, QuoteOption, QuoteOptionKind, QuotedLot, QuoteTotals } from './quote.events.js';

/** Confidence levels by capacity slack (see `confidenceOf`). */
export const CONFIDENCE_HIGH = 0.5;
export const CONFIDENCE_MEDIUM = 0.2;

/**
 * The platform's fee of a lot price, as settlement takes it when it releases the lot (basis points,
 * rounded down, exact in integers).
 */
export const feeOf = (priceMinor: number, feeBps: number): number => Number((BigInt(priceMinor) * BigInt(feeBps)) / 10_000n);

export function quotedLot(l: PlannedLot): QuotedLot {
  return {
    stepId: l.stepId,
    process: l.process,
    workshopId: l.workshopId,
    quantity: l.quantity,
    days: l.days.map((d) => ({ day: isoDay(d.day), minutes: d.minutes })),
    start: isoDay(l.startDay),
    finish: isoDay(l.endDay),
    priceMinor: l.priceMinor,
    currency: l.currency,
  };
}

export function optionOf(kind: QuoteOptionKind, plan: PlanSuccess, feeBps: number): QuoteOption {
  const totalMinor = plan.lots.reduce((sum, l) => sum + l.priceMinor, 0);
  const platformFeeMinor = plan.lots.reduce((sum, l) => sum + feeOf(l.priceMinor, feeBps), 0);
  const totals: QuoteTotals = { workshopsMinor: totalMinor - platformFeeMinor, platformFeeMinor, totalMinor, currency: plan.lots[0]?.currency ?? 'CNY' };
  const start = Math.min(...plan.lots.map((l) => l.startDay));
  return { kind, lots: plan.lots.map(quotedLot), totals, earliestStart: isoDay(start), finish: isoDay(plan.completionDay), deliveryDate: isoDay(plan.completionDay + 1) };
}

/**
 * Slack of a plan: for each process of the route, the share of its candidates' free time in the
 * order's window the plan leaves free; the smallest share over the processes. The more of it there is,
 * the likelier the same plan still fits when the brand accepts.
 */
export function confidenceOf(request: PlanningRequest, plan: PlanSuccess, candidates: ReadonlyMap<string, readonly Candidate[]>): QuoteConfidence {
  const needed = new Map<string, number>();
  for (const l of plan.lots) needed.set(l.process, (needed.get(l.process) ?? 0) + l.minutes);
  const empty = new WorkingCapacity();
  let slack = 1;
  for (const [process, minutes] of needed) {
    const free = (candidates.get(process) ?? []).reduce((sum, c) => sum + freeMinutes(c, process, request.firstDay, request.lastDay, empty), 0);
    slack = Math.min(slack, free > 0 ? Math.max(0, 1 - minutes / free) : 0);
  }
  slack = Math.round(slack * 1000) / 1000;
  return { level: slack >= CONFIDENCE_HIGH ? 'high' : slack >= CONFIDENCE_MEDIUM ? 'medium' : 'low', slack };
}

const sameOption = (a: QuoteOption, b: QuoteOption) => a.totals.totalMinor === b.totals.totalMinor && a.deliveryDate === b.deliveryDate;

export type QuotePlanning = { ok: true; options: QuoteOption[]; confidence: QuoteConfidence } | { ok: false; failure: PlanningFailure };

/**
 * Up to three options for one request, from the same planner as an order's plan (`plan`, the planner
 * the service runs for orders):
 * - cheapest: the order's own objective (due date first, then the lowest score);
 * - fastest: the earliest finish (the planner's "deadline" pass);
 * - balanced: the lowest score with the due date pulled in half-way from the cheapest's finish to the
 *   fastest's.
 * An option with the same price and delivery date as one before it is left out.
 */
export function planQuoteOptions(
  request: PlanningRequest,
  candidates: ReadonlyMap<string, readonly Candidate[]>,
  settings: PlannerSettings,
  feeBps: number,
  plan: (request: PlanningRequest) => PlanResult = (r) => planRoute(r, candidates, settings),
): QuotePlanning {
  const cheapest = plan(request);
  if (!cheapest.ok) return cheapest;
  const options = [optionOf('cheapest', cheapest, feeBps)];
  const add = (kind: QuoteOptionKind, result: PlanResult) => {
    if (!result.ok) return;
    const option = optionOf(kind, result, feeBps);
    if (!options.some((o) => sameOption(o, option))) options.push(option);
  };
  const plain = { ...settings, levelling: undefined };
  const fastest = planRoute({ ...request, objective: 'earliest_finish' }, candidates, plain);
  add('fastest', fastest);
  if (fastest.ok && fastest.completionDay < cheapest.completionDay) {
    const halfway = Math.floor((fastest.completionDay + cheapest.completionDay) / 2);
    add('balanced', planRoute({ ...request, lastDay: halfway }, candidates, settings));
  }
  return { ok: true, options, confidence: confidenceOf(request, cheapest, candidates) };
}
