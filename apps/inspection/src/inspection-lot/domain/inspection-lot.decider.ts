import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import type { AssignInspector, OpenInspectionLot, InspectionLotCommand, RecordInspectionResult } from './inspection-lot.commands.js';
import type { AssignmentPurpose, InspectionFailed, InspectionLotEvent, InspectionLotFacts, InspectionPassed } from './inspection-lot.events.js';
import { pickInspector } from './inspector-assignment.js';
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
      status: 'pending' | 'passed' | 'failed';
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
    };

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
  if (state.status !== 'pending') return []; // nothing to assign: unknown, or already inspected
  const { facts } = state;
  const events: InspectionLotEvent[] = [];
  let timedOut = state.timedOut;
  let purpose: AssignmentPurpose = 'inspection';
  if (state.assignment) {
    if (!command.expire || Date.parse(command.at) < Date.parse(state.assignment.dueAt)) return [];
    const { inspectorId, assignedAt, dueAt } = state.assignment;
    purpose = state.assignment.purpose;
    events.push({ type: 'InspectorAssignmentExpired', data: { inspectionLotId: facts.inspectionLotId, inspectorId, assignedAt, dueAt, expiredAt: command.at } });
    timedOut = [...timedOut, inspectorId];
  }
  const lot = { process: facts.process, workshopId: facts.workshopId, brandId: facts.brandId, region: command.region };
  const pick = pickInspector(lot, command.candidates, { barred: [], timedOut }, command.nominee);
  if (!pick) {
    if (!state.awaiting || events.length > 0) {
      events.push({ type: 'InspectionAwaitingInspector', data: { inspectionLotId: facts.inspectionLotId, purpose, candidates: command.candidates.length, at: command.at } });
    }
    return events;
  }
  events.push({
    type: 'InspectorAssigned',
    data: {
      inspectionLotId: facts.inspectionLotId,
      inspectorId: pick.inspectorId,
      purpose,
      by: pick.by,
      eligible: pick.eligible,
      ...(pick.nomineeSkipped ? { nomineeSkipped: pick.nomineeSkipped } : {}),
      assignedAt: command.at,
      dueAt: new Date(Date.parse(command.at) + command.timeoutSeconds * 1000).toISOString(),
    },
  });
  return events;
}

function record(command: RecordInspectionResult, state: InspectionLotState): InspectionLotEvent[] {
  if (state.status === 'none') throw new NotFound('inspection_lot', '(unknown)');
  const { facts, plan } = state;
  if (state.assignment?.inspectorId !== command.inspectorId) {
    // The inspector of an already inspected lot learns it is inspected; anyone else learns nothing.
    if (state.status !== 'pending' && command.inspectorId === state.inspectedBy) throw new LotAlreadyInspected(facts.inspectionLotId, state.status);
    throw new LotNotAssignedToYou(facts.inspectionLotId);
  }
  if (state.status !== 'pending') throw new LotAlreadyInspected(facts.inspectionLotId, state.status);
  if (command.sampled < plan.sampleSize) {
    throw new ValidationFailed('sampled', `the plan requires inspecting ${plan.sampleSize} units (code letter ${plan.codeLetter}, ${plan.table}); only ${command.sampled} were reported`, {
      required: plan.sampleSize,
    });
  }
  if (command.sampled > plan.lotSize) throw new ValidationFailed('sampled', `cannot exceed the lot size ${plan.lotSize}`);
  if (command.rejectedUnits > command.sampled) throw new ValidationFailed('rejectedUnits', 'cannot exceed the units sampled');
  const verdicts = Object.fromEntries(
    DEFECT_CLASSES.map((c) => [c, classAccepted(plan.classes[c], command.defects[c])]),
  ) as Record<DefectClass, boolean>;
  const accepted = DEFECT_CLASSES.every((c) => verdicts[c]);
  const common = {
    ...facts,
    inspectorId: command.inspectorId,
    sampled: command.sampled,
    defects: command.defects,
    verdicts,
    rejectedUnits: command.rejectedUnits,
    evidence: command.evidence,
    ...(command.notes === undefined ? {} : { notes: command.notes }),
    codeLetter: plan.codeLetter,
    criticalDefects: command.defects.critical,
    majorDefects: command.defects.major,
    minorDefects: command.defects.minor,
    inspectedAt: command.inspectedAt,
  };
  if (accepted) {
    const passed: InspectionPassed = { type: 'InspectionPassed', data: { ...common, passedQuantity: facts.lotSize - command.rejectedUnits } };
    return [passed];
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
  return [failed];
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
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'InspectionLotOpened': {
        const { plan, scrapQuantity: _s, completedAt: _c, openedAt: _o, originalInspection: _g, ...facts } = event.data;
        return { status: 'pending', facts, plan, assignment: null, timedOut: [], awaiting: false, inspectedBy: null };
      }
      case 'InspectionPassed':
      case 'InspectionFailed':
        return state.status === 'none' ? state : { ...state, status: event.type === 'InspectionPassed' ? 'passed' : 'failed', assignment: null, inspectedBy: event.data.inspectorId };
      case 'InspectorAssigned': {
        if (state.status === 'none') return state;
        const { inspectorId, purpose, assignedAt, dueAt } = event.data;
        return { ...state, assignment: { inspectorId, purpose, assignedAt, dueAt }, awaiting: false };
      }
      case 'InspectorAssignmentExpired':
        return state.status === 'none' ? state : { ...state, assignment: null, timedOut: [...state.timedOut, event.data.inspectorId] };
      case 'InspectionAwaitingInspector':
        return state.status === 'none' ? state : { ...state, awaiting: true };
    }
  },
};
