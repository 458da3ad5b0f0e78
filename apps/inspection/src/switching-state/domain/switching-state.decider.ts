/**
 * ISO 2859-1:1999 switching rules (clause 9) for one workshop+process, as the standards README gives them:
 * - normal → tightened: 2 lots out of 5 or fewer consecutive lots not accepted;
 * - tightened → normal: 5 consecutive lots accepted;
 * - normal → reduced: switching score ≥ 30 (and the authority approves, steady production);
 * - reduced → normal: a lot not accepted;
 * - tightened → discontinued: the cumulative number of lots not accepted on tightened reaches 5.
 * Only lots on original inspection are counted (re-inspections after rework are not brought here).
 * Switching score (9.3.3.2, single sampling): Ac 0 or 1: accepted +2, else 0; Ac ≥ 2: +3 when the lot
 * would have been accepted at the next tighter AQL, else 0. Starts at 0 whenever normal begins.
 */
import { DomainError, type Decider } from '#libs/domain';
import type { Severity } from '../../inspection-lot/domain/lot-plan.js';
import type { CountLotForSwitching, ReinstateInspection, SwitchingCommand } from './switching-state.commands.js';
import type { InspectionSeverityChanged, LotCountedForSwitching, SwitchingEvent } from './switching-state.events.js';

export const SWITCHING_SCORE_THRESHOLD = 30;
export const NORMAL_WINDOW = 5;
export const TIGHTENED_ACCEPTED_TO_NORMAL = 5;
export const TIGHTENED_NOT_ACCEPTED_TO_DISCONTINUE = 5;

export interface SwitchingState {
  severity: Severity;
  /** Accepted flags of the last (up to 5) lots since normal began. */
  normalWindow: boolean[];
  switchingScore: number;
  /** Consecutive accepted lots on the current tightened period. */
  tightenedAcceptedInARow: number;
  /** Cumulative lots not accepted on the current tightened period. */
  tightenedNotAccepted: number;
  lotsCounted: number;
}

export const switchingStreamId = (workshopId: string, process: string): string => `switching:${workshopId}:${process}`;

export function nextSwitchingScore(score: number, command: Pick<CountLotForSwitching, 'accepted' | 'acceptanceNumber' | 'acceptedOneStepTighter'>): number {
  if (!command.accepted) return 0;
  if (command.acceptanceNumber <= 1) return score + 2;
  return command.acceptedOneStepTighter ? score + 3 : 0;
}

function count(command: CountLotForSwitching, state: SwitchingState): SwitchingEvent[] {
  const base = { workshopId: command.workshopId, process: command.process };
  const changed = (to: Severity, reason: string, extra: Partial<InspectionSeverityChanged['data']> = {}): InspectionSeverityChanged => ({
    type: 'InspectionSeverityChanged',
    data: { ...base, from: state.severity, to, reason, inspectionLotId: command.inspectionLotId, changedAt: command.at, ...extra },
  });
  const counted = (switchingScore: number): LotCountedForSwitching => ({
    type: 'LotCountedForSwitching',
    data: { ...base, inspectionLotId: command.inspectionLotId, accepted: command.accepted, severity: state.severity, switchingScore, countedAt: command.at },
  });
  switch (state.severity) {
    case 'normal': {
      const score = nextSwitchingScore(state.switchingScore, command);
      const window = [...state.normalWindow, command.accepted].slice(-NORMAL_WINDOW);
      const notAccepted = window.filter((accepted) => !accepted).length;
      if (!command.accepted && notAccepted >= 2) {
        return [counted(score), changed('tightened', `${notAccepted} of the last ${window.length} consecutive lots not accepted (ISO 2859-1 9.3.2)`)];
      }
      if (score >= SWITCHING_SCORE_THRESHOLD && command.reducedInspectionApproved) {
        return [counted(score), changed('reduced', `switching score ${score} reached ${SWITCHING_SCORE_THRESHOLD} (ISO 2859-1 9.3.3)`, { switchingScore: score })];
      }
      return [counted(score)];
    }
    case 'tightened': {
      if (command.accepted && state.tightenedAcceptedInARow + 1 >= TIGHTENED_ACCEPTED_TO_NORMAL) {
        return [counted(0), changed('normal', `${TIGHTENED_ACCEPTED_TO_NORMAL} consecutive lots accepted on tightened inspection (ISO 2859-1 9.3.2)`)];
      }
      if (!command.accepted && state.tightenedNotAccepted + 1 >= TIGHTENED_NOT_ACCEPTED_TO_DISCONTINUE) {
        return [
          counted(0),
          changed('discontinued', `${TIGHTENED_NOT_ACCEPTED_TO_DISCONTINUE} lots not accepted (cumulative) on tightened inspection (ISO 2859-1 9.4); acceptance inspection stops until the operator reinstates it`),
        ];
      }
      return [counted(0)];
    }
    case 'reduced':
      return command.accepted ? [counted(0)] : [counted(0), changed('normal', 'a lot was not accepted on reduced inspection (ISO 2859-1 9.3.4)')];
    case 'discontinued':
      // Lots of a discontinued workshop+process are inspected 100 % and do not move the switching state.
      return [];
  }
}

function reinstate(command: ReinstateInspection, state: SwitchingState): SwitchingEvent[] {
  if (state.severity !== 'discontinued') {
    throw new DomainError('inspection_not_discontinued', `inspection of ${command.workshopId}/${command.process} is ${state.severity}, not discontinued`, 'rejected');
  }
  return [
    {
      type: 'InspectionSeverityChanged',
      data: {
        workshopId: command.workshopId,
        process: command.process,
        from: 'discontinued',
        to: 'tightened',
        reason: `reinstated on tightened inspection (ISO 2859-1 9.4): ${command.reason}`,
        by: command.by,
        changedAt: command.at,
      },
    },
  ];
}

function evolveCounted(state: SwitchingState, event: LotCountedForSwitching): SwitchingState {
  const lotsCounted = state.lotsCounted + 1;
  switch (state.severity) {
    case 'normal':
      return { ...state, lotsCounted, normalWindow: [...state.normalWindow, event.data.accepted].slice(-NORMAL_WINDOW), switchingScore: event.data.switchingScore };
    case 'tightened':
      return event.data.accepted
        ? { ...state, lotsCounted, tightenedAcceptedInARow: state.tightenedAcceptedInARow + 1 }
        : { ...state, lotsCounted, tightenedAcceptedInARow: 0, tightenedNotAccepted: state.tightenedNotAccepted + 1 };
    case 'reduced':
    case 'discontinued':
      return { ...state, lotsCounted };
  }
}

export const initialSwitchingState = (): SwitchingState => ({
  severity: 'normal',
  normalWindow: [],
  switchingScore: 0,
  tightenedAcceptedInARow: 0,
  tightenedNotAccepted: 0,
  lotsCounted: 0,
});

export const switchingDecider: Decider<SwitchingState, SwitchingCommand, SwitchingEvent> = {
  initialState: initialSwitchingState,
  decide(command, state) {
    switch (command.type) {
      case 'CountLotForSwitching':
        return count(command, state);
      case 'ReinstateInspection':
        return reinstate(command, state);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'LotCountedForSwitching':
        return evolveCounted(state, event);
      case 'InspectionSeverityChanged':
        return { ...initialSwitchingState(), lotsCounted: state.lotsCounted, severity: event.data.to };
    }
  },
};
