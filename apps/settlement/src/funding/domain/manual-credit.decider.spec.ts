import { DeciderSpecification } from '#libs/testing';
import { FourEyesRequired, ManualCreditClosed, manualCreditDecider, type ManualCreditEvent } from './manual-credit.decider.js';

const spec = DeciderSpecification.for(manualCreditDecider);
const now = new Date('2026-05-01T00:00:00.000Z');
const amount = { amountMinor: 9_900, currency: 'CNY' };
const requested: ManualCreditEvent = {
  type: 'ManualCreditRequested',
  data: { creditId: 'mc-1', brandId: 'b-1', amount, reason: 'booking without reference', requestedBy: 'op-1', requestedAt: now.toISOString() },
};
const approved: ManualCreditEvent = { type: 'ManualCreditApproved', data: { creditId: 'mc-1', brandId: 'b-1', amount, requestedBy: 'op-1', approvedBy: 'op-2', approvedAt: now.toISOString() } };

describe('manual credit (four eyes)', () => {
  it('is requested', () => {
    spec.given([]).when({ type: 'RequestManualCredit', creditId: 'mc-1', brandId: 'b-1', amount, reason: 'booking without reference', requestedBy: 'op-1', now }).then([requested]);
  });

  it('cannot be approved by the operator who requested it', () => {
    const error = spec.given([requested]).when({ type: 'ApproveManualCredit', approvedBy: 'op-1', now }).thenThrows(FourEyesRequired);
    expect(error.code).toBe('four_eyes_required');
  });

  it('is approved by a second operator, once', () => {
    spec.given([requested]).when({ type: 'ApproveManualCredit', approvedBy: 'op-2', now }).then([approved]);
    spec.given([requested, approved]).when({ type: 'ApproveManualCredit', approvedBy: 'op-2', now }).thenNothing();
    spec.given([requested, approved]).when({ type: 'ApproveManualCredit', approvedBy: 'op-3', now }).thenThrows(ManualCreditClosed);
  });

  it('a rejected credit cannot be approved', () => {
    const rejected: ManualCreditEvent = { type: 'ManualCreditRejected', data: { creditId: 'mc-1', brandId: 'b-1', rejectedBy: 'op-2', reason: 'no such booking', rejectedAt: now.toISOString() } };
    spec.given([requested]).when({ type: 'RejectManualCredit', rejectedBy: 'op-2', reason: 'no such booking', now }).then([rejected]);
    spec.given([requested, rejected]).when({ type: 'ApproveManualCredit', approvedBy: 'op-3', now }).thenThrows(ManualCreditClosed);
  });
});
