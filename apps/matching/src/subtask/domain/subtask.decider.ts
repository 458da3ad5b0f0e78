import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import type { SubtaskCommand } from './subtask.commands.js';
import type { SubtaskEvent, SubtaskFacts } from './subtask.events.js';

export type SubtaskStatus = 'offered' | 'accepted' | 'declined' | 'expired' | 'started' | 'completed' | 'rework' | 'replanned' | 'cancelled';

export type SubtaskState =
  | { status: 'none' }
  | {
      status: SubtaskStatus;
      facts: SubtaskFacts;
      expiresAt: string;
      plannedStart?: string;
      plannedEnd: string;
      completions: number;
      startedAt?: string;
      doneQuantity?: number;
      atRisk?: boolean;
    };

/**
 * Whether progress lags the plan: at the rate since the lot started (or was planned to start), does it
 * end after its planned end? With nothing done, it is at risk once half its time has passed.
 */
export function progressRisk(
  lot: { quantity: number; startedAt: string; plannedEnd: string },
  doneQuantity: number,
  at: Date,
): { projectedEnd?: string; reason: string } | null {
  const start = Date.parse(lot.startedAt);
  const end = Date.parse(lot.plannedEnd);
  const elapsed = at.getTime() - start;
  if (elapsed <= 0 || doneQuantity >= lot.quantity) return null;
  if (doneQuantity === 0) {
    if (at.getTime() - start < (end - start) / 2) return null;
    return { reason: `nothing of ${lot.quantity} units done with more than half the time to ${lot.plannedEnd} gone` };
  }
  const projected = at.getTime() + ((lot.quantity - doneQuantity) * elapsed) / doneQuantity;
  if (projected <= end) return null;
  const projectedEnd = new Date(Math.ceil(projected / 60_000) * 60_000).toISOString();
  return { projectedEnd, reason: `${doneQuantity} of ${lot.quantity} units done: at this rate the lot ends ${projectedEnd}, after its planned end ${lot.plannedEnd}` };
}

/** Statuses in which the subtask still holds capacity and can be cancelled. */
export const OPEN_STATUSES: readonly SubtaskStatus[] = ['offered', 'accepted', 'started', 'rework'];
/** Statuses in which the plan may still move the lot elsewhere: no work has started on it. */
export const MOVABLE_STATUSES: readonly SubtaskStatus[] = ['offered', 'accepted'];

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
        // No work without the money for it: the workshop is paid from escrow, so a lot its brand has not
        // funded waits (the order shows awaiting_funds) until a deposit moves its price into escrow.
        if (!command.funded) {
          throw new DomainError(
            'lot_not_funded',
            `subtask ${s.facts.subtaskId} of order ${s.facts.orderId} is not funded yet: its price is not in escrow because the brand's funds are short; it may start once the brand deposits`,
            'rejected',
          );
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
        return [{ type: 'SubtaskCancelled', data: { ...state.facts, reason: command.reason, cause: 'order_cancelled' } }];
      }
      case 'ReportProgress': {
        const s = own(state, command.workshopId, 'subtask');
        if (s.status !== 'started' && s.status !== 'rework') throw new SubtaskNotInState(s.facts.subtaskId, s.status, 'report progress');
        if (!Number.isInteger(command.doneQuantity) || command.doneQuantity < 0) throw new ValidationFailed('doneQuantity', 'must be a whole number of at least 0');
        if (command.doneQuantity > s.facts.quantity) throw new ValidationFailed('doneQuantity', `exceeds the lot quantity ${s.facts.quantity}`);
        const reportedAt = command.at.toISOString();
        const progressed: SubtaskEvent = { type: 'SubtaskProgressed', data: { ...s.facts, doneQuantity: command.doneQuantity, reportedAt, plannedEnd: s.plannedEnd } };
        // Raised once per lot: the brand and the planner need to hear it, not on every report.
        const risk = s.atRisk ? null : progressRisk({ quantity: s.facts.quantity, startedAt: s.startedAt ?? s.plannedStart ?? reportedAt, plannedEnd: s.plannedEnd }, command.doneQuantity, command.at);
        if (!risk) return [progressed];
        return [progressed, { type: 'LotAtRisk', data: { ...s.facts, doneQuantity: command.doneQuantity, reportedAt, plannedEnd: s.plannedEnd, ...risk } }];
      }
      case 'CounterOffer': {
        const s = own(state, command.workshopId, 'offer');
        if (s.status !== 'offered') throw new SubtaskNotInState(s.facts.subtaskId, s.status, 'counter');
        if (command.at.getTime() >= Date.parse(s.expiresAt)) throw new DomainError('offer_expired', `offer ${s.facts.subtaskId} expired at ${s.expiresAt}`, 'rejected');
        if (command.quantity === undefined && command.plannedEnd === undefined) throw new ValidationFailed('quantity', 'a counter-offer names a smaller quantity, a later end, or both');
        if (command.quantity !== undefined && (!Number.isInteger(command.quantity) || command.quantity < 1 || command.quantity >= s.facts.quantity)) {
          throw new ValidationFailed('quantity', `must be a whole number from 1 to ${s.facts.quantity - 1} (less than offered)`);
        }
        if (command.plannedEnd !== undefined && !(command.plannedEnd.getTime() > Date.parse(s.plannedEnd))) {
          throw new ValidationFailed('plannedEnd', `must be later than the offered end ${s.plannedEnd}`);
        }
        return [
          {
            type: 'SubtaskCountered',
            data: {
              subtaskId: s.facts.subtaskId,
              workshopId: s.facts.workshopId,
              quantity: command.quantity ?? s.facts.quantity,
              plannedEnd: (command.plannedEnd ?? new Date(s.plannedEnd)).toISOString(),
              counteredAt: command.at.toISOString(),
            },
          },
        ];
      }
      case 'RefuseCounter': {
        if (state.status !== 'offered') return [];
        return [{ type: 'SubtaskCounterRefused', data: { subtaskId: state.facts.subtaskId, reason: command.reason } }];
      }
      case 'WithdrawSubtask': {
        // Work under way stays with its workshop; anything else not movable is already closed.
        if (state.status === 'none' || !MOVABLE_STATUSES.includes(state.status)) return [];
        if (command.reason.trim() === '') throw new ValidationFailed('reason', 'must not be empty');
        return [{ type: 'SubtaskCancelled', data: { ...state.facts, reason: command.reason, cause: command.cause } }];
      }
    }
  },

  evolve(state, event) {
    if (event.type === 'SubtaskOffered') {
      const { expiresAt, plannedStart, plannedEnd, ...facts } = event.data;
      return { status: 'offered', facts, expiresAt, plannedStart, plannedEnd, completions: 0 };
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
        return { ...state, status: 'started', startedAt: event.data.startedAt };
      case 'SubtaskProgressed':
        return { ...state, doneQuantity: event.data.doneQuantity };
      case 'LotAtRisk':
        return { ...state, atRisk: true };
      case 'SubtaskCountered':
      case 'SubtaskCounterRefused':
        return state;
      case 'SubtaskCompleted':
        return { ...state, status: 'completed', completions: state.completions + 1 };
      case 'SubtaskCancelled':
        return { ...state, status: 'cancelled' };
      case 'SubtaskFailedInspection':
        return { ...state, status: event.data.disposition === 'rework' ? 'rework' : 'replanned' };
    }
  },
};
