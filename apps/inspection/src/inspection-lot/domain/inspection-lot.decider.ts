import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import type { OpenInspectionLot, InspectionLotCommand, RecordInspectionResult } from './inspection-lot.commands.js';
import type { InspectionFailed, InspectionLotEvent, InspectionLotFacts, InspectionPassed } from './inspection-lot.events.js';
import { classAccepted, DEFECT_CLASSES, type DefectClass, type LotPlan } from './lot-plan.js';

export type InspectionLotState =
  | { status: 'none' }
  | { status: 'pending' | 'passed' | 'failed'; facts: InspectionLotFacts; plan: LotPlan };

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

function record(command: RecordInspectionResult, state: InspectionLotState): InspectionLotEvent[] {
  if (state.status === 'none') throw new NotFound('inspection_lot', '(unknown)');
  const { facts, plan } = state;
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
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'InspectionLotOpened': {
        const { plan, scrapQuantity: _s, completedAt: _c, openedAt: _o, originalInspection: _g, ...facts } = event.data;
        return { status: 'pending', facts, plan };
      }
      case 'InspectionPassed':
        return state.status === 'none' ? state : { ...state, status: 'passed' };
      case 'InspectionFailed':
        return state.status === 'none' ? state : { ...state, status: 'failed' };
    }
  },
};
