import { LotNotYetKnown, NOTIFIED_EVENT_TYPES, noticesOf, SUBSCRIBABLE } from './member-notices.js';

const money = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });
const facts = { subtaskId: 'st-1', orderId: 'o-1', brandId: 'b-1', stepId: 'sew', process: 'sewing', workshopId: 'w-1', quantity: 100, price: money(5000) };
const outcome = { ...facts, inspectionLotId: 'il-1', lotSize: 100, sampleSize: 20, severity: 'normal', inspectorId: 'insp-1', inspectedAt: '2026-12-01T00:00:00Z' };

describe('noticesOf: who hears of an event and what each sees', () => {
  it('tells only the offered workshop of an offer, without the brand', () => {
    const notices = noticesOf({ type: 'SubtaskOffered', data: { ...facts, expiresAt: 'x', plannedStart: 's', plannedEnd: 'e' } });
    expect(notices).toEqual([
      {
        memberId: 'w-1',
        role: 'workshop',
        type: 'SubtaskOffered',
        data: { subtaskId: 'st-1', orderId: 'o-1', stepId: 'sew', process: 'sewing', quantity: 100, price: money(5000), expiresAt: 'x', plannedStart: 's', plannedEnd: 'e' },
      },
    ]);
  });

  it('tells the brand of its plan without naming workshops, and no workshop of it', () => {
    const lots = [{ subtaskId: 'st-1', stepId: 'sew', workshopId: 'w-1', quantity: 100, plannedStart: 's', plannedEnd: 'e', price: money(5000) }];
    const notices = noticesOf({ type: 'OrderPlanned', data: { orderId: 'o-1', brandId: 'b-1', lots, plannedCompletion: 'c' } });
    expect(notices.map((n) => [n.memberId, n.role])).toEqual([['b-1', 'brand']]);
    expect(JSON.stringify(notices[0].data)).not.toContain('w-1');
    expect(notices[0].data).toEqual({ orderId: 'o-1', plannedCompletion: 'c', lots: [{ subtaskId: 'st-1', stepId: 'sew', quantity: 100, plannedStart: 's', plannedEnd: 'e', price: money(5000) }] });
  });

  it("tells a brand of its own suspension and reinstatement, and nobody of an inspector's", () => {
    const suspended = { memberId: 'b-1', role: 'brand', reason: 'chargebacks', suspendedBy: 'op-1', suspendedAt: 't' };
    expect(noticesOf({ type: 'MemberSuspended', data: suspended })).toEqual([
      { memberId: 'b-1', role: 'brand', type: 'MemberSuspended', data: { memberId: 'b-1', reason: 'chargebacks', suspendedAt: 't' } },
    ]);
    expect(noticesOf({ type: 'MemberReinstated', data: { memberId: 'b-1', role: 'brand', reason: 'ok', reinstatedBy: 'op-1', reinstatedAt: 'u' } })[0]).toMatchObject({
      memberId: 'b-1',
      data: { reason: 'ok', reinstatedAt: 'u' },
    });
    expect(noticesOf({ type: 'MemberSuspended', data: { ...suspended, memberId: 'i-1', role: 'inspector' } })).toEqual([]);
  });

  it('tells both parties of an inspection result, each without the other and neither with the inspector', () => {
    const notices = noticesOf({ type: 'InspectionFailed', data: { ...outcome, criticalDefects: 0, majorDefects: 3, minorDefects: 1, disposition: 'rework' } });
    expect(notices.map((n) => [n.memberId, n.role])).toEqual([
      ['w-1', 'workshop'],
      ['b-1', 'brand'],
    ]);
    for (const n of notices) {
      expect(n.data).not.toHaveProperty('inspectorId');
      expect(n.data).not.toHaveProperty('brandId');
      expect(n.data).not.toHaveProperty('workshopId');
      expect(n.data).toMatchObject({ majorDefects: 3, disposition: 'rework', inspectionLotId: 'il-1' });
    }
  });

  it('needs the lot for funding and payment events, and then tells the workshop and the brand what each may see', () => {
    const released = { orderId: 'o-1', subtaskId: 'st-1', workshopId: 'w-1', gross: money(5000), platformFee: money(250), penalty: money(0), net: money(4750) };
    expect(() => noticesOf({ type: 'PaymentReleased', data: released })).toThrow(LotNotYetKnown);
    expect(() => noticesOf({ type: 'EscrowFunded', data: { orderId: 'o-1', subtaskId: 'st-1', brandId: 'b-1', amount: money(5000) } })).toThrow(LotNotYetKnown);
    const notices = noticesOf({ type: 'PaymentReleased', data: released, lot: { workshopId: 'w-1', brandId: 'b-1' } });
    expect(notices).toEqual([
      { memberId: 'w-1', role: 'workshop', type: 'PaymentReleased', data: { orderId: 'o-1', subtaskId: 'st-1', gross: money(5000), platformFee: money(250), penalty: money(0), net: money(4750) } },
      { memberId: 'b-1', role: 'brand', type: 'PaymentReleased', data: { orderId: 'o-1', subtaskId: 'st-1', gross: money(5000) } },
    ]);
    const funded = noticesOf({ type: 'EscrowFunded', data: { orderId: 'o-1', subtaskId: 'st-1', brandId: 'b-1', amount: money(5000) }, lot: { workshopId: 'w-1', brandId: 'b-1' } });
    expect(funded.map((n) => [n.memberId, n.role, n.data])).toEqual([
      ['b-1', 'brand', { orderId: 'o-1', subtaskId: 'st-1', amount: money(5000) }],
      ['w-1', 'workshop', { orderId: 'o-1', subtaskId: 'st-1', amount: money(5000) }],
    ]);
  });

  const disputeFacts = { ...outcome, party: 'brand', disputedBy: 'b-1', originalOutcome: 'passed', originalInspectorId: 'insp-1', disputeWindowEndsAt: 'w' };

  it('tells both parties of a dispute, each without the other, the disputing member id, the inspector or the evidence', () => {
    const notices = noticesOf({ type: 'InspectionDisputed', data: { ...disputeFacts, reason: 'seams open', disputedAt: 'd', evidence: [{ kind: 'file', ref: 'f-1' }] } });
    expect(notices.map((n) => [n.memberId, n.role, n.type])).toEqual([
      ['w-1', 'workshop', 'InspectionDisputed'],
      ['b-1', 'brand', 'InspectionDisputed'],
    ]);
    for (const n of notices) {
      expect(n.data).toEqual({
        inspectionLotId: 'il-1',
        subtaskId: 'st-1',
        orderId: 'o-1',
        stepId: 'sew',
        process: 'sewing',
        lotSize: 100,
        sampleSize: 20,
        severity: 'normal',
        inspectedAt: '2026-12-01T00:00:00Z',
        party: 'brand',
        reason: 'seams open',
        originalOutcome: 'passed',
        disputeWindowEndsAt: 'w',
        disputedAt: 'd',
        evidenceCount: 1,
      });
    }
  });

  it('tells both parties how a dispute was decided, naming neither inspector', () => {
    const resolved = { ...disputeFacts, finalOutcome: 'failed', overturned: true, reinspectorId: 'insp-2', criticalDefects: 0, majorDefects: 4, minorDefects: 0, passedQuantity: 0, resolvedAt: 'r' };
    const notices = noticesOf({ type: 'InspectionDisputeResolved', data: resolved });
    expect(notices.map((n) => [n.memberId, n.role])).toEqual([
      ['w-1', 'workshop'],
      ['b-1', 'brand'],
    ]);
    for (const n of notices) {
      expect(n.data).toMatchObject({ party: 'brand', originalOutcome: 'passed', finalOutcome: 'failed', overturned: true, majorDefects: 4, passedQuantity: 0, resolvedAt: 'r' });
      for (const hidden of ['originalInspectorId', 'reinspectorId', 'inspectorId', 'disputedBy', 'brandId', 'workshopId']) expect(n.data).not.toHaveProperty(hidden);
    }
  });

  it('tells both parties when a result became final, and the window to dispute it with the result', () => {
    const final = noticesOf({ type: 'InspectionResultFinal', data: { ...outcome, outcome: 'passed', finalBecause: 'dispute_window_closed', overturned: false, passedQuantity: 100, finalAt: 'f' } });
    expect(final.map((n) => n.memberId)).toEqual(['w-1', 'b-1']);
    for (const n of final) expect(n.data).toMatchObject({ inspectionLotId: 'il-1', outcome: 'passed', finalBecause: 'dispute_window_closed', overturned: false, passedQuantity: 100, finalAt: 'f' });
    for (const n of final) expect(n.data).not.toHaveProperty('inspectorId');
    const passed = noticesOf({ type: 'InspectionPassed', data: { ...outcome, passedQuantity: 100, disputeWindowEndsAt: 'w' } });
    for (const n of passed) expect(n.data).toMatchObject({ disputeWindowEndsAt: 'w' });
  });

  it("keeps a brand's money events to the brand", () => {
    const notices = noticesOf({ type: 'FundsShort', data: { orderId: 'o-1', subtaskId: 'st-1', brandId: 'b-1', required: money(9), available: money(1) } });
    expect(notices).toEqual([{ memberId: 'b-1', role: 'brand', type: 'FundsShort', data: { orderId: 'o-1', subtaskId: 'st-1', required: money(9), available: money(1) } }]);
  });

  it('tells nobody of events members have no part in', () => {
    expect(noticesOf({ type: 'OrderSubmitted', data: { orderId: 'o-1', brandId: 'b-1' } })).toEqual([]);
    expect(noticesOf({ type: 'CapacityDeclared', data: { workshopId: 'w-1' } })).toEqual([]);
  });

  it('only sends a member types its role may subscribe to', () => {
    const sample: Record<string, unknown> = { ...outcome, ...facts, lots: [], reason: 'r', replacedSubtaskId: 's', from: 'normal', to: 'tightened' };
    for (const type of NOTIFIED_EVENT_TYPES) {
      for (const n of noticesOf({ type, data: sample, lot: { workshopId: 'w-1', brandId: 'b-1' } })) {
        expect([type, n.role, SUBSCRIBABLE[n.role].includes(n.type)]).toEqual([type, n.role, true]);
      }
    }
  });
});
