/**
 * The demo's peak season with load levelling on and off, from the same seed: the scenario's order book
 * (its peak orders included) planned in submission order by matching's own planner against the
 * scenario's workshops and their shared hours — once with levelling off, once with it on (the service's
 * default threshold and penalty) — and the utilisation of each cluster × process compared: the peak day
 * against the mean day. Pure and fast: it plans, it books nothing on the live network.
 */
import { regionCell } from '../../../matching/src/network/region.js';
import { DEFAULT_PLANNER_SETTINGS, planRoute, type Candidate, type PlannerSettings } from '../../../matching/src/plan/domain/planner.js';
import type { Scenario } from './network-model.js';

export interface LevellingFigures {
  /** Highest booked share of shared hours on any day, over the busiest cluster × process. */
  peakDay: number;
  /** Mean booked share over the days from the first booking to the last due date. */
  meanDay: number;
  /** peakDay ÷ meanDay of the busiest cluster × process. */
  peakToMean: number;
  /** Days (cluster × process × day) at or above the peak threshold. */
  daysAtPeak: number;
  /** Standard deviation of the daily booked share over cluster × process × day. */
  spread: number;
  ordersPlanned: number;
  /** What the planned lots cost (minor units). */
  priceMinor: number;
}

export interface PeakSeasonReport {
  threshold: number;
  penalty: number;
  busiest: { cluster: string; process: string };
  off: LevellingFigures;
  on: LevellingFigures;
}

const HORIZON = 70;

interface Shop {
  cluster: string;
  process: string;
  cell: number;
  candidate: Candidate;
  /** Free minutes per day while planning; booked minutes per day once the run is over. */
  days: Map<number, number>;
  capacity: number;
}

function shopsOf(scenario: Scenario): Shop[] {
  return scenario.workshops.flatMap((w) =>
    w.capabilities.map((c) => {
      const free = new Map<number, number>();
      for (let d = 1; d <= HORIZON; d++) free.set(d, c.hoursPerDay * 60);
      return {
        cluster: w.cluster,
        process: c.process,
        cell: regionCell(w.location),
        days: free,
        capacity: c.hoursPerDay * 60,
        candidate: { workshopId: `${w.key}|${c.process}`, location: w.location, efficiency: c.efficiency, pricing: c.pricing, priceMinor: c.priceMinor, currency: 'CNY', quality: 0.9, free },
      };
    }),
  );
}

/** Plans the scenario's orders one after the other; `levelling` null = off. */
function simulate(scenario: Scenario, levelling: { threshold: number; penalty: number } | null): { shops: Shop[]; planned: number; priceMinor: number; lastDay: number } {
  const shops = shopsOf(scenario);
  const booked = new Map<string, number>(); // workshopId|day → minutes
  const brands = new Map(scenario.brands.map((b) => [b.key, b]));
  let planned = 0;
  let priceMinor = 0;
  let lastDay = 1;
  for (const order of scenario.orders) {
    const delivery = brands.get(order.brandKey)!.delivery;
    // The order comes in on day 1 + its place in the submission phase (the season runs over three weeks).
    const firstDay = 1 + Math.floor(order.at * 21);
    const byProcess = new Map<string, Candidate[]>();
    for (const s of shops) {
      const free = new Map([...s.days].filter(([d]) => d >= firstDay).map(([d, m]) => [d, m - (booked.get(`${s.candidate.workshopId}|${d}`) ?? 0)] as const).filter(([, m]) => m > 0));
      byProcess.set(s.process, [...(byProcess.get(s.process) ?? []), { ...s.candidate, free }]);
    }
    const settings: PlannerSettings = { ...DEFAULT_PLANNER_SETTINGS, explainTop: 0 };
    if (levelling) {
      // As the service does (plan/peak-days.ts): per process and region cell, the days at or above the threshold.
      const load = new Map<string, { capacity: number; used: Map<number, number> }>();
      for (const s of shops) {
        const key = `${s.process}|${s.cell}`;
        const entry = load.get(key) ?? { capacity: 0, used: new Map<number, number>() };
        entry.capacity += s.capacity;
        for (let d = firstDay; d <= HORIZON; d++) entry.used.set(d, (entry.used.get(d) ?? 0) + (booked.get(`${s.candidate.workshopId}|${d}`) ?? 0));
        load.set(key, entry);
      }
      const peakDays = new Map<string, Set<number>>();
      for (const [key, { capacity, used }] of load) peakDays.set(key, new Set([...used].filter(([, m]) => capacity > 0 && m / capacity >= levelling.threshold).map(([d]) => d)));
      settings.levelling = { peakDaysOf: (process, c) => peakDays.get(`${process}|${regionCell(c.location)}`), peakPenalty: levelling.penalty };
    }
    const result = planRoute(
      {
        firstDay,
        lastDay: Math.min(HORIZON, firstDay + order.dueInDays - 1),
        delivery,
        steps: order.product.route.map((r) => ({ stepId: r.stepId, process: r.process, workContentHoursPerUnit: r.workContentHoursPerUnit, dependsOn: r.dependsOn, quantity: order.quantity })),
      },
      byProcess,
      settings,
    );
    if (!result.ok) continue;
    planned += 1;
    for (const lot of result.lots) {
      priceMinor += lot.priceMinor;
      for (const d of lot.days) booked.set(`${lot.workshopId}|${d.day}`, (booked.get(`${lot.workshopId}|${d.day}`) ?? 0) + d.minutes);
    }
    lastDay = Math.max(lastDay, firstDay + order.dueInDays - 1);
  }
  for (const s of shops) for (const [d] of s.days) s.days.set(d, booked.get(`${s.candidate.workshopId}|${d}`) ?? 0);
  return { shops, planned, priceMinor, lastDay: Math.min(HORIZON, lastDay) };
}

/** Daily booked share per cluster × process (`free` of each shop now holds its booked minutes). */
function dailyShares(shops: readonly Shop[], lastDay: number): Map<string, number[]> {
  const groups = new Map<string, Shop[]>();
  for (const s of shops) groups.set(`${s.cluster}|${s.process}`, [...(groups.get(`${s.cluster}|${s.process}`) ?? []), s]);
  const shares = new Map<string, number[]>();
  for (const [key, group] of groups) {
    const capacity = group.reduce((sum, s) => sum + s.capacity, 0);
    const days = Array.from({ length: lastDay }, (_, i) => group.reduce((sum, s) => sum + (s.days.get(i + 1) ?? 0), 0) / capacity);
    if (days.some((d) => d > 0)) shares.set(key, days);
  }
  return shares;
}

function figures(run: ReturnType<typeof simulate>, busiest: string, threshold: number): LevellingFigures {
  const shares = dailyShares(run.shops, run.lastDay);
  const all = [...shares.values()].flat();
  const mean = all.reduce((a, b) => a + b, 0) / Math.max(1, all.length);
  const spread = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, all.length));
  const days = shares.get(busiest) ?? [0];
  const peakDay = Math.max(...days);
  const meanDay = days.reduce((a, b) => a + b, 0) / days.length;
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    peakDay: r3(peakDay),
    meanDay: r3(meanDay),
    peakToMean: r3(meanDay > 0 ? peakDay / meanDay : 0),
    daysAtPeak: all.filter((s) => s >= threshold).length,
    spread: r3(spread),
    ordersPlanned: run.planned,
    priceMinor: run.priceMinor,
  };
}

export function peakSeasonLevelling(scenario: Scenario, threshold = 0.8, penalty = 0.05): PeakSeasonReport {
  const off = simulate(scenario, null);
  const on = simulate(scenario, { threshold, penalty });
  // The busiest cluster × process without levelling: the most booked hours.
  const shares = dailyShares(off.shops, off.lastDay);
  const busiest = [...shares].sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0))[0]?.[0] ?? '|';
  const [cluster, process] = busiest.split('|');
  return { threshold, penalty, busiest: { cluster, process }, off: figures(off, busiest, threshold), on: figures(on, busiest, threshold) };
}

const pct = (n: number) => `${(n * 100).toFixed(1)} %`;

export function formatPeakSeason(r: PeakSeasonReport): string[] {
  const row = (label: string, f: LevellingFigures) =>
    `  ${label.padEnd(14)}${pct(f.peakDay).padStart(9)}${pct(f.meanDay).padStart(9)}${f.peakToMean.toFixed(2).padStart(8)}${String(f.daysAtPeak).padStart(8)}${f.spread.toFixed(3).padStart(8)}${String(f.ordersPlanned).padStart(8)}  ¥${(f.priceMinor / 100).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
  const extra = r.off.priceMinor > 0 ? ((r.on.priceMinor - r.off.priceMinor) / r.off.priceMinor) * 100 : 0;
  return [
    `Peak season: load levelling off and on, same seed (matching's planner over the scenario's order book; peak ≥ ${pct(r.threshold)} booked, penalty ${r.penalty} × price per share on peak days)`,
    `  busiest: ${r.busiest.cluster} ${r.busiest.process}   peak day / mean day of it; days at peak and spread over every cluster × process × day`,
    `  levelling       peak      mean  peak/mean  days≥peak  spread  planned  price`,
    row('off', r.off),
    row('on', r.on),
    `  levelling cost ${extra.toFixed(2)} % of the price`,
  ];
}
