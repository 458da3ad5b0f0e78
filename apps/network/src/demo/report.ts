import type { DemoAnalytics } from './analytics.js';
import type { DemoResult } from './scenario.js';

const yuan = (minor: number): string => `¥${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const int = (n: number): string => n.toLocaleString('en-US');
const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '-');

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].map((l) => `  ${l.trimEnd()}`);
}

/** The run's own count of utilization (a network without the analytics API). */
function demoUtilization(result: DemoResult): string[] {
  return [
      'Utilization: shop hours booked by the lots worked, against the hours the shops shared over the same days',
      ...table(
        ['cluster', 'process', 'shops', 'booked h', 'shared h', 'booked'],
        result.utilization.map((u) => [u.cluster, u.process, String(u.workshops), int(Math.round(u.bookedHours)), int(Math.round(u.sharedHours)), pct(u.bookedHours, u.sharedHours)]),
      ),
  ];
}

/** The figures of the network's analytics API (GET /analytics/figures and /analytics/utilisation), as the operator reads them. */
function analyticsLines({ figures: f, utilisation: u }: DemoAnalytics): string[] {
  const groups = new Map<string, { region: string; process: string; shops: number; booked: number; shared: number; peak: number }>();
  for (const row of u.rows) {
    const key = `${row.region}\u0000${row.process}`;
    const g = groups.get(key) ?? { region: row.region, process: row.process, shops: 0, booked: 0, shared: 0, peak: 0 };
    g.shops = Math.max(g.shops, row.workshops ?? 0);
    g.booked += row.bookedHours;
    g.shared += row.capacityHours ?? 0;
    g.peak = Math.max(g.peak, row.utilisation ?? 0);
    groups.set(key, g);
  }
  const rate = (r: number | null) => (r === null ? '-' : `${(100 * r).toFixed(1)} %`);
  const hours = (h: number | null) => (h === null ? '-' : h < 1 ? `${(h * 60).toFixed(1)} min` : `${h.toFixed(1)} h`);
  return [
    `Analytics (GET /analytics/figures): ${f.orders.completedOnTime} of ${f.orders.completed} completed orders by their due date (${rate(f.orders.onTimeRate)}); lead time submit → completion p50 ${hours(f.leadTime.p50Hours)}, p90 ${hours(f.leadTime.p90Hours)}`,
    ...table(
      ['process', 'inspections', 'failed', 'fail rate', 'defects/sampled'],
      f.defectsByProcess.map((d) => [d.key, int(d.inspections), int(d.failed), rate(d.failRate), `${int(d.defects)}/${int(d.sampled)}`]),
    ),
    '',
    `Utilisation (GET /analytics/utilisation, ${u.from} → ${u.to}): shop hours booked by accepted lots against the hours the shops shared, by region × process`,
    ...table(
      ['region', 'process', 'shops', 'booked h', 'shared h', 'booked', 'peak week'],
      [...groups.values()].map((g) => [g.region, g.process, String(g.shops), int(Math.round(g.booked)), int(Math.round(g.shared)), pct(g.booked, g.shared), rate(g.peak)]),
    ),
  ];
}

/** Money flows from the analytics API (the run's own statements reconcile them below). */
function moneyFromApi({ figures }: DemoAnalytics): string[] {
  return figures.money.map(
    (m) =>
      `  ${m.currency} (GET /analytics/figures): brands deposited ${yuan(m.depositedMinor)} · escrowed ${yuan(m.escrowedMinor)} · released ${yuan(m.releasedMinor)} for passed lots → workshops ${yuan(m.paidToWorkshopsMinor)} · platform fees ${yuan(m.platformFeesMinor)} · late penalties ${yuan(m.penaltiesMinor)} · refunded to brands ${yuan(m.refundedMinor)}`,
  );
}

/** The readable end-of-run report (what a person evaluating the network wants to see). */
export function formatReport(result: DemoResult, context: { seed: number; network: string }): string {
  const { summary: s, activity: a, money: m, trialBalance: tb, audit } = result;
  const clusters = Object.entries(result.scenario.clusters)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  const peak = result.orders.filter((o) => o.peak);
  const split = result.orders.reduce((n, o) => n + o.splitSteps, 0);
  const worked = result.orders.reduce((n, o) => n + o.lots, 0);
  const notCompleted = result.orders.filter((o) => o.status !== 'completed');
  const lines = [
    '',
    `Meshfab demo — run ${result.runId}, seed ${context.seed}, ${context.network}`,
    `Network   ${result.scenario.workshops} workshops (${clusters}), ${result.scenario.brands} brands, ${result.scenario.inspectors} inspectors`,
    '',
    `Orders    ${s.ordersSubmitted} submitted · ${s.ordersCompleted} completed · ${s.ordersOnTime} on time (completed by the due date, never flagged at risk)`,
    `          ${peak.length} in the peak season; ${split} steps split into lots across workshops (up to ${a.largestSplit} shops for one step)` +
      (a.dueDatesMovedOut > 0 ? `; ${a.dueDatesMovedOut} due dates moved out to the earliest the network offered` : ''),
    `Lots      ${worked} lots worked · inspections ${s.lotsPassed} passed, ${s.lotsFailed} failed (${a.reworkDispositions} → rework by the same shop, ${a.replanDispositions} → re-planned elsewhere)`,
    `          ${s.replans} re-plans (after ${a.offersDeclined} declined offers and ${a.replanDispositions} failed reworks)`,
    `Shops     offers ${a.offersAccepted} accepted, ${a.offersDeclined} declined · ${a.lotsStarted} lots started · ${a.completions} completions (${a.reworkCompletions} after rework) · ${int(a.scrapUnits)} units scrapped` +
      (a.overtimeShifts > 0 ? ` · ${a.overtimeShifts} overtime shifts declared` : ''),
    '',
    ...(result.analytics ? analyticsLines(result.analytics) : demoUtilization(result)),
    '',
    'Money (CNY)',
    ...(result.analytics ? moneyFromApi(result.analytics) : [
      `  brands deposited ${yuan(m.depositedMinor)} · escrowed ${yuan(m.escrowedMinor)} · released ${yuan(m.releasedGrossMinor)} for passed lots`,
      `  → workshops ${yuan(m.paidToWorkshopsMinor)} · platform fees ${yuan(m.platformFeesMinor)} · late penalties ${yuan(m.penaltiesMinor)} · refunded to brands ${yuan(m.refundedToBrandsMinor)}`,
    ]),
    `  ${a.topUps} top-up(s) by brands whose lots waited for funds · payouts: ${m.payoutsPaid} workshops paid out ${yuan(m.payoutsRequestedMinor)} through the provider${m.payoutsFailed ? ` (${m.payoutsFailed} bounced, money returned)` : ''} · brands still hold ${yuan(m.brandsAvailableMinor)}, workshops ${yuan(m.workshopsPayableMinor)}`,
    `  every order statement reconciles: ${m.statementsReconcile ? 'yes' : 'NO'}`,
    '',
    'Ledger',
    `  trial balance ${tb.balanced ? 'balanced' : 'NOT BALANCED'}: sum of balances ${tb.totalsByCurrency.map((t) => `${t.sumOfBalancesMinor} ${t.currency}`).join(', ') || '0'} over ${int(tb.accounts)} accounts and ${int(tb.transfers)} transfers`,
    `  audit ${audit.ok ? 'ok' : 'FAILED'}: ${audit.lotsPaidMoreThanOnce.length} lots paid twice, ${audit.paidLotsWithoutRelease.length} paid without a release, ${audit.closedOrdersWithEscrow.length} closed orders holding escrow, ${audit.passedLotsAwaitingPayment.length} passed lots awaiting payment, ${audit.lotsAwaitingFunds} lots awaiting funds`,
    `  escrow left on completed orders: ${s.ledger.escrowOfCompletedOrders} · paid lots = passed lots: ${s.ledger.paidLotsEqualPassedLots ? 'yes' : 'NO'} (${s.lotsPassed})` +
      (a.settlementCatchUpMs >= 1000 ? ` · settlement showed every passed lot paid ${(a.settlementCatchUpMs / 1000).toFixed(1)} s after the last order closed` : ''),
  ];
  if (result.deadLetters && result.deadLetters.length > 0) {
    const groups = new Map<string, number>();
    for (const d of result.deadLetters) {
      const key = `${d.service} ← ${d.type}: ${d.reason.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '…').replace(/\d+/g, 'N').slice(0, 110)}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    lines.push('', `Dead letters (${result.deadLetters.length}): messages a service gave up on after its retries`);
    for (const [key, n] of groups) lines.push(`  ${n} × ${key}`);
  }
  if (notCompleted.length > 0) {
    lines.push('', `Not completed (${notCompleted.length})`);
    for (const o of notCompleted) lines.push(`  ${o.key} ${o.product} × ${int(o.quantity)} (${o.orderId ?? 'not submitted'}): ${o.status} — ${o.reason ?? 'no reason recorded'}`);
  }
  const t = result.timings;
  lines.push('', `Took ${(s.durationMs / 1000).toFixed(1)} s (joining and funding ${(t.joinMs / 1000).toFixed(1)} s, the market ${(t.marketMs / 1000).toFixed(1)} s, settling and reading back ${(t.settleMs / 1000).toFixed(1)} s).`);
  return lines.join('\n');
}
