import { DomainError, type Decider } from '#libs/domain';
import type { Money } from '../../ledger/domain/money.js';

/**
 * A credit an operator enters by hand (a payment that reached the bank without a usable reference, a
 * goodwill correction). It credits nothing until a second, different operator approves it (four eyes).
 * requested → approved (credited once) | rejected. The requester may withdraw (reject) its own request.
 */
export type ManualCreditEvent =
  | {
      type: 'ManualCreditRequested';
      data: { creditId: string; brandId: string; amount: Money; reason: string; requestedBy: string; requestedAt: string };
    }
  | { type: 'ManualCreditApproved'; data: { creditId: string; brandId: string; amount: Money; requestedBy: string; approvedBy: string; approvedAt: string } }
  | { type: 'ManualCreditRejected'; data: { creditId: string; brandId: string; rejectedBy: string; reason: string; rejectedAt: string } };

export type ManualCreditCommand =
  | { type: 'RequestManualCredit'; creditId: string; brandId: string; amount: Money; reason: string; requestedBy: string; now: Date }
  | { type: 'ApproveManualCredit'; approvedBy: string; now: Date }
  | { type: 'RejectManualCredit'; rejectedBy: string; reason: string; now: Date };

export type ManualCreditStatus = 'requested' | 'approved' | 'rejected';

export type ManualCreditState =
  | { exists: false }
  | { exists: true; creditId: string; brandId: string; amount: Money; requestedBy: string; status: ManualCreditStatus; decidedBy: string | null };

export class FourEyesRequired extends DomainError {
  constructor(operator: string) {
    super('four_eyes_required', `a manual credit needs a second operator: ${operator} requested it and cannot approve it`, 'forbidden', { operator });
  }
}

export class ManualCreditClosed extends DomainError {
  constructor(creditId: string, status: ManualCreditStatus) {
    super('manual_credit_closed', `manual credit ${creditId} is already ${status}`, 'conflict', { creditId, status });
  }
}

export class ManualCreditMissing extends DomainError {
  constructor() {
    super('manual_credit_not_found', 'no such manual credit', 'not_found');
  }
}

export const manualCreditDecider: Decider<ManualCreditState, ManualCreditCommand, ManualCreditEvent> = {
  initialState: () => ({ exists: false }),

  decide(command, state) {
    switch (command.type) {
      case 'RequestManualCredit': {
        if (state.exists) throw new DomainError('manual_credit_exists', `manual credit ${command.creditId} already exists`, 'conflict');
        if (!Number.isSafeInteger(command.amount.amountMinor) || command.amount.amountMinor <= 0) {
          throw new DomainError('invalid_payment_amount', 'amount.amountMinor must be a positive whole number of minor units', 'invalid');
        }
        return [
          {
            type: 'ManualCreditRequested',
            data: {
              creditId: command.creditId,
              brandId: command.brandId,
              amount: { ...command.amount },
              reason: command.reason,
              requestedBy: command.requestedBy,
              requestedAt: command.now.toISOString(),
            },
          },
        ];
      }
      case 'ApproveManualCredit': {
        if (!state.exists) throw new ManualCreditMissing();
        if (command.approvedBy === state.requestedBy) throw new FourEyesRequired(command.approvedBy);
        if (state.status === 'approved' && state.decidedBy === command.approvedBy) return []; // a repeated approval
        if (state.status !== 'requested') throw new ManualCreditClosed(state.creditId, state.status);
        return [
          {
            type: 'ManualCreditApproved',
            data: {
              creditId: state.creditId,
              brandId: state.brandId,
              amount: state.amount,
              requestedBy: state.requestedBy,
              approvedBy: command.approvedBy,
              approvedAt: command.now.toISOString(),
            },
          },
        ];
      }
      case 'RejectManualCredit': {
        if (!state.exists) throw new ManualCreditMissing();
        if (state.status === 'rejected') return [];
        if (state.status !== 'requested') throw new ManualCreditClosed(state.creditId, state.status);
        return [
          {
            type: 'ManualCreditRejected',
            data: { creditId: state.creditId, brandId: state.brandId, rejectedBy: command.rejectedBy, reason: command.reason, rejectedAt: command.now.toISOString() },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ManualCreditRequested':
        return {
          exists: true,
          creditId: event.data.creditId,
          brandId: event.data.brandId,
          amount: event.data.amount,
          requestedBy: event.data.requestedBy,
          status: 'requested',
          decidedBy: null,
        };
      case 'ManualCreditApproved':
        return state.exists ? { ...state, status: 'approved', decidedBy: event.data.approvedBy } : state;
      case 'ManualCreditRejected':
        return state.exists ? { ...state, status: 'rejected', decidedBy: event.data.rejectedBy } : state;
    }
  },
};
