/**
 * Who hears of an integration event, and what each may see of it: one pure mapping per event type.
 * A workshop hears of its own lots (offers, expiries, cancellations, releases to start, funding,
 * inspection results, payments) without the brand's identity; a brand hears of its own orders (plan,
 * at-risk lots, inspection, completion, money) without which workshop holds a lot or what it nets.
 * Nobody sees who inspected a lot (inspectors stay independent of the parties they judge): results,
 * disputes and their decisions name neither inspector nor re-inspector, nor the disputing member's id (its
 * `party` says which side disputed) nor the evidence files (their count only; each party reads its own
 * through the inspection API). Inspector assignment and evidence uploads are inspection's own events, not
 * published: only the inspector is concerned, and inspectors get no notifications.
 */

export type MemberRole = 'brand' | 'workshop';

export interface Notice {
  memberId: string;
  role: MemberRole;
  /** The event type the member subscribes to (the integration event's type, or WebhookEndpointDisabled). */
  type: string;
  data: Record<string, unknown>;
}

/** Facts the notifications service learnt from earlier events: a subtask's workshop and brand. */
export interface KnownLot {
  workshopId: string;
  brandId: string;
}

export interface NoticeInput {
  type: string;
  data: Record<string, unknown>;
  /** The subtask named by `data.subtaskId`, from earlier SubtaskOffered events (settlement's events do not name the workshop). */
  lot?: KnownLot;
}

/** Thrown when a notice needs a lot the service has not heard of yet (its SubtaskOffered comes later): the consumer retries. */
export class LotNotYetKnown extends Error {
  constructor(readonly subtaskId: string) {
    super(`subtask ${subtaskId} is not known yet (its SubtaskOffered has not been consumed): retried`);
    this.name = 'LotNotYetKnown';
  }
}

type Data = Record<string, unknown>;
type Mapper = (data: Data, lot: KnownLot | undefined) => Notice[];

const pick = (data: Data, fields: readonly string[]): Data => {
  const out: Data = {};
  for (const f of fields) if (data[f] !== undefined) out[f] = data[f];
  return out;
};
const str = (data: Data, field: string): string => String(data[field]);

const toWorkshop = (type: string, fields: readonly string[]) => (data: Data): Notice => ({ memberId: str(data, 'workshopId'), role: 'workshop', type, data: pick(data, fields) });
const toBrand = (type: string, fields: readonly string[]) => (data: Data): Notice => ({ memberId: str(data, 'brandId'), role: 'brand', type, data: pick(data, fields) });

const LOT = ['subtaskId', 'orderId', 'stepId', 'process', 'quantity'] as const;
const PLANNED_LOT = ['subtaskId', 'stepId', 'quantity', 'plannedStart', 'plannedEnd', 'price'] as const;
const OUTCOME = ['inspectionLotId', 'subtaskId', 'orderId', 'stepId', 'process', 'lotSize', 'sampleSize', 'sampled', 'codeLetter', 'severity', 'reworkRound', 'inspectedAt'] as const;
const DEFECTS = ['criticalDefects', 'majorDefects', 'minorDefects'] as const;
const DISPUTE = ['party', 'originalOutcome', 'disputeWindowEndsAt'] as const;

/** The same notice to the lot's workshop and its brand (both parties of an inspection). */
const toBothParties = (type: string, fields: readonly string[], extra: (d: Data) => Data = () => ({})): Mapper => (d) =>
  [toWorkshop(type, fields)(d), toBrand(type, fields)(d)].map((n) => ({ ...n, data: { ...n.data, ...extra(d) } }));

const plannedLots = (data: Data): Data[] => ((data.lots as Data[] | undefined) ?? []).map((l) => pick(l, PLANNED_LOT));

function needLot(data: Data, lot: KnownLot | undefined): KnownLot {
  if (!lot) throw new LotNotYetKnown(str(data, 'subtaskId'));
  return lot;
}

const MAPPERS: Record<string, Mapper> = {
  // matching
  OrderPlanned: (d) => [{ ...toBrand('OrderPlanned', ['orderId', 'plannedCompletion'])(d), data: { ...pick(d, ['orderId', 'plannedCompletion']), lots: plannedLots(d) } }],
  OrderPlanningFailed: (d) => [toBrand('OrderPlanningFailed', ['orderId', 'reason'])(d)],
  OrderPlanningAbandoned: (d) => [toBrand('OrderPlanningAbandoned', ['orderId', 'reason'])(d)],
  LotReplanned: (d) => [
    { ...toBrand('LotReplanned', [])(d), data: { ...pick(d, ['orderId', 'stepId', 'replacedSubtaskId', 'quantity', 'reason']), lots: plannedLots(d) } },
  ],
  SubtaskOffered: (d) => [toWorkshop('SubtaskOffered', [...LOT, 'price', 'expiresAt', 'plannedStart', 'plannedEnd'])(d)],
  SubtaskExpired: (d) => [toWorkshop('SubtaskExpired', [...LOT])(d)],
  SubtaskCancelled: (d) => [toWorkshop('SubtaskCancelled', [...LOT, 'reason', 'cause'])(d)],
  LotAtRisk: (d) => [toBrand('LotAtRisk', [...LOT, 'doneQuantity', 'reportedAt', 'plannedEnd', 'projectedEnd', 'reason'])(d)],
  // orders
  LotReleased: (d) => [toWorkshop('LotReleased', ['orderId', 'stepId', 'subtaskId', 'quantity', 'releasedAt'])(d)],
  OrderCompleted: (d) => [toBrand('OrderCompleted', ['orderId', 'completedAt'])(d)],
  OrderCancelled: (d) => [toBrand('OrderCancelled', ['orderId', 'reason', 'cancelledAt'])(d)],
  OrderFailed: (d) => [toBrand('OrderFailed', ['orderId', 'reason', 'failedAt'])(d)],
  // inspection
  InspectionPassed: toBothParties('InspectionPassed', [...OUTCOME, 'passedQuantity', ...DEFECTS, 'disputeWindowEndsAt']),
  InspectionFailed: toBothParties('InspectionFailed', [...OUTCOME, ...DEFECTS, 'disposition', 'disputeWindowEndsAt']),
  InspectionDisputed: toBothParties('InspectionDisputed', [...OUTCOME, ...DISPUTE, 'reason', 'disputedAt'], (d) =>
    Array.isArray(d.evidence) ? { evidenceCount: d.evidence.length } : {},
  ),
  InspectionDisputeResolved: toBothParties('InspectionDisputeResolved', [...OUTCOME, ...DISPUTE, 'finalOutcome', 'overturned', ...DEFECTS, 'passedQuantity', 'resolvedAt']),
  InspectionResultFinal: toBothParties('InspectionResultFinal', [...OUTCOME, 'outcome', 'finalBecause', 'overturned', 'passedQuantity', 'finalAt']),
  InspectionSeverityChanged: (d) => [toWorkshop('InspectionSeverityChanged', ['process', 'from', 'to', 'reason', 'changedAt'])(d)],
  // settlement
  EscrowFunded: (d, lot) => {
    const known = needLot(d, lot);
    return [toBrand('EscrowFunded', ['orderId', 'subtaskId', 'amount'])(d), { memberId: known.workshopId, role: 'workshop', type: 'EscrowFunded', data: pick(d, ['orderId', 'subtaskId', 'amount']) }];
  },
  EscrowRefunded: (d) => [toBrand('EscrowRefunded', ['orderId', 'subtaskId', 'amount', 'reason'])(d)],
  FundsShort: (d) => [toBrand('FundsShort', ['orderId', 'subtaskId', 'required', 'available'])(d)],
  FundsDeposited: (d) => [toBrand('FundsDeposited', ['depositId', 'amount', 'available'])(d)],
  PaymentReleased: (d, lot) => {
    const known = needLot(d, lot);
    return [
      toWorkshop('PaymentReleased', ['orderId', 'subtaskId', 'gross', 'platformFee', 'penalty', 'net', 'daysLate', 'releasedAt'])(d),
      { memberId: known.brandId, role: 'brand', type: 'PaymentReleased', data: pick(d, ['orderId', 'subtaskId', 'gross', 'releasedAt']) },
    ];
  },
  OrderSettled: (d) => [toBrand('OrderSettled', ['orderId', 'paidToWorkshops', 'refundedToBrand', 'statementId'])(d)],
  // registry
  WorkshopSuspended: (d) => [toWorkshop('WorkshopSuspended', ['workshopId', 'reason'])(d)],
  WorkshopReinstated: (d) => [toWorkshop('WorkshopReinstated', ['workshopId', 'reason'])(d)],
  // A brand's suspension (an inspector's has no notices: inspectors have no endpoints here).
  MemberSuspended: (d) => (d.role === 'brand' ? [{ memberId: str(d, 'memberId'), role: 'brand', type: 'MemberSuspended', data: pick(d, ['memberId', 'reason', 'suspendedAt']) }] : []),
  MemberReinstated: (d) => (d.role === 'brand' ? [{ memberId: str(d, 'memberId'), role: 'brand', type: 'MemberReinstated', data: pick(d, ['memberId', 'reason', 'reinstatedAt']) }] : []),
};

/** The service's own notice: an endpoint was disabled after repeated failures (the member is told on its other channels). */
export const ENDPOINT_DISABLED = 'WebhookEndpointDisabled';

/** The event types each role may subscribe to. */
export const SUBSCRIBABLE: Record<MemberRole, readonly string[]> = {
  workshop: [
    'SubtaskOffered',
    'SubtaskExpired',
    'SubtaskCancelled',
    'LotReleased',
    'EscrowFunded',
    'PaymentReleased',
    'InspectionPassed',
    'InspectionFailed',
    'InspectionDisputed',
    'InspectionDisputeResolved',
    'InspectionResultFinal',
    'InspectionSeverityChanged',
    'WorkshopSuspended',
    'WorkshopReinstated',
    ENDPOINT_DISABLED,
  ],
  brand: [
    'OrderPlanned',
    'OrderPlanningFailed',
    'OrderPlanningAbandoned',
    'LotReplanned',
    'LotAtRisk',
    'OrderCompleted',
    'OrderCancelled',
    'OrderFailed',
    'InspectionPassed',
    'InspectionFailed',
    'InspectionDisputed',
    'InspectionDisputeResolved',
    'InspectionResultFinal',
    'EscrowFunded',
    'EscrowRefunded',
    'FundsShort',
    'FundsDeposited',
    'PaymentReleased',
    'OrderSettled',
    'MemberSuspended',
    'MemberReinstated',
    ENDPOINT_DISABLED,
  ],
};

/** Integration event types this service consumes. */
export const NOTIFIED_EVENT_TYPES: readonly string[] = Object.keys(MAPPERS);

/** Settlement events whose recipients need the subtask's workshop or brand from an earlier SubtaskOffered. */
export const NEEDS_KNOWN_LOT: ReadonlySet<string> = new Set(['EscrowFunded', 'PaymentReleased']);

/** The notices an integration event gives (none for a type nobody is told of). */
export function noticesOf(input: NoticeInput): Notice[] {
  const mapper = MAPPERS[input.type];
  return mapper ? mapper(input.data, input.lot) : [];
}
