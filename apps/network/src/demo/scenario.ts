/**
 * The demo scenario: drives a running Meshfab network through its public HTTP APIs only, acting as
 * the operator, the brands, every workshop and the inspectors. Importable (the CLI in main.ts is a
 * thin shell around `runDemo`); everything it reports is read back from the network's APIs.
 *
 * The actors:
 * - operator: registers brands and workshops, watches the open offers, audits the ledger;
 * - brands: deposit funds (one cautious brand deposits little and tops up when a lot waits for funds),
 *   submit orders (taking the earliest due date the network offers when theirs is too soon);
 * - workshops: declare capacity, accept or sometimes decline offers, start released and funded lots, report good
 *   and scrapped units, rework failed lots, add an overtime shift when the network has a lot no shop
 *   can take in time, ask for their money at the end;
 * - inspectors: examine the sample the network's ISO 2859-1 plan asks for and report the defects found.
 *
 * Feasible by default: a shop declines only when at least two other shops could take the lot, a step
 * fails inspection at most twice (the order service fails an order after three), bad batches (scrap
 * and many defects) are always caught and remade in rework. Scrap on a lot that passes is never made
 * up by the network, so it is off unless `unrecoveredScrapRate` asks for it (those orders end stalled,
 * with the reason stated).
 */
import { randomUUID } from 'node:crypto';
import { eventually, HttpError, type MeshfabClient } from '../client/meshfab-client.js';
import { fundThroughSandbox } from '../client/fund-brand.js';
import { readAnalytics, type DemoAnalytics } from './analytics.js';
import { buildScenario, estimatedCostMinor, PRODUCTS, type OrderSpec, type Scenario, type WorkshopSpec } from './network-model.js';
import { mapLimit, sleep } from './pool.js';
import { Prng } from './prng.js';

// ------------------------------------------------------------------------------------------ API shapes

interface Registration {
  id: string;
  token: string;
}

interface LotView {
  subtaskId: string;
  stepId: string;
  workshopId: string;
  status: string;
  plannedQuantity: number;
  goodQuantity: number;
  scrapQuantity: number;
  passedQuantity: number;
  failedQuantity: number;
  reworkRound: number;
  price?: { amountMinor: number; currency: string };
  fundsShort: boolean;
}

export interface OrderView {
  orderId: string;
  status: string;
  quantity: number;
  dueDate: string;
  submittedAt: string;
  plannedCompletion?: string;
  planningIssue?: string;
  atRisk?: { reason: string; at: string };
  cancelReason?: string;
  failureReason?: string;
  completedAt?: string;
  steps: { stepId: string; process: string; status: 'waiting' | 'released' | 'passed'; neededQuantity: number; passedQuantity: number; inspectionFailures: number; scrapQuantity: number }[];
  lots: LotView[];
  version: number;
}

export interface PlanLot {
  subtaskId: string;
  stepId: string;
  process: string;
  workshopId: string;
  quantity: number;
  status: string;
  price: { amountMinor: number; currency: string };
  plannedStart: string;
  plannedEnd: string;
  replaces: string | null;
  /** Completions reported so far (the next one is rework round `completions`). */
  completions: number;
  explanation: { minutes?: number; binding?: string } | null;
}

export interface PlanView {
  status: string;
  reason: string | null;
  lots: PlanLot[];
  waitingLots: { stepId: string; quantity: number; reason: string }[];
}

interface OfferView {
  subtaskId: string;
  orderId: string;
  stepId: string;
  process: string;
  workshopId: string;
  quantity: number;
}

interface InspectionLotView {
  id: string;
  subtaskId: string;
  orderId: string;
  stepId: string;
  process: string;
  workshopId: string;
  reworkRound: number;
  lotSize: number;
  sampleSize: number;
  status: string;
  openedAt: string;
  disposition: string | null;
  plan: { classes?: Partial<Record<'critical' | 'major' | 'minor', { ac: number; re: number }>> };
}

export interface StatementView {
  status: string;
  closedAt: string | null;
  lots: { subtaskId: string; status: string; netMinor: number | null; feeMinor: number | null; penaltyMinor: number | null }[];
  totals: {
    escrowedMinor: number;
    releasedGrossMinor: number;
    paidToWorkshopsMinor: number;
    platformFeesMinor: number;
    penaltiesCreditedMinor: number;
    refundedToBrandMinor: number;
    escrowBalanceMinor: number;
  };
  reconciles: boolean;
}

export interface TrialBalanceView {
  balanced: boolean;
  totalsByCurrency: { currency: string; sumOfBalancesMinor: number }[];
  accounts: number;
  transfers: number;
}

export interface AuditView {
  ok: boolean;
  lotsPaidMoreThanOnce: string[];
  paidLotsWithoutRelease: string[];
  closedOrdersWithEscrow: { orderId: string; balanceMinor: number }[];
  passedLotsAwaitingPayment: { subtaskId: string; status: string }[];
  lotsAwaitingFunds: number;
}

interface AccountsView {
  totals: { currency: string; availableMinor: number; inEscrowMinor: number; payoutPendingMinor: number }[];
}

// ------------------------------------------------------------------------------------------ options

export interface DemoActors {
  /** The bootstrap credential (MESHFAB_OPERATOR_TOKEN): the run registers a named operator with it and acts as that one. */
  operatorToken: string;
  /**
   * Inspectors' bearer tokens (role `inspector`); each records the results of the lots the network assigned
   * to it (its own queue). Left out, the operator registers the scenario's inspectors (POST
   * /registry/inspectors, certified for their industry's processes); on a network without that route the
   * demo asks `signInspectorTokens` (tokens signed with the network's JWT secret).
   */
  inspectorTokens?: readonly string[];
  signInspectorTokens?: (inspectorKeys: readonly string[]) => Promise<string[]>;
}

export interface DemoProgress {
  phase: 'joining' | 'funding' | 'running' | 'settling' | 'done';
  workshopsJoined: number;
  workshopsTotal: number;
  ordersSubmitted: number;
  ordersTotal: number;
  ordersCompleted: number;
  ordersClosed: number;
  lotsPassed: number;
  lotsFailed: number;
}

export interface DemoOptions {
  workshops: number;
  orders: number;
  seed: number;
  /** Names this run's idempotency keys: the same run id against the same network resumes the run. */
  runId: string;
  /** Give up (ending unfinished orders as stalled, with their reason) after this long. */
  timeoutMs?: number;
  /** An open order whose view has not changed for this long ends as stalled, with its reason. */
  stallMs?: number;
  /** Pause between rounds of the actors. */
  tickMs?: number;
  /** HTTP calls in flight at once. */
  concurrency?: number;
  /** Submissions are spread over this long (the peak comes last). */
  submitOverMs?: number;
  /** Share of orders in the peak season. */
  peakShare?: number;
  /** An inspector examines a lot no sooner than this after it was opened (default 1.5 s). */
  inspectionDelayMs?: number;
  /** Share of first completions reporting scrap on a lot that then passes (the network never makes it up). */
  unrecoveredScrapRate?: number;
  /** This run id ran before on this network: its members and orders are found again, suspended workshops reinstated. */
  resume?: boolean;
  /** Suspend the demo's workshops at the end of a finished run, so a later run on the same network does not offer them work. */
  leaveNetwork?: boolean;
  /** Workshops ask for their balance; the payout provider pays it and confirms by webhook (default true). */
  payouts?: boolean;
  onProgress?: (progress: DemoProgress) => void;
  /** Called as each brand and workshop joins, before it has any order or offer (a test registers its webhook endpoints here). */
  onMemberJoined?: (member: { role: 'brand' | 'workshop'; id: string; token: string }) => Promise<void>;
  log?: (line: string) => void;
}

// ------------------------------------------------------------------------------------------ results

export interface DemoSummary {
  ordersSubmitted: number;
  ordersCompleted: number;
  ordersOnTime: number;
  lotsPassed: number;
  lotsFailed: number;
  replans: number;
  ledger: { sumOfBalances: number; escrowOfCompletedOrders: number; paidLotsEqualPassedLots: boolean };
  durationMs: number;
}

export interface OrderOutcome {
  key: string;
  orderId: string | null;
  brand: string;
  product: string;
  quantity: number;
  peak: boolean;
  status: string;
  dueDate: string;
  completedAt: string | null;
  onTime: boolean;
  /** Why the order did not complete (refused, failed, cancelled, stalled). */
  reason: string | null;
  lots: number;
  splitSteps: number;
  replans: number;
  statement: StatementView | null;
}

export interface UtilizationRow {
  cluster: string;
  process: string;
  workshops: number;
  bookedHours: number;
  sharedHours: number;
}

export interface DemoResult {
  runId: string;
  /** Wall-clock time of the phases: members joining and funding, the market running, settling and reading back. */
  timings: { joinMs: number; marketMs: number; settleMs: number };
  summary: DemoSummary;
  orders: OrderOutcome[];
  scenario: { workshops: number; brands: number; inspectors: number; clusters: Record<string, number> };
  activity: {
    offersAccepted: number;
    offersDeclined: number;
    offersOutsideDemo: number;
    lotsStarted: number;
    completions: number;
    reworkCompletions: number;
    scrapUnits: number;
    inspections: number;
    reworkDispositions: number;
    replanDispositions: number;
    dueDatesMovedOut: number;
    topUps: number;
    overtimeShifts: number;
    largestSplit: number;
    retriedCalls: number;
    /** How long settlement took, after the last order closed, to show every passed lot as paid. */
    settlementCatchUpMs: number;
  };
  utilization: UtilizationRow[];
  money: {
    depositedMinor: number;
    escrowedMinor: number;
    releasedGrossMinor: number;
    platformFeesMinor: number;
    penaltiesMinor: number;
    paidToWorkshopsMinor: number;
    refundedToBrandsMinor: number;
    payoutsRequestedMinor: number;
    payoutsPaid: number;
    /** Payouts the provider could not pay (their money went back to the workshop's balance). */
    payoutsFailed: number;
    brandsAvailableMinor: number;
    workshopsPayableMinor: number;
    statementsReconcile: boolean;
  };
  trialBalance: TrialBalanceView;
  audit: AuditView;
  /** What the network dead-lettered during the run (null: the network has no /admin/dead-letters). */
  deadLetters: { service: string; type: string; reason: string }[] | null;
  /** The network's figures from its analytics API, read by the operator (null: the network has no /analytics). */
  analytics: DemoAnalytics | null;
}

// ------------------------------------------------------------------------------------------ the run

interface LiveWorkshop {
  spec: WorkshopSpec;
  id: string;
  token: string;
}

interface LiveBrand {
  key: string;
  name: string;
  id: string;
  token: string;
  deposited: number;
  lastTopUpAt: number;
  /** A top-up on its way (paid, its webhook not yet confirmed), or null. */
  funding: Promise<void> | null;
  topUps: number;
}

interface LiveOrder {
  spec: OrderSpec;
  brand: LiveBrand;
  orderId: string | null;
  dueDate: string;
  view: OrderView | null;
  lastVersion: number;
  lastProgressAt: number;
  closed: boolean;
  reason: string | null;
  remediedAt: number;
  plan: PlanView | null;
  planVersion: number;
  planAt: number;
}

const CURRENCY = 'CNY';
const DECLINE_REASONS = [
  'all lines booked by a local customer that week',
  'a machine is down for maintenance',
  'the specified material is not in stock',
  'the price does not cover our costs at this quantity',
  'short of operators during the festival week',
];

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);
/** A named operator registered with the bootstrap credential (a new one each run: its token is shown once). */
async function namedOperator(client: MeshfabClient, bootstrap: string, name: string): Promise<string> {
  try {
    return (await client.post<Registration>('/registry/operators', bootstrap, { name })).token;
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return bootstrap;
    throw error;
  }
}

const errorCode = (error: unknown): string => (error instanceof HttpError && error.body && typeof error.body === 'object' && 'error' in error.body ? String(error.body.error) : '');

/** Runs the whole scenario against the network behind `client`; see the module comment. */
export async function runDemo(client: MeshfabClient, actors: DemoActors, options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const o = {
    timeoutMs: 10 * 60_000,
    stallMs: 45_000,
    tickMs: 300,
    inspectionDelayMs: 1500,
    concurrency: 8,
    submitOverMs: Math.min(25_000, options.orders * 400),
    unrecoveredScrapRate: 0,
    leaveNetwork: false,
    payouts: true,
    ...options,
  };
  const log = o.log ?? (() => undefined);
  const scenario: Scenario = buildScenario({ seed: o.seed, workshops: o.workshops, orders: o.orders, peakShare: o.peakShare });
  const keyOf = (what: string) => `demo.${o.runId}.${what}`;
  const keyed = (what: string) => Prng.keyed(o.seed, what);
  // The bootstrap credential only brings in a named operator, whose token (and id, in every event and
  // audit record) the run then uses. A network without named operators answers 404: the credential acts itself.
  const operator = await namedOperator(client, actors.operatorToken, `Demo operator ${o.runId}`);

  const activity: DemoResult['activity'] = {
    offersAccepted: 0,
    offersDeclined: 0,
    offersOutsideDemo: 0,
    lotsStarted: 0,
    completions: 0,
    reworkCompletions: 0,
    scrapUnits: 0,
    inspections: 0,
    reworkDispositions: 0,
    replanDispositions: 0,
    dueDatesMovedOut: 0,
    topUps: 0,
    overtimeShifts: 0,
    largestSplit: 0,
    retriedCalls: 0,
    settlementCatchUpMs: 0,
  };
  const progress: DemoProgress = {
    phase: 'joining',
    workshopsJoined: 0,
    workshopsTotal: scenario.workshops.length,
    ordersSubmitted: 0,
    ordersTotal: scenario.orders.length,
    ordersCompleted: 0,
    ordersClosed: 0,
    lotsPassed: 0,
    lotsFailed: 0,
  };
  const report = () => o.onProgress?.({ ...progress });

  /** What an order's lots waiting for funds need (their agreed prices). */
  const fundsShortMinor = (view: OrderView) => view.lots.filter((l) => l.fundsShort).reduce((sum, l) => sum + (l.price?.amountMinor ?? 0), 0);
  /** The brand deposits more money (a fresh key: every top-up is a new bank transfer). */
  const topUp = async (brand: LiveBrand, amountMinor: number, reference: string) => {
    brand.topUps += 1;
    // A funding intent paid through the sandbox payment provider: credited once its signed webhook is confirmed.
    log(`${brand.name} tops up: ${reference}`);
    await fundThroughSandbox(client, brand.token, amountMinor, keyOf(`topup.${brand.key}.${randomUUID()}`), CURRENCY);
    brand.deposited += amountMinor;
    activity.topUps += 1;
  };

  // ---------------------------------------------------------------- members join
  const brands = new Map<string, LiveBrand>();
  await mapLimit(scenario.brands, o.concurrency, async (b) => {
    const r = await client.post<Registration>('/registry/brands', operator, { name: b.name }, keyOf(`brand.${b.key}`));
    await o.onMemberJoined?.({ role: 'brand', id: r.id, token: r.token });
    brands.set(b.key, { key: b.key, name: b.name, id: r.id, token: r.token, deposited: 0, lastTopUpAt: 0, topUps: 0, funding: null });
  });
  const today = isoDay(new Date());
  const workshops = new Map<string, LiveWorkshop>();
  await mapLimit(scenario.workshops, o.concurrency, async (w) => {
    const r = await client.post<Registration>(
      '/registry/workshops',
      operator,
      {
        name: w.name,
        location: { lat: w.location.lat, lng: w.location.lng, region: w.province, city: w.city },
        certifications: w.certifications,
        capabilities: w.capabilities.map((c) => ({ process: c.process, parameters: c.parameters, efficiency: c.efficiency, pricing: c.pricing, price: { amountMinor: c.priceMinor, currency: CURRENCY } })),
      },
      keyOf(`workshop.${w.key}`),
    );
    await o.onMemberJoined?.({ role: 'workshop', id: r.id, token: r.token });
    for (const c of w.capabilities) {
      await client.post(`/registry/workshops/${r.id}/capacity`, r.token, { action: 'declare', process: c.process, hoursPerDay: c.hoursPerDay, from: today });
    }
    if (o.resume) {
      // A resumed run's workshop may have been suspended by a run that ended: it comes back.
      const profile = await client.get<{ status?: string }>(`/registry/workshops/${r.id}`, operator);
      if (profile.status === 'suspended') await client.post(`/registry/workshops/${r.id}/reinstate`, operator, { reason: `demo run ${o.runId} resumed` });
    }
    workshops.set(r.id, { spec: w, id: r.id, token: r.token });
    progress.workshopsJoined += 1;
    report();
  });
  // Inspectors: members registered by the operator, like brands (or tokens the caller brings).
  let inspectorTokens: readonly string[] = actors.inspectorTokens ?? [];
  if (inspectorTokens.length === 0) {
    try {
      inspectorTokens = await mapLimit(scenario.inspectors, o.concurrency, async (i) => {
        const certifications = ['ISO 2859-1', i.industry === 'garment' ? 'garment QC' : 'dimensional inspection (CMM)'];
        // Certified for every process of its industry's routes, in every region (the network assigns each lot to one of them).
        const processes = [...new Set(PRODUCTS.filter((p) => p.industry === i.industry).flatMap((p) => p.route.map((step) => step.process)))];
        const r = await client.post<Registration>('/registry/inspectors', operator, { name: i.name, certifications, processes }, keyOf(`inspector.${i.key}`));
        return r.token;
      });
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 404) || !actors.signInspectorTokens) throw error;
      inspectorTokens = await actors.signInspectorTokens(scenario.inspectors.map((i) => i.key));
    }
  }
  if (inspectorTokens.length === 0) throw new Error('runDemo needs at least one inspector');
  const shopsFor = (process: string) => [...workshops.values()].filter((w) => w.spec.capabilities.some((c) => c.process === process));
  log(`${workshops.size} workshops and ${brands.size} brands joined`);

  // ---------------------------------------------------------------- brands fund their orders
  progress.phase = 'funding';
  report();
  await mapLimit(scenario.brands, o.concurrency, async (b) => {
    const brand = brands.get(b.key)!;
    const expected = scenario.orders.filter((x) => x.brandKey === b.key).reduce((s, x) => s + estimatedCostMinor(x), 0);
    const amountMinor = Math.max(100_000, Math.round((expected * b.fundingFactor) / 100) * 100);
    // Funds come in only from a confirmed payment: a funding intent, paid through the sandbox payment provider.
    await fundThroughSandbox(client, brand.token, amountMinor, keyOf(`deposit.${b.key}`), CURRENCY);
    brand.deposited += amountMinor;
  });

  // ---------------------------------------------------------------- the market runs
  progress.phase = 'running';
  report();
  const orders: LiveOrder[] = scenario.orders.map((spec) => ({
    spec,
    brand: brands.get(spec.brandKey)!,
    orderId: null,
    dueDate: new Date(started + spec.dueInDays * 86_400_000).toISOString(),
    view: null,
    lastVersion: -1,
    lastProgressAt: Date.now(),
    closed: false,
    reason: null,
    remediedAt: 0,
    plan: null,
    planVersion: -1,
    planAt: 0,
  }));
  const byOrderId = new Map<string, LiveOrder>();
  const runStart = Date.now();
  const joinMs = runStart - started;

  const submit = async (order: LiveOrder) => {
    const { spec } = order;
    const body = (dueDate: string) => ({
      sku: `${spec.product.sku}-${spec.key}`,
      productName: spec.product.name,
      quantity: spec.quantity,
      unit: spec.product.unit,
      dueDate,
      delivery: { ...scenario.brands.find((b) => b.key === spec.brandKey)!.delivery },
      route: spec.product.route.map((s) => ({ ...s, parameters: s.parameters ?? {} })),
    });
    try {
      const r = await client.post<{ orderId: string }>('/orders', order.brand.token, body(order.dueDate), keyOf(spec.key));
      order.orderId = r.orderId;
    } catch (error) {
      if (!(error instanceof HttpError) || error.status >= 500) throw error;
      if (errorCode(error) === 'idempotency_key_reused') {
        // A resumed run: the order went in before (with the due date of that day); find it by its SKU.
        order.orderId = await findOrder(client, order.brand.token, body('').sku);
        if (!order.orderId) throw error;
        byOrderId.set(order.orderId, order);
        order.lastProgressAt = Date.now();
        progress.ordersSubmitted += 1;
        return;
      }
      const details = error instanceof HttpError ? (error.body as { details?: { earliestDueDate?: string } } | null)?.details : undefined;
      if (!details?.earliestDueDate) {
        order.closed = true;
        order.reason = `refused at submission: ${error instanceof Error ? error.message : String(error)}`;
        return;
      }
      // The network says the due date is too soon for the route: take its earliest date plus three days.
      order.dueDate = new Date(Date.parse(details.earliestDueDate) + 3 * 86_400_000).toISOString();
      activity.dueDatesMovedOut += 1;
      const later = await client.post<{ orderId: string }>('/orders', order.brand.token, body(order.dueDate), keyOf(`${spec.key}.later`)).catch(async (again: unknown) => {
        if (errorCode(again) !== 'idempotency_key_reused') throw again;
        const orderId = await findOrder(client, order.brand.token, body('').sku);
        if (!orderId) throw again;
        return { orderId };
      });
      order.orderId = later.orderId;
    }
    byOrderId.set(order.orderId, order);
    order.lastProgressAt = Date.now();
    progress.ordersSubmitted += 1;
  };

  // Per-lot memory of the workshops' and inspectors' own actions (the network's view decides the rest).
  const completionDue = new Map<string, number>();
  const sentCompletions = new Set<string>();
  const badBatches = new Set<string>();
  const inspected = new Set<string>();
  const declinesByStep = new Map<string, Set<string>>();
  const failuresByStep = new Map<string, number>();
  const overtime = new Set<string>();
  let tick = 0;

  /** Could the network still place this step's lot if `without` shops were out of the picture? */
  const alternatives = (process: string, without: Iterable<string>) => {
    const out = new Set(without);
    return shopsFor(process).filter((w) => !out.has(w.id)).length;
  };

  const handleOffers = async () => {
    const offers = await client.getAll<OfferView>('/matching/offers?limit=500', operator);
    const ours = offers.filter((x) => byOrderId.has(x.orderId));
    await mapLimit(ours, o.concurrency, async (offer) => {
      const shop = workshops.get(offer.workshopId);
      if (!shop) {
        activity.offersOutsideDemo += 1;
        return;
      }
      const stepKey = `${offer.orderId}:${offer.stepId}`;
      const declined = declinesByStep.get(stepKey) ?? new Set<string>();
      const wantsToDecline = keyed(`decline:${offer.subtaskId}`).chance(shop.spec.declineRate);
      try {
        if (wantsToDecline && declined.size < 2 && alternatives(offer.process, [...declined, shop.id]) >= 2) {
          await client.post(`/matching/offers/${offer.subtaskId}/decline`, shop.token, { reason: keyed(`reason:${offer.subtaskId}`).pick(DECLINE_REASONS) });
          declined.add(shop.id);
          declinesByStep.set(stepKey, declined);
          activity.offersDeclined += 1;
        } else {
          await client.post(`/matching/offers/${offer.subtaskId}/accept`, shop.token);
          activity.offersAccepted += 1;
        }
      } catch (error) {
        if (!(error instanceof HttpError) || error.status >= 500) throw error;
        // Answered meanwhile (a previous round, or the offer expired): the network's view wins.
      }
    });
  };

  const complete = async (order: LiveOrder, lot: PlanLot, shop: LiveWorkshop) => {
    const round = lot.completions;
    const key = `${lot.subtaskId}:${round}`;
    if (sentCompletions.has(key)) return;
    const q = lot.quantity;
    let scrap = 0;
    const stepFailures = Math.max(failuresByStep.get(`${order.orderId}:${lot.stepId}`) ?? 0, order.view?.steps.find((s) => s.stepId === lot.stepId)?.inspectionFailures ?? 0);
    if (round === 0) {
      const r = keyed(`batch:${lot.subtaskId}`);
      if (r.chance(shop.spec.badBatchRate) && stepFailures < 2) {
        // A bad batch: many defects, and some units scrapped; inspection catches it and the shop remakes it in
        // rework. A shop whose process inspection has discontinued gets no rework (its lot is re-planned
        // elsewhere, and matching re-plans only the good units), so its bad batch shows defects only.
        badBatches.add(lot.subtaskId);
        const process = lot.process;
        const severity = await client.get<{ processes: { process: string; severity: string }[] }>(`/inspection/workshops/${shop.id}/severity`, operator);
        const discontinued = severity.processes.some((p) => p.process === process && p.severity === 'discontinued');
        if (!discontinued) scrap = Math.max(1, Math.round(q * r.real(0.01, 0.05)));
      } else if (r.chance(o.unrecoveredScrapRate)) {
        scrap = Math.max(1, Math.round(q * r.real(0.005, 0.02)));
      }
    }
    try {
      await client.post(`/matching/subtasks/${lot.subtaskId}/complete`, shop.token, { goodQuantity: q - scrap, scrapQuantity: scrap });
      sentCompletions.add(key);
      activity.completions += 1;
      if (round > 0) activity.reworkCompletions += 1;
      activity.scrapUnits += scrap;
    } catch (error) {
      if (!(error instanceof HttpError) || error.status >= 500) throw error;
    }
  };

  const driveOrder = async (order: LiveOrder) => {
    const view = await client.get<OrderView>(`/orders/${order.orderId}`, order.brand.token);
    order.view = view;
    if (view.version !== order.lastVersion) {
      order.lastVersion = view.version;
      order.lastProgressAt = Date.now();
    }
    if (['completed', 'cancelled', 'failed'].includes(view.status)) {
      order.closed = true;
      if (view.status !== 'completed') order.reason = view.failureReason ?? view.cancelReason ?? view.status;
      return;
    }
    await driveLots(order, view);
    await unblock(order, view);
  };

  /**
   * The workshops work their lots of `order`: start what was accepted once its step is released, deliver
   * what they started (after one to three rounds) and what went back for rework. Returns how many lots
   * are still with a workshop (accepted, started or in rework).
   */
  const driveLots = async (order: LiveOrder, view: OrderView): Promise<number> => {
    // The workshops act on matching's state of their subtasks (what GET /matching/subtasks/:id shows each
    // shop; the brand's plan lists them all in one call). The order's own view of a lot can lag or, when a
    // failed inspection overtakes the completion it judged, show `completed` for a lot that is in rework.
    // Read again when the order moved or a second has passed (the demo shares the machine with the network).
    if (order.planVersion !== view.version || Date.now() - order.planAt > 1_000) {
      order.plan = await client.get<PlanView>(`/matching/orders/${order.orderId}/plan`, order.brand.token).catch((error: unknown) => {
        if (error instanceof HttpError && error.status === 404) return null; // not planned yet
        throw error;
      });
      order.planVersion = view.version;
      order.planAt = Date.now();
    }
    const plan = order.plan;
    const released = new Set(view.steps.filter((s) => s.status !== 'waiting').map((s) => s.stepId));
    for (const lot of plan?.lots ?? []) {
      const shop = workshops.get(lot.workshopId);
      if (!shop) continue;
      if (lot.status === 'accepted' && released.has(lot.stepId)) {
        try {
          await client.post(`/matching/subtasks/${lot.subtaskId}/start`, shop.token);
          activity.lotsStarted += 1;
          // Making the lot takes one to three rounds.
          completionDue.set(lot.subtaskId, tick + keyed(`duration:${lot.subtaskId}`).int(1, 3));
        } catch (error) {
          // Not released in matching yet: try again next round.
          if (!(error instanceof HttpError) || error.status >= 500) throw error;
        }
      } else if (lot.status === 'started' && tick >= (completionDue.get(lot.subtaskId) ?? 0)) {
        await complete(order, lot, shop);
      } else if (lot.status === 'rework') {
        await complete(order, lot, shop);
      }
    }
    return (plan?.lots ?? []).filter((lot) => ['accepted', 'started', 'rework'].includes(lot.status)).length;
  };

  /** The brand tops up what its waiting lots need; shops add a shift where a lot waits for capacity. */
  const unblock = async (order: LiveOrder, view: OrderView) => {
    const plan = order.plan;
    // Waiting for money: the brand tops up what the waiting lots need (a cautious brand pays as it goes).
    // The brand pays and the market goes on: money is credited when the provider's webhook is confirmed, a
    // moment later (longer when the provider has to deliver again), and the round does not wait for it.
    const brand = order.brand;
    if (view.status === 'awaiting_funds' && !brand.funding && Date.now() - brand.lastTopUpAt > 2_000) {
      brand.lastTopUpAt = Date.now();
      brand.funding = topUp(brand, Math.max(fundsShortMinor(view), Math.round(estimatedCostMinor(order.spec) * 0.5)), 'top-up')
        .catch((error: unknown) => {
          activity.retriedCalls += 1;
          log(`${brand.name} top-up: ${error instanceof Error ? error.message : String(error)} (trying again)`);
        })
        .finally(() => {
          brand.lastTopUpAt = Date.now();
          brand.funding = null;
        });
    }
    // Quiet for a while: a lot may be waiting for capacity nobody has in time; shops of that process add a shift.
    if (Date.now() - order.lastProgressAt > 3_000 && Date.now() - order.remediedAt > 5_000) {
      order.remediedAt = Date.now();
      if (!plan) return;
      const failedStep = plan.status === 'failed' ? /for step (\S+) \(/.exec(plan.reason ?? '')?.[1] : undefined;
      const steps = plan.status === 'failed' ? (failedStep ? [failedStep] : order.spec.product.route.map((s) => s.stepId)) : plan.waitingLots.map((w) => w.stepId);
      for (const stepId of new Set(steps)) {
        const process = order.spec.product.route.find((s) => s.stepId === stepId)!.process;
        const declined = declinesByStep.get(`${order.orderId}:${stepId}`) ?? new Set<string>();
        const candidates = shopsFor(process)
          .filter((w) => !declined.has(w.id) && !overtime.has(`${w.id}:${process}`))
          .sort((a, b) => a.spec.key.localeCompare(b.spec.key))
          .slice(0, 2);
        for (const shop of candidates) {
          const c = shop.spec.capabilities.find((x) => x.process === process)!;
          await client.post(`/registry/workshops/${shop.id}/capacity`, shop.token, { action: 'declare', process, hoursPerDay: Math.min(24, Math.round(c.hoursPerDay * 1.5)), from: today });
          overtime.add(`${shop.id}:${process}`);
          activity.overtimeShifts += 1;
        }
      }
    }
  };

  // Each inspector works through the lots the network assigned to it (it sees no other).
  const inspectors = inspectorTokens.map((token, i) => ({ spec: scenario.inspectors[i % scenario.inspectors.length], token }));
  const inspect = async () => {
    const queues = await mapLimit(inspectors, o.concurrency, async (inspector) =>
      (await client.getAll<InspectionLotView>('/inspection/lots?status=pending&limit=1000', inspector.token)).map((lot) => ({ lot, inspector })),
    );
    // Inspectors come round a little after a lot is reported finished (never the same instant).
    const waiting = queues.flat().filter(({ lot: l }) => byOrderId.has(l.orderId) && !inspected.has(l.id));
    const ours = waiting.filter(({ lot: l }) => Date.now() - Date.parse(l.openedAt) >= o.inspectionDelayMs);
    await mapLimit(ours, o.concurrency, async ({ lot, inspector }) => {
      const order = byOrderId.get(lot.orderId)!;
      const shop = workshops.get(lot.workshopId);
      const r = keyed(`inspect:${lot.id}`);
      const stepKey = `${lot.orderId}:${lot.stepId}`;
      const failures = Math.max(failuresByStep.get(stepKey) ?? 0, order.view?.steps.find((s) => s.stepId === lot.stepId)?.inspectionFailures ?? 0);
      const n = lot.sampleSize;
      let defects = { critical: 0, major: 0, minor: 0 };
      const bad = lot.reworkRound === 0 && badBatches.has(lot.subtaskId);
      // A second failure sends the lot to another shop: only when the step has room for it.
      const mayFail = failures < 2 && (lot.reworkRound === 0 || alternatives(lot.process, [lot.workshopId]) >= 2);
      if (bad) {
        const re = lot.plan.classes?.major?.re ?? 1;
        defects = { critical: 0, major: Math.min(n, Math.max(re, r.binomial(n, 0.15))), minor: r.binomial(n, 0.1) };
      } else if (mayFail && shop) {
        const p = shop.spec.defectRate * (lot.reworkRound > 0 ? 0.25 : 1) * inspector.spec.thoroughness;
        defects = { critical: r.binomial(n, p / 150), major: r.binomial(n, p), minor: r.binomial(n, 2 * p) };
      }
      try {
        const result = await client.post<{ type: string; disposition?: string }>(`/inspection/lots/${lot.id}/results`, inspector.token, {
          sampled: n,
          defects,
          notes: `${inspector.spec.name}: ${defects.critical + defects.major + defects.minor} defects in ${n} sampled`,
        });
        inspected.add(lot.id);
        activity.inspections += 1;
        if (result.type === 'InspectionFailed') {
          failuresByStep.set(stepKey, failures + 1);
          if (result.disposition === 'rework') activity.reworkDispositions += 1;
          else activity.replanDispositions += 1;
          progress.lotsFailed += 1;
        } else {
          progress.lotsPassed += 1;
        }
      } catch (error) {
        if (errorCode(error) === 'lot_already_inspected') inspected.add(lot.id);
        else if (!(error instanceof HttpError) || error.status >= 500) throw error;
      }
    });
    return waiting.filter(({ lot }) => !inspected.has(lot.id)).length; // still to inspect, due or not
  };

  const deadline = started + o.timeoutMs;
  while (Date.now() < deadline) {
    tick += 1;
    // Brands submit on their schedule: the normal season first, the peak last.
    const elapsed = Date.now() - runStart;
    const due = orders.filter((x) => !x.orderId && !x.closed && x.spec.at * o.submitOverMs <= elapsed);

    // A failed call (the network busy, a restart) is tried again next round; the network's state decides.
    let unreachable = false;
    const attempt = async (what: string, action: () => Promise<unknown>) => {
      try {
        await action();
      } catch (error) {
        activity.retriedCalls += 1;
        if (!(error instanceof HttpError) || error.status >= 500) unreachable = true;
        log(`${what}: ${error instanceof Error ? error.message : String(error)} (trying again)`);
      }
    };
    const tickStart = Date.now();
    // Submissions carry an Idempotency-Key: one that failed on the way is simply sent again.
    await mapLimit(due, o.concurrency, (order) => attempt(`submit ${order.spec.key}`, () => submit(order)));
    await attempt('offers', handleOffers);
    await mapLimit(
      orders.filter((x) => x.orderId && !x.closed),
      o.concurrency,
      (order) => attempt(`order ${order.spec.key}`, () => driveOrder(order)),
    );
    await attempt('inspection', inspect);

    const now = Date.now();
    // While the network does not answer (restarting, say), no order counts as stalled.
    if (unreachable) for (const order of orders) order.lastProgressAt += now - tickStart + o.tickMs;
    for (const order of orders) {
      if (order.closed || !order.orderId || now - order.lastProgressAt < o.stallMs) continue;
      order.closed = true;
      order.reason = await stallReason(client, order, o.stallMs);
    }
    progress.ordersCompleted = orders.filter((x) => x.view?.status === 'completed').length;
    progress.ordersClosed = orders.filter((x) => x.closed).length;
    report();
    if (orders.every((x) => x.closed)) break;
    await sleep(o.tickMs);
  }
  for (const order of orders) {
    if (order.closed) continue;
    order.closed = true;
    order.reason = order.orderId ? await stallReason(client, order, Date.now() - order.lastProgressAt, 'the demo timed out') : 'not submitted before the demo timed out';
  }

  // Work delivered just before its order completed (a make-up lot for a short delivery, when the first
  // lot's rework then passed in full) is still waiting for its inspection, with its escrow held for it.
  // Inspectors finish their queues, as they would on any day, before the books are read.
  // The same for a lot its workshop started before its order completed (matching withdraws the ones not
  // started yet): the workshop delivers it, and it is inspected and paid like any other.
  const finishBy = Date.now() + 60_000;
  for (;;) {
    tick += 1;
    let withWorkshops = 0;
    for (const order of orders.filter((x) => x.orderId && x.view?.status === 'completed')) {
      try {
        const view = await client.get<OrderView>(`/orders/${order.orderId}`, order.brand.token);
        order.planAt = 0; // read matching's state of the lots afresh
        withWorkshops += await driveLots(order, view);
      } catch (error) {
        if (!(error instanceof HttpError) || error.status >= 500) withWorkshops += 1; // the network busy: try again
      }
    }
    const toInspect = await inspect().catch(() => 1);
    if ((withWorkshops === 0 && toInspect === 0) || Date.now() >= finishBy) break;
    await sleep(o.tickMs);
  }

  // ---------------------------------------------------------------- settle and read everything back
  // Top-ups still on their way are part of the run: their money is in the ledger the report reads.
  await Promise.all([...brands.values()].flatMap((b) => (b.funding ? [b.funding] : [])));
  progress.phase = 'settling';
  report();
  const settleStart = Date.now();
  const marketMs = settleStart - runStart;
  const submitted = orders.filter((x) => x.orderId);
  const finals = await mapLimit(submitted, o.concurrency, async (order) => {
    const id = order.orderId!;
    const view = await client.get<OrderView>(`/orders/${id}`, order.brand.token);
    const plan = await client.get<PlanView>(`/matching/orders/${id}/plan`, order.brand.token);
    const closedInSettlement = async () => {
      const s = await client.get<StatementView>(`/settlement/orders/${id}/statement`, order.brand.token);
      return view.status !== 'completed' || s.closedAt ? s : undefined;
    };
    const statement = await waitFor(closedInSettlement, 30_000).catch(() => null);
    const lots = await client.getAll<InspectionLotView>(`/inspection/lots?orderId=${id}&limit=1000`, order.brand.token);
    return { order, view, plan, statement, lots };
  });

  // Settlement hears inspection and orders on separate topics: an order may close there before the pass of
  // its last lots arrives (their escrow is refunded, then funded again and paid when the pass comes). Wait
  // until every passed lot shows as paid in its order's statement, as a brand reading it later would see.
  const catchUpStart = Date.now();
  const unpaid = (f: (typeof finals)[number]) => {
    const paid = new Set(f.statement?.lots.filter((l) => l.status === 'paid').map((l) => l.subtaskId) ?? []);
    return f.lots.some((l) => l.status === 'passed' && !paid.has(l.subtaskId));
  };
  // A lot whose escrow went back at the order's close, before its pass arrived, is funded again to be paid;
  // if the brand's funds are short by then, the brand pays what it owes, as it would on reading its statement.
  const payWhatIsOwed = async (f: (typeof finals)[number]) => {
    const brand = f.order.brand;
    if (Date.now() - brand.lastTopUpAt <= 2_000) return;
    brand.lastTopUpAt = Date.now(); // one look per brand at a time (orders are read side by side)
    const owedMinor = fundsShortMinor(await client.get<OrderView>(`/orders/${f.order.orderId!}`, brand.token));
    if (owedMinor > 0) await topUp(brand, owedMinor, 'paying what is owed');
  };
  while (finals.some(unpaid) && Date.now() - catchUpStart < 60_000) {
    await sleep(500);
    await mapLimit(finals.filter(unpaid), o.concurrency, async (f) => {
      f.statement = await client.get<StatementView>(`/settlement/orders/${f.order.orderId!}/statement`, f.order.brand.token).catch(() => f.statement);
      if (unpaid(f)) await payWhatIsOwed(f);
    });
  }
  activity.settlementCatchUpMs = Date.now() - catchUpStart;

  let payoutsRequestedMinor = 0;
  let payoutsPaid = 0;
  let payoutsFailed = 0;
  if (o.payouts) {
    await mapLimit([...workshops.values()], o.concurrency, async (shop) => {
      const accounts = await client.get<AccountsView>('/settlement/accounts/me', shop.token);
      const available = accounts.totals.find((t) => t.currency === CURRENCY)?.availableMinor ?? 0;
      if (available <= 0) return;
      const payout = await client.post<{ payoutId: string; amount: { amountMinor: number }; status: string }>('/settlement/payouts', shop.token, { currency: CURRENCY }, keyOf(`payout.${shop.spec.key}.${available}`));
      payoutsRequestedMinor += payout.amount.amountMinor;
      // The payout provider (the sandbox) pays it and confirms through its signed webhook.
      const settled = await eventually(`payout ${payout.payoutId} confirmed`, async () => {
        const view = await client.get<{ status: string }>(`/settlement/payouts/${payout.payoutId}`, shop.token);
        return view.status === 'paid' || view.status === 'failed' ? view : undefined;
      }, 120_000); // a provider that lost the instruction (a killed sandbox) gets it again after 30 s
      if (settled.status === 'paid') payoutsPaid += 1;
      else payoutsFailed += 1;
    });
  }
  // Messages a service gave up on after its retries (the operator's view; empty on a healthy run).
  const deadLetters = await client
    .get<{ service: string; deadLetters: { type: string | null; reason: string }[] }[]>('/admin/dead-letters?limit=1000', operator)
    .then((all) => all.flatMap((s) => s.deadLetters.map((d) => ({ service: s.service, type: d.type ?? '?', reason: d.reason }))))
    .catch(() => null);
  const [trialBalance, audit] = await Promise.all([client.get<TrialBalanceView>('/settlement/ledger/check', operator), client.get<AuditView>('/settlement/audit', operator)]);
  const brandAccounts = await mapLimit([...brands.values()], o.concurrency, (b) => client.get<AccountsView>('/settlement/accounts/me', b.token));
  const shopAccounts = await mapLimit([...workshops.values()], o.concurrency, (w) => client.get<AccountsView>('/settlement/accounts/me', w.token));
  // Only a finished run leaves: one with open orders may be resumed, and needs its workshops.
  if (o.leaveNetwork && finals.every((f) => ['completed', 'cancelled', 'failed'].includes(f.view.status))) {
    await mapLimit([...workshops.values()], o.concurrency, (w) => client.post(`/registry/workshops/${w.id}/suspend`, operator, { reason: `demo run ${o.runId} finished` }).catch(() => undefined));
  }

  // ---------------------------------------------------------------- the figures
  const outcomes: OrderOutcome[] = orders.map((order) => {
    const f = finals.find((x) => x.order === order);
    const base = { key: order.spec.key, brand: order.brand.name, product: order.spec.product.name, quantity: order.spec.quantity, peak: order.spec.peak, dueDate: order.dueDate };
    if (!f) return { ...base, orderId: null, status: 'not_submitted', completedAt: null, onTime: false, reason: order.reason, lots: 0, splitSteps: 0, replans: 0, statement: null };
    const worked = f.plan.lots.filter((l) => !['offered', 'declined', 'expired', 'cancelled'].includes(l.status));
    const firstPlan = f.plan.lots.filter((l) => l.replaces === null);
    const perStep = new Map<string, number>();
    for (const l of firstPlan) perStep.set(l.stepId, (perStep.get(l.stepId) ?? 0) + 1);
    activity.largestSplit = Math.max(activity.largestSplit, ...perStep.values());
    const completed = f.view.status === 'completed';
    const onTime = completed && !!f.view.completedAt && Date.parse(f.view.completedAt) <= Date.parse(f.view.dueDate) && !f.view.atRisk;
    return {
      ...base,
      orderId: f.view.orderId,
      status: f.view.status,
      dueDate: f.view.dueDate,
      completedAt: f.view.completedAt ?? null,
      onTime,
      reason: completed ? null : (order.reason ?? f.view.failureReason ?? f.view.cancelReason ?? f.view.status),
      lots: worked.length,
      splitSteps: [...perStep.values()].filter((n) => n > 1).length,
      replans: f.plan.lots.filter((l) => l.replaces !== null).length,
      statement: f.statement,
    };
  });

  const allLots = finals.flatMap((f) => f.lots);
  const passedSubtasks = new Set(allLots.filter((l) => l.status === 'passed').map((l) => l.subtaskId));
  const paidSubtasks = new Set(finals.flatMap((f) => f.statement?.lots.filter((l) => l.status === 'paid').map((l) => l.subtaskId) ?? []));
  const statements = finals.map((f) => f.statement).filter((s): s is StatementView => s !== null);
  const total = (k: keyof StatementView['totals']) => statements.reduce((s, x) => s + x.totals[k], 0);
  const sumCurrency = (accounts: AccountsView[], k: 'availableMinor') => accounts.reduce((s, a) => s + (a.totals.find((t) => t.currency === CURRENCY)?.[k] ?? 0), 0);

  const summary: DemoSummary = {
    ordersSubmitted: submitted.length,
    ordersCompleted: outcomes.filter((x) => x.status === 'completed').length,
    ordersOnTime: outcomes.filter((x) => x.onTime).length,
    lotsPassed: allLots.filter((l) => l.status === 'passed').length,
    lotsFailed: allLots.filter((l) => l.status === 'failed').length,
    replans: outcomes.reduce((s, x) => s + x.replans, 0),
    ledger: {
      sumOfBalances: trialBalance.totalsByCurrency.reduce((s, t) => s + t.sumOfBalancesMinor, 0),
      escrowOfCompletedOrders: finals.filter((f) => f.view.status === 'completed').reduce((s, f) => s + (f.statement?.totals.escrowBalanceMinor ?? Number.NaN), 0),
      paidLotsEqualPassedLots: passedSubtasks.size === paidSubtasks.size && [...passedSubtasks].every((id) => paidSubtasks.has(id)) && audit.lotsPaidMoreThanOnce.length === 0,
    },
    durationMs: Date.now() - started,
  };

  // Escrow left on a completed order is a finding: name the order and the lots settlement still holds it for.
  for (const f of finals.filter((x) => x.view.status === 'completed' && (x.statement?.totals.escrowBalanceMinor ?? 0) !== 0)) {
    const held = (f.statement?.lots ?? []).filter((l) => l.status !== 'paid').map((l) => {
      const lot = f.view.lots.find((x) => x.subtaskId === l.subtaskId);
      const inspections = f.lots.filter((x) => x.subtaskId === l.subtaskId).map((x) => x.status);
      return `${l.subtaskId} (settlement ${l.status}, order ${lot?.status ?? 'unknown'}, inspections ${inspections.join('/') || 'none'})`;
    });
    log(`escrow ${f.statement!.totals.escrowBalanceMinor} left on completed order ${f.view.orderId}; lots not paid: ${held.join('; ') || 'none'}`);
  }

  const analytics = await readAnalytics(client, operator, { completed: summary.ordersCompleted, releasedMinor: total('releasedGrossMinor'), currency: CURRENCY });
  progress.phase = 'done';
  report();
  return {
    runId: o.runId,
    timings: { joinMs, marketMs, settleMs: Date.now() - settleStart },
    summary,
    orders: outcomes,
    scenario: {
      workshops: workshops.size,
      brands: brands.size,
      inspectors: scenario.inspectors.length,
      clusters: Object.fromEntries([...new Set(scenario.workshops.map((w) => w.city))].map((c) => [c, scenario.workshops.filter((w) => w.city === c).length])),
    },
    activity,
    utilization: utilization(scenario, workshops, finals.flatMap((f) => f.plan.lots)),
    money: {
      depositedMinor: [...brands.values()].reduce((s, b) => s + b.deposited, 0),
      escrowedMinor: total('escrowedMinor'),
      releasedGrossMinor: total('releasedGrossMinor'),
      platformFeesMinor: total('platformFeesMinor'),
      penaltiesMinor: total('penaltiesCreditedMinor'),
      paidToWorkshopsMinor: total('paidToWorkshopsMinor'),
      refundedToBrandsMinor: total('refundedToBrandMinor'),
      payoutsRequestedMinor,
      payoutsPaid,
      payoutsFailed,
      brandsAvailableMinor: sumCurrency(brandAccounts, 'availableMinor'),
      workshopsPayableMinor: sumCurrency(shopAccounts, 'availableMinor'),
      statementsReconcile: statements.every((s) => s.reconciles),
    },
    trialBalance,
    audit,
    deadLetters,
    analytics,
  };
}

/** The brand's order with this SKU (each demo order has its own), for a resumed run. */
async function findOrder(client: MeshfabClient, brandToken: string, sku: string): Promise<string | null> {
  let cursor: string | null = null;
  do {
    const list: { items: { orderId: string; sku: string }[]; hasMore: boolean; nextCursor: string | null } = await client.get(
      `/orders?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      brandToken,
    );
    const found = list.items.find((i) => i.sku === sku);
    if (found) return found.orderId;
    cursor = list.hasMore ? list.nextCursor : null;
  } while (cursor);
  return null;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(200);
  }
}

/** Why an open order made no progress, in the network's own words where it has them. */
async function stallReason(client: MeshfabClient, order: LiveOrder, quietMs: number, prefix = 'stalled'): Promise<string> {
  const quiet = `${prefix}: no progress for ${Math.round(quietMs / 1000)} s`;
  try {
    const view = await client.get<OrderView>(`/orders/${order.orderId}`, order.brand.token);
    const plan = await client.get<PlanView>(`/matching/orders/${order.orderId}/plan`, order.brand.token);
    if (plan.status === 'failed') return `${quiet}; planning failed: ${plan.reason ?? view.planningIssue ?? 'no reason given'}`;
    if (plan.waitingLots.length > 0) return `${quiet}; ${plan.waitingLots.map((w) => `${w.quantity} units of step ${w.stepId} wait for capacity (${w.reason})`).join('; ')}`;
    if (view.status === 'awaiting_funds') return `${quiet}; lots wait for the brand's funds`;
    const open = new Set(view.lots.filter((l) => !['passed', 'declined', 'expired', 'cancelled', 'replanning'].includes(l.status)).map((l) => l.stepId));
    const short = view.steps.filter((s) => s.passedQuantity < s.neededQuantity && s.status !== 'waiting' && !open.has(s.stepId));
    if (short.length > 0) {
      return `${quiet}; ${short
        .map((s) => `step ${s.stepId} has ${s.passedQuantity} of ${s.neededQuantity} units passed (${s.scrapQuantity} scrapped) and no lot left to make the rest: the network plans no make-up lot for scrap`)
        .join('; ')}`;
    }
    return `${quiet} (order ${view.status}${view.planningIssue ? `; ${view.planningIssue}` : ''})`;
  } catch (error) {
    return `${quiet}; could not read its state: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Hours booked by the lots that were worked against hours shared, per cluster and process, over the booked span. */
function utilization(scenario: Scenario, workshops: Map<string, LiveWorkshop>, lots: PlanLot[]): UtilizationRow[] {
  const worked = lots.filter((l) => !['offered', 'declined', 'expired', 'cancelled'].includes(l.status));
  if (worked.length === 0) return [];
  const DAY = 86_400_000;
  const first = Math.min(...worked.map((l) => Date.parse(l.plannedStart)));
  const last = Math.max(...worked.map((l) => Date.parse(l.plannedEnd)));
  const days = Math.max(1, Math.round((last - first) / DAY));
  const rows = new Map<string, UtilizationRow>();
  for (const w of scenario.workshops) {
    for (const c of w.capabilities) {
      const key = `${w.city}|${c.process}`;
      const row = rows.get(key) ?? { cluster: w.city, process: c.process, workshops: 0, bookedHours: 0, sharedHours: 0 };
      row.workshops += 1;
      row.sharedHours += c.hoursPerDay * days;
      rows.set(key, row);
    }
  }
  for (const l of worked) {
    const shop = workshops.get(l.workshopId);
    if (!shop) continue;
    const row = rows.get(`${shop.spec.city}|${l.process}`);
    if (row) row.bookedHours += (l.explanation?.minutes ?? 0) / 60;
  }
  return [...rows.values()].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.process.localeCompare(b.process));
}
