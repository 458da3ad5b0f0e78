import { setImmediate as nextTurn } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MATCHING_SETTINGS, type MatchingSettings } from '../config.js';
import { NetworkView } from '../network/network-view.js';
import { dayNumber, lastWorkDay, planRoute, type PlannerSettings, type PlanningRequest } from '../plan/domain/planner.js';
import { DEFAULT_OPTIMISER_SETTINGS, planRouteOptimised } from '../plan/domain/route-optimiser.js';
import { PeakDays } from '../plan/peak-days.js';
import { shortlistLevels } from '../plan/planning.service.js';
import type { QuoteRequest } from './domain/quote.events.js';
import { planQuoteOptions, type QuotePlanning } from './domain/quote-options.js';

/** The planning request of an order body, as matching plans a submitted order (planOrder). */
export function planningRequestOf(request: QuoteRequest, now: Date): PlanningRequest {
  return {
    firstDay: dayNumber(now) + 1,
    lastDay: lastWorkDay(new Date(request.dueDate)),
    delivery: request.delivery,
    steps: request.route.map((s) => ({ stepId: s.stepId, process: s.process, workContentHoursPerUnit: s.workContentHoursPerUnit, dependsOn: s.dependsOn, quantity: request.quantity })),
    maxWorkshopsPerStep: request.splitPolicy.maxWorkshopsPerStep,
    minLotSize: request.splitPolicy.minLotSize,
  };
}

/**
 * Plans a quote's options against the network view as it is now, with the planner and settings an
 * order's plan gets (the same candidate shortlists, growing while capacity is short; load levelling;
 * the optimiser where the due date binds) — and books nothing.
 */
@Injectable()
export class QuotePlanner {
  constructor(
    @Inject(NetworkView) private readonly network: NetworkView,
    @Inject(PeakDays) private readonly peaks: PeakDays,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {}

  async plan(request: PlanningRequest, m: EntityManager): Promise<QuotePlanning> {
    const c = this.settings.config;
    const processes = request.steps.map((s) => s.process);
    const minutesNeeded: Record<string, number> = {};
    for (const s of request.steps) minutesNeeded[s.process] = (minutesNeeded[s.process] ?? 0) + s.quantity * s.workContentHoursPerUnit * 60;
    const near = [request.delivery];
    const base: PlannerSettings = { costPerKmMinor: c.MATCHING_COST_PER_KM_MINOR, transportWeight: c.MATCHING_TRANSPORT_WEIGHT, riskWeight: c.MATCHING_RISK_WEIGHT, explainTop: 0 };
    const optimiser =
      c.MATCHING_OPTIMISER_BUDGET_MS === 0
        ? null
        : { ...DEFAULT_OPTIMISER_SETTINGS, timeLimitMs: Math.max(1, Math.floor(c.MATCHING_OPTIMISER_BUDGET_MS / 20)), maxIterations: c.MATCHING_OPTIMISER_ITERATIONS, costSlack: c.MATCHING_OPTIMISER_COST_SLACK };
    const levels = shortlistLevels(c.MATCHING_CANDIDATES_NEAR, c.MATCHING_CANDIDATES_ANYWHERE);
    let outcome: QuotePlanning | undefined;
    for (const [level, shortlist] of levels.entries()) {
      const candidates = await this.network.candidates({ processes, fromDay: request.firstDay, toDay: request.lastDay, near, minutesNeeded, ...shortlist }, m);
      const settings: PlannerSettings = { ...base, levelling: await this.peaks.levellingFor(candidates, request.firstDay, request.lastDay, m) };
      await nextTurn();
      const last = level === levels.length - 1;
      const plan = (r: PlanningRequest) => {
        const greedy = planRoute(r, candidates, settings);
        return !greedy.ok && !last ? greedy : planRouteOptimised(r, candidates, settings, optimiser, undefined, greedy);
      };
      outcome = planQuoteOptions(request, candidates, settings, c.MESHFAB_MATCHING_PLATFORM_FEE_BPS, plan);
      if (outcome.ok || outcome.failure.kind === 'no_workshop') return outcome;
    }
    return outcome!;
  }
}
