import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import type { SubtaskCommand } from './subtask.commands.js';
import type { SubtaskEvent, SubtaskFacts } from './subtask.events.js';

export type SubtaskStatus = 'offered' | 'accepted' | 'declined' | 'expired' | 'started' | 'completed' | 'rework' | 'replanned' | 'cancelled';

export type SubtaskState =
  | { status: 'none' }
  | { status: SubtaskStatus; facts: SubtaskFacts; expiresAt: string; plannedEnd: string; completions: number };

/** Statuses in which the subtask still holds capacity and can be cancelled. */
export const OPEN_STATUSES: readonly SubtaskStatus[] = ['offered', 'accepted', 'started', 'rework'];

export class SubtaskNotInState extends DomainError {
  constructor(subtaskId: string, status: string, action: string) {
    super('subtask_state', `subtask ${subtaskId} is ${status}; cannot ${action}`, 'rejected', { subtaskId, status });
  }
}

function own(state: SubtaskState, workshopId: string, what: 'offer' | 'subtask'): Exclude<SubtaskState, { status: 'none' }> {
  // A workshop learns nothing about someone else's offer: it gets the same 404 a missing one gives.
  if (state.status === 'none' || state.facts.workshopId !== workshopId) throw new NotFound(what, state.status === 'none' ? '?' : state.facts.subtaskId);
  return state;
}

export const subtaskDecider: Decider<SubtaskState, SubtaskCommand, SubtaskEvent> = {
  initialState: () => ({ status: 'none' }),

  decide(command, state) {
    switch (command.type) {
      case 'OfferSubtask': {
        if (state.status !== 'none') return [];
        return [
          {
            type: 'SubtaskOffered',
            data: { ...command.facts, expiresAt: command.expiresAt.toISOString(), plannedStart: command.plannedStart.toISOString(), plannedEnd: command.plannedEnd.toISOString() },
          },
        ];
      }
      case 'AcceptOffer': {
        const s = own(state, command.workshopId, 'offer');
        if (s.status === 'accepted') return [];
        if (s.status !== 'offered') throw new SubtaskNotInState(s.facts.subtaskId, s.status, 'accept');
        if (command.at.getTime() >= Date.parse(s.expiresAt)) throw new DomainError('offer_expired', `offer ${s.facts.subtaskId} expired at ${s.expiresAt}`, 'rejected');
        return [{ type: 'SubtaskAccepted', data: { ...s.facts, acceptedAt: command.at.toISOString(), plannedEnd: s.plannedEnd } }];
      }
      case 'DeclineOffer': {
        const s = own(state, command.workshopId, 'offer');
        if (s.status === 'declined') return [];
        if (s.status !== 'offered') throw new SubtaskNotInState(s.facts.subtaskId, s.status, 'decline');
        if (command.reason.trim() === '') throw new ValidationFailed('reason', 'must not be empty');
        return [{ type: 'SubtaskDeclined', data: { ...s.facts, reason: command.reason } }];
      }
      case 'ExpireOffer': {
        if (state.status !== 'offered') return [];
        if (command.at.getTime() < Date.parse(state.expiresAt)) return [];
        return [{ type: 'SubtaskExpired', data: { ...state.facts } }];
      }
      case 'StartSubtask': {
        const s = own(state, command.workshopId, 'subtask');
        if (s.status === 'started') return [];
        if (s.status !== 'accepted') throw new SubtaskNotInState(s.facts.subtaskId, s.status, 'start');
        if (!command.stepReleased) {
          throw new DomainError('inputs_not_released', `step ${s.facts.stepId} of order ${s.facts.orderId} is not released yet: its inputs have not passed inspection`, 'rejected');
        }
        return [{ type: 'SubtaskStarted', data: { ...s.facts, startedAt: command.at.toISOString() } }];
      }
      case 'CompleteSubtask': {
        const s = own(state, command.workshopId, 'subtask');
        if (s.status !== 'started' && s.status !== 'rework') throw new SubtaskNotInState(s.facts.subtaskId, s.status, 'complete');
        if (!Number.isInteger(command.goodQuantity) || command.goodQuantity < 0) throw new ValidationFailed('goodQuantity', 'must be a whole number of at least 0');
        if (!Number.isInteger(command.scrapQuantity) || command.scrapQuantity < 0) throw new ValidationFailed('scrapQuantity', 'must be a whole number of at least 0');
        if (command.goodQuantity + command.scrapQuantity > s.facts.quantity) {
          throw new ValidationFailed('goodQuantity', `good + scrap (${command.goodQuantity + command.scrapQuantity}) exceeds the lot quantity ${s.facts.quantity}`);
        }
        return [
          {
            type: 'SubtaskCompleted',
            data: {
              ...s.facts,
              goodQuantity: command.goodQuantity,
              scrapQuantity: command.scrapQuantity,
              completedAt: command.at.toISOString(),
              dueAt: command.dueAt.toISOString(),
              inspection: command.inspection,
              reworkRound: s.completions,
            },
          },
        ];
      }
      case 'FailInspection': {
        if (state.status !== 'completed') return [];
        return [{ type: 'SubtaskFailedInspection', data: { subtaskId: state.facts.subtaskId, disposition: command.disposition, failedAt: command.at.toISOString() } }];
      }
      case 'CancelSubtask': {
        if (state.status === 'none' || !OPEN_STATUSES.includes(state.status)) return [];
        return [{ type: 'SubtaskCancelled', data: { ...state.facts, reason: command.reason } }];
      }
    }
  },

  evolve(state, event) {
    if (event.type === 'SubtaskOffered') {
      const { expiresAt, plannedStart: _s, plannedEnd, ...facts } = event.data;
      return { status: 'offered', facts, expiresAt, plannedEnd, completions: 0 };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'SubtaskAccepted':
        return { ...state, status: 'accepted' };
      case 'SubtaskDeclined':
        return { ...state, status: 'declined' };
      case 'SubtaskExpired':
        return { ...state, status: 'expired' };
      case 'SubtaskStarted':
        return { ...state, status: 'started' };
      case 'SubtaskCompleted':
        return { ...state, status: 'completed', completions: state.completions + 1 };
      case 'SubtaskCancelled':
        return { ...state, status: 'cancelled' };
      case 'SubtaskFailedInspection':
        return { ...state, status: event.data.disposition === 'rework' ? 'rework' : 'replanned' };
    }
  },
};
