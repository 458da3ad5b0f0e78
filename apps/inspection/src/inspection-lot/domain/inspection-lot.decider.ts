import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import type { AssignInspector, AttachEvidenceFile, CloseDisputeWindow, DisputeInspectionResult, OpenInspectionLot, InspectionLotCommand, RecordInspectionResult } from './inspection-lot.commands.js';
import type {
  AssignmentPurpose,
  DisputingParty,
  EvidenceFileReference,
  EvidenceReference,
  InspectionFailed,
  InspectionLotEvent,
  InspectionLotFacts,
  InspectionPassed,
  InspectionResultFinal,
  Outcome,
} from './inspection-lot.events.js';
import { inspectorAssigned, pickInspector } from './inspector-assignment.js';
import { reassign } from './reassign-inspector.js';
import { classAccepted, DEFECT_CLASSES, type DefectClass, type LotPlan } from './lot-plan.js';

export interface Assignment {
  inspectorId: string;
  purpose: AssignmentPurpose;
  assignedAt: string;
  dueAt: string;
}

export type InspectionLotState =
  | { status: 'none' }
  | {
      /** `disputed`: a result was challenged and waits for its re-inspection. */
      status: 'pending' | 'passed' | 'failed' | 'disputed';
      facts: InspectionLotFacts;
      plan: LotPlan;
      /** Who alone may record the result now; null while nobody is (waiting for an eligible inspector, or inspected). */
      assignment: Assignment | null;
      /** Inspectors whose assignment of this lot timed out (taken again only when nobody else is eligible). */
      timedOut: readonly string[];
      /** An InspectionAwaitingInspector was recorded and no assignment followed yet (a sweep does not repeat it). */
      awaiting: boolean;
      /** Who recorded the result, once recorded. */
      inspectedBy: string | null;
      /** The first result: its outcome, units handed on, and until when it may be disputed. */
      result: { outcome: Outcome; passedQuantity: number; disputeWindowEndsAt: string } | null;
      /** The dispute, and who re-inspected once resolved. */
      dispute: { party: DisputingParty; by: string; reinspectedBy?: string } | null;
      /** The outcome can no longer change (window closed, or dispute resolved). */
      final: boolean;
      /** Evidence files attached to the lot, by id (a result or dispute may cite only these). */
      files: Readonly<Record<string, EvidenceFileReference>>;
    };

type Inspectable = Extract<InspectionLotState, { facts: InspectionLotFacts }>;

/** The files a result or dispute cites, each attached to this lot. */
function citedFiles(state: Inspectable, fileIds: readonly string[] | undefined): EvidenceFileReference[] {
  return (fileIds ?? []).map((id, i) => {
    const file = state.files[id];
    if (!file) throw new ValidationFailed(`fileIds.${i}`, `no evidence file ${id} is attached to inspection lot ${state.facts.inspectionLotId}`);
    return file;
  });
}

function checkMeasurements(command: RecordInspectionResult): void {
  (command.measurements ?? []).forEach((m, i) => {
    if (m.sample < 1 || m.sample > command.sampled) throw new ValidationFailed(`measurements.${i}.sample`, `must be a sample number from 1 to ${command.sampled}`);
  });
}

function attach(command: AttachEvidenceFile, state: InspectionLotState): InspectionLotEvent[] {
  if (state.status === 'none') throw new NotFound('inspection_lot', '(unknown)');
  const { facts } = state;
  const entitled =
    command.role === 'inspector' ? state.assignment?.inspectorId === command.by : command.by === (command.role === 'brand' ? facts.brandId : facts.workshopId);
  if (!entitled) throw new LotNotAssignedToYou(facts.inspectionLotId);
  if (state.files[command.fileId]) return [];
  const { type: _t, by, at, ...file } = command;
  return [{ type: 'EvidenceFileAttached', data: { inspectionLotId: facts.inspectionLotId, ...file, uploadedBy: by, attachedAt: at } }];
}

export class DisputeRefused extends DomainError {
  constructor(code: 'lot_not_inspected' | 'lot_already_disputed' | 'dispute_window_closed', message: string, details: Record<string, unknown> = {}) {
    super(code, message, code === 'lot_already_disputed' ? 'conflict' : 'rejected', details);
  }
}

/** A result from anyone but the lot's assigned inspector: answered exactly like a lot that does not exist. */
export class LotNotAssignedToYou extends NotFound {
  constructor(lotId: string) {
    super('inspection_lot', lotId);
  }
}

export class LotAlreadyInspected extends DomainError {
  constructor(lotId: string, status: string) {
    super('lot_already_inspected', `inspection lot ${lotId} already has a result (${status}); results are immutable`, 'conflict', { lotId, status });
  }
}

function open(command: OpenInspectionLot, state: InspectionLotState): InspectionLotEvent[] {
  if (state.status !== 'none') return []; // the same completion delivered again
  const { plan } = command;
  return [
    {
      type: 'InspectionLotOpened',
      data: {
        ...command.facts,
        sampleSize: plan.sampleSize,
        severity: plan.severity,
        scrapQuantity: command.scrapQuantity,
        completedAt: command.completedAt,
        openedAt: command.openedAt,
        originalInspection: command.facts.reworkRound === 0,
        plan,
      },
    },
  ];
}

function assign(command: AssignInspector, state: InspectionLotState): InspectionLotEvent[] {
  // Nothing to assign: unknown, or inspected and not disputed.
  if (state.status !== 'pending' && state.status !== 'disputed') return [];
  const { facts } = state;
  const events: InspectionLotEvent[] = [];
  let timedOut = state.timedOut;
  const purpose: AssignmentPurpose = state.status === 'disputed' ? 'reinspection' : 'inspection';
  // A re-inspection is never the original inspector's, nor the brand's pick (the brand may be the disputing party).
  const barred = purpose === 'reinspection' && state.inspectedBy ? [state.inspectedBy] : [];
  if (state.assignment) {
    if (!command.expire || Date.parse(command.at) < Date.parse(state.assignment.dueAt)) return [];
    const { inspectorId, assignedAt, dueAt } = state.assignment;
    events.push({ type: 'InspectorAssignmentExpired', data: { inspectionLotId: facts.inspectionLotId, inspectorId, assignedAt, dueAt, expiredAt: command.at } });
    timedOut = [...timedOut, inspectorId];
  }
  const lot = { process: facts.process, workshopId: facts.workshopId, brandId: facts.brandId, region: command.region };
  const pick = pickInspector(lot, command.candidates, { barred, timedOut }, purpose === 'reinspection' ? null : command.nominee);
  if (!pick) {
    if (!state.awaiting || events.length > 0) {
      events.push({ type: 'InspectionAwaitingInspector', data: { inspectionLotId: facts.inspectionLotId, purpose, candidates: command.candidates.length, at: command.at } });
    }
    return events;
  }
  events.push(inspectorAssigned(facts.inspectionLotId, purpose, pick, command.at, command.timeoutSeconds));
  return events;
}

function record(command: RecordInspectionResult, state: InspectionLotState): InspectionLotEvent[] {
  if (state.status === 'none') throw new NotFound('inspection_lot', '(unknown)');
  const { facts, plan } = state;
  if (state.assignment?.inspectorId !== command.inspectorId) {
    // The inspector of an already inspected lot learns it is inspected; anyone else learns nothing.
    const inspectors = [state.inspectedBy, state.dispute?.reinspectedBy];
    if (state.status !== 'pending' && inspectors.includes(command.inspectorId)) throw new LotAlreadyInspected(facts.inspectionLotId, state.status);
    throw new LotNotAssignedToYou(facts.inspectionLotId);
  }
  if (state.status === 'disputed') return resolve(command, state);
  if (state.status !== 'pending') throw new LotAlreadyInspected(facts.inspectionLotId, state.status);
  const { verdicts, accepted } = judge(command, plan);
  const files = citedFiles(state, command.fileIds);
  const disputeWindowEndsAt = new Date(Date.parse(command.inspectedAt) + command.disputeWindowSeconds * 1000).toISOString();
  const common = {
    ...facts,
    inspectorId: command.inspectorId,
    sampled: command.sampled,
    defects: command.defects,
    verdicts,
    rejectedUnits: command.rejectedUnits,
    evidence: command.evidence,
    measurements: command.measurements ?? [],
    files,
    ...(command.notes === undefined ? {} : { notes: command.notes }),
    codeLetter: plan.codeLetter,
    criticalDefects: command.defects.critical,
    majorDefects: command.defects.major,
    minorDefects: command.defects.minor,
    inspectedAt: command.inspectedAt,
    disputeWindowEndsAt,
  };
  // No window: the result is final as it is recorded.
  const finalAtOnce = (outcome: Outcome, passedQuantity: number): InspectionResultFinal[] =>
    command.disputeWindowSeconds > 0
      ? []
      : [{ type: 'InspectionResultFinal', data: { ...facts, outcome, inspectorId: command.inspectorId, finalBecause: 'dispute_window_closed', overturned: false, passedQuantity, finalAt: command.inspectedAt } }];
  if (accepted) {
    const passed: InspectionPassed = { type: 'InspectionPassed', data: { ...common, passedQuantity: facts.lotSize - command.rejectedUnits } };
    return [passed, ...finalAtOnce('passed', passed.data.passedQuantity)];
  }
  const rework = facts.reworkRound < command.maxReworkRounds && facts.severity !== 'discontinued';
  const failedClasses = DEFECT_CLASSES.filter((c) => !verdicts[c]).join(', ');
  const failed: InspectionFailed = {
    type: 'InspectionFailed',
    data: {
      ...common,
      disposition: rework ? 'rework' : 'replan',
      dispositionReason: rework
        ? `not accepted on ${failedClasses}; rework round ${facts.reworkRound + 1} of ${command.maxReworkRounds} by the same workshop, re-inspected on tightened`
        : facts.severity === 'discontinued'
          ? `not accepted on ${failedClasses}; inspection of this workshop and process is discontinued, re-plan elsewhere`
          : `not accepted on ${failedClasses} after ${facts.reworkRound} rework round(s); re-plan elsewhere`,
    },
  };
  return [failed, ...finalAtOnce('failed', 0)];
}

function judge(command: RecordInspectionResult, plan: LotPlan): { verdicts: Record<DefectClass, boolean>; accepted: boolean } {
  if (command.sampled < plan.sampleSize) {
    throw new ValidationFailed('sampled', `the plan requires inspecting ${plan.sampleSize} units (code letter ${plan.codeLetter}, ${plan.table}); only ${command.sampled} were reported`, {
      required: plan.sampleSize,
    });
  }
  if (command.sampled > plan.lotSize) throw new ValidationFailed('sampled', `cannot exceed the lot size ${plan.lotSize}`);
  if (command.rejectedUnits > command.sampled) throw new ValidationFailed('rejectedUnits', 'cannot exceed the units sampled');
  checkMeasurements(command);
  const verdicts = Object.fromEntries(DEFECT_CLASSES.map((c) => [c, classAccepted(plan.classes[c], command.defects[c])])) as Record<DefectClass, boolean>;
  return { verdicts, accepted: DEFECT_CLASSES.every((c) => verdicts[c]) };
}

type Inspected = Extract<InspectionLotState, { status: 'pending' | 'passed' | 'failed' | 'disputed' }>;

/** The re-inspection of a disputed result, on the same plan: its outcome is final. */
function resolve(command: RecordInspectionResult, state: Inspected): InspectionLotEvent[] {
  const { facts, plan, result, dispute } = state;
  if (!result || !dispute || !state.inspectedBy) throw new Error(`disputed lot ${facts.inspectionLotId} without its result or dispute`);
  const { verdicts, accepted } = judge(command, plan);
  const files = citedFiles(state, command.fileIds);
  const finalOutcome: Outcome = accepted ? 'passed' : 'failed';
  const overturned = finalOutcome !== result.outcome;
  const passedQuantity = accepted ? facts.lotSize - command.rejectedUnits : 0;
  return [
    {
      type: 'InspectionDisputeResolved',
      data: {
        ...facts,
        party: dispute.party,
        disputedBy: dispute.by,
        originalOutcome: result.outcome,
        finalOutcome,
        overturned,
        originalInspectorId: state.inspectedBy,
        reinspectorId: command.inspectorId,
        sampled: command.sampled,
        defects: command.defects,
        verdicts,
        criticalDefects: command.defects.critical,
        majorDefects: command.defects.major,
        minorDefects: command.defects.minor,
        passedQuantity,
        evidence: command.evidence,
        measurements: command.measurements ?? [],
        files,
        ...(command.notes === undefined ? {} : { notes: command.notes }),
        resolvedAt: command.inspectedAt,
      },
    },
    {
      type: 'InspectionResultFinal',
      data: { ...facts, outcome: finalOutcome, inspectorId: command.inspectorId, finalBecause: 'dispute_resolved', overturned, passedQuantity, finalAt: command.inspectedAt },
    },
  ];
}

function disputeResult(command: DisputeInspectionResult, state: InspectionLotState): InspectionLotEvent[] {
  if (state.status === 'none') throw new NotFound('inspection_lot', '(unknown)');
  const { facts } = state;
  const party = command.party === 'brand' ? facts.brandId : facts.workshopId;
  if (party !== command.by) throw new NotFound('inspection_lot', facts.inspectionLotId);
  if (state.status === 'pending') throw new DisputeRefused('lot_not_inspected', `inspection lot ${facts.inspectionLotId} has no result to dispute yet`);
  if (state.status === 'disputed' || state.dispute) throw new DisputeRefused('lot_already_disputed', `the result of inspection lot ${facts.inspectionLotId} was already disputed; the re-inspection is final`);
  const { result } = state;
  if (!result || !state.inspectedBy) throw new Error(`inspected lot ${facts.inspectionLotId} without its result`);
  if (state.final || Date.parse(command.at) >= Date.parse(result.disputeWindowEndsAt)) {
    throw new DisputeRefused('dispute_window_closed', `the result of inspection lot ${facts.inspectionLotId} could be disputed until ${result.disputeWindowEndsAt}`, {
      disputeWindowEndsAt: result.disputeWindowEndsAt,
    });
  }
  const reason = command.reason.trim();
  if (reason.length === 0) throw new ValidationFailed('reason', 'must not be blank');
  const evidence: EvidenceReference[] = command.evidence;
  const files = citedFiles(state, command.fileIds);
  return [
    {
      type: 'InspectionDisputed',
      data: {
        ...facts,
        party: command.party,
        disputedBy: command.by,
        reason,
        evidence,
        files,
        originalOutcome: result.outcome,
        originalInspectorId: state.inspectedBy,
        disputeWindowEndsAt: result.disputeWindowEndsAt,
        disputedAt: command.at,
      },
    },
  ];
}

function closeWindow(command: CloseDisputeWindow, state: InspectionLotState): InspectionLotEvent[] {
  if ((state.status !== 'passed' && state.status !== 'failed') || state.final || state.dispute || !state.result || !state.inspectedBy) return [];
  if (Date.parse(command.at) < Date.parse(state.result.disputeWindowEndsAt)) return [];
  const { outcome, passedQuantity } = state.result;
  return [
    {
      type: 'InspectionResultFinal',
      data: { ...state.facts, outcome, inspectorId: state.inspectedBy, finalBecause: 'dispute_window_closed', overturned: false, passedQuantity, finalAt: command.at },
    },
  ];
}

export const inspectionLotDecider: Decider<InspectionLotState, InspectionLotCommand, InspectionLotEvent> = {
  initialState: () => ({ status: 'none' }),
  decide(command, state) {
    switch (command.type) {
      case 'OpenInspectionLot':
        return open(command, state);
      case 'RecordInspectionResult':
        return record(command, state);
      case 'AssignInspector':
        return assign(command, state);
      case 'ReassignInspector':
        return reassign(command, state);
      case 'DisputeInspectionResult':
        return disputeResult(command, state);
      case 'CloseDisputeWindow':
        return closeWindow(command, state);
      case 'AttachEvidenceFile':
        return attach(command, state);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'InspectionLotOpened': {
        const { plan, scrapQuantity: _s, completedAt: _c, openedAt: _o, originalInspection: _g, ...facts } = event.data;
        return { status: 'pending', facts, plan, assignment: null, timedOut: [], awaiting: false, inspectedBy: null, result: null, dispute: null, final: false, files: {} };
      }
      case 'InspectionPassed':
      case 'InspectionFailed': {
        if (state.status === 'none') return state;
        const outcome = event.type === 'InspectionPassed' ? 'passed' : 'failed';
        const passedQuantity = event.type === 'InspectionPassed' ? event.data.passedQuantity : 0;
        // Results recorded before disputes existed: their window closed as they were recorded.
        const result = { outcome, passedQuantity, disputeWindowEndsAt: event.data.disputeWindowEndsAt ?? event.data.inspectedAt } as const;
        return { ...state, status: outcome, assignment: null, inspectedBy: event.data.inspectorId, timedOut: [], result };
      }
      case 'InspectionDisputed':
        return state.status === 'none' ? state : { ...state, status: 'disputed', dispute: { party: event.data.party, by: event.data.disputedBy }, timedOut: [] };
      case 'InspectionDisputeResolved':
        return state.status === 'none' || !state.dispute
          ? state
          : { ...state, status: event.data.finalOutcome, assignment: null, dispute: { ...state.dispute, reinspectedBy: event.data.reinspectorId } };
      case 'InspectionResultFinal':
        return state.status === 'none' ? state : { ...state, final: true };
      case 'EvidenceFileAttached': {
        if (state.status === 'none') return state;
        const { fileId, sha256, kind } = event.data;
        return { ...state, files: { ...state.files, [fileId]: { fileId, sha256, kind } } };
      }
      case 'InspectorAssigned': {
        if (state.status === 'none') return state;
        const { inspectorId, purpose, assignedAt, dueAt } = event.data;
        return { ...state, assignment: { inspectorId, purpose, assignedAt, dueAt }, awaiting: false };
      }
      case 'InspectorAssignmentExpired':
        return state.status === 'none' ? state : { ...state, assignment: null, timedOut: [...state.timedOut, event.data.inspectorId] };
      case 'InspectorAssignmentWithdrawn':
        return state.status === 'none' ? state : { ...state, assignment: null, awaiting: false };
      case 'InspectionAwaitingInspector':
        return state.status === 'none' ? state : { ...state, awaiting: true };
    }
  },
};
