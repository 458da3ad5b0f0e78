import { DeciderSpecification } from '#libs/testing';
import type { RecordDelivery, RecordInspectionOutcome } from './quality-record.commands.js';
import { qualityRecordDecider, RECENT_KEYS } from './quality-record.decider.js';
import type { QualityRecordEvent } from './quality-record.events.js';
import { qualityScore, scoreParts } from './quality-score.js';

const spec = DeciderSpecification.for(qualityRecordDecider);
const none = { critical: 0, major: 0, minor: 0 };
const passed: RecordInspectionOutcome = {
  type: 'RecordInspectionOutcome', workshopId: 'w-1', process: 'sewing', inspectionLotId: 'il-1', outcome: 'passed', lotSize: 500, sampleSize: 50, defects: none, inspectedAt: '2030-03-05T10:00:00.000Z',
};
const recorded = (c: RecordInspectionOutcome): QualityRecordEvent => {
  const { type: _t, ...data } = c;
  return { type: 'InspectionOutcomeRecorded', data };
};

describe('quality record decider', () => {
  it('records a passed lot and publishes the updated record', () => {
    spec.given([]).when(passed).then([
      recorded(passed),
      {
        type: 'WorkshopQualityRecordUpdated',
        data: { workshopId: 'w-1', process: 'sewing', lotsInspected: 1, lotsPassed: 1, score: 0.9133, lotsWithCriticalDefects: 0, unitsSampled: 50, defects: none, defectRate: 0, deliveries: 0, onTimeDeliveries: 0, onTimeRate: 0, disputes: 0, overturnedResults: 0, updatedAt: passed.inspectedAt },
      },
    ]);
  });
  it('counts a failed lot, its defects and critical defects', () => {
    const failed: RecordInspectionOutcome = { ...passed, inspectionLotId: 'il-2', outcome: 'failed', defects: { critical: 1, major: 3, minor: 1 }, inspectedAt: '2030-03-06T10:00:00.000Z' };
    const [, updated] = qualityRecordDecider.decide(failed, qualityRecordDecider.evolve(qualityRecordDecider.initialState(), recorded(passed)));
    expect(updated).toEqual({
      type: 'WorkshopQualityRecordUpdated',
      data: expect.objectContaining({ lotsInspected: 2, lotsPassed: 1, lotsWithCriticalDefects: 1, unitsSampled: 100, defects: { critical: 1, major: 3, minor: 1 }, defectRate: 0.05, score: 0.73 }),
    });
  });
  it('counts disputes, and corrects the passes when a re-inspection overturns a result (once each)', () => {
    const dispute = { type: 'RecordDispute' as const, workshopId: 'w-1', process: 'sewing', inspectionLotId: 'il-1', party: 'brand' as const, disputedAt: '2030-03-06T00:00:00.000Z' };
    const overturn = { type: 'RecordDisputeOutcome' as const, workshopId: 'w-1', process: 'sewing', inspectionLotId: 'il-1', originalOutcome: 'passed' as const, finalOutcome: 'failed' as const, resolvedAt: '2030-03-07T00:00:00.000Z' };
    const [disputed, afterDispute] = qualityRecordDecider.decide(dispute, qualityRecordDecider.evolve(qualityRecordDecider.initialState(), recorded(passed)));
    expect(afterDispute).toMatchObject({ data: { disputes: 1, overturnedResults: 0, lotsPassed: 1, score: 0.9133 } });
    spec.given([recorded(passed), disputed]).when(dispute).thenNothing();
    const [corrected, afterOverturn] = qualityRecordDecider.decide(overturn, [recorded(passed), disputed].reduce(qualityRecordDecider.evolve, qualityRecordDecider.initialState()));
    expect(corrected).toMatchObject({ type: 'InspectionOutcomeCorrected', data: { overturned: true, finalOutcome: 'failed' } });
    expect(afterOverturn).toMatchObject({ data: { disputes: 1, overturnedResults: 1, lotsInspected: 1, lotsPassed: 0 } });
    expect((afterOverturn.data as { score: number }).score).toBeLessThan(0.9133);
    spec.given([recorded(passed), disputed, corrected]).when(overturn).thenNothing();
    const upheld = qualityRecordDecider.decide({ ...overturn, finalOutcome: 'passed' }, [recorded(passed), disputed].reduce(qualityRecordDecider.evolve, qualityRecordDecider.initialState()));
    expect(upheld[1]).toMatchObject({ data: { overturnedResults: 0, lotsPassed: 1 } });
  });

  it('records the same outcome only once', () => {
    spec.given([recorded(passed)]).when(passed).thenNothing();
  });

  it('remembers a bounded window of the latest outcome keys and delivered subtasks, however long the record grows', () => {
    const history = Array.from({ length: RECENT_KEYS + 40 }, (_, i) => recorded({ ...passed, inspectionLotId: `il-${i}` }));
    const state = history.reduce(qualityRecordDecider.evolve, qualityRecordDecider.initialState());
    expect(state.lotsInspected).toBe(RECENT_KEYS + 40);
    expect(state.recorded).toHaveLength(RECENT_KEYS);
    spec.given(history).when({ ...passed, inspectionLotId: `il-${RECENT_KEYS + 39}` }).thenNothing();
  });
  it('scores new workshops at the prior and converges to 0.8 × pass rate + 0.2 × on-time rate', () => {
    expect(qualityScore({ lotsInspected: 0, lotsPassed: 0, lotsWithCriticalDefects: 0 })).toBe(0.9);
    expect(qualityScore({ lotsInspected: 1000, lotsPassed: 500, lotsWithCriticalDefects: 0, deliveries: 1000, onTimeDeliveries: 250 })).toBeCloseTo(0.8 * 0.5 + 0.2 * 0.25, 2);
    expect(scoreParts({ lotsInspected: 1000, lotsPassed: 500, lotsWithCriticalDefects: 0, deliveries: 1000, onTimeDeliveries: 250 })).toEqual({ inspectionScore: 0.502, deliveryScore: 0.2532 });
    expect(qualityScore({ lotsInspected: 10, lotsPassed: 5, lotsWithCriticalDefects: 5 })).toBeLessThan(qualityScore({ lotsInspected: 10, lotsPassed: 5, lotsWithCriticalDefects: 0 }));
  });

  describe('deliveries (from matching\'s SubtaskCompleted)', () => {
    const delivery: RecordDelivery = {
      type: 'RecordDelivery', workshopId: 'w-1', process: 'sewing', subtaskId: 'st-1', completedAt: '2030-03-05T10:00:00.000Z', dueAt: '2030-03-05T12:00:00.000Z', reworkRound: 0,
    };
    const delivered = (d: RecordDelivery, onTime: boolean): QualityRecordEvent => ({
      type: 'DeliveryRecorded',
      data: { workshopId: d.workshopId, process: d.process, subtaskId: d.subtaskId, completedAt: d.completedAt, dueAt: d.dueAt, onTime },
    });
    const stateAfter = (events: QualityRecordEvent[]) => events.reduce(qualityRecordDecider.evolve, qualityRecordDecider.initialState());

    it('counts a delivery done before its due time as on time and publishes the record with the on-time rate', () => {
      spec.given([]).when(delivery).then([
        delivered(delivery, true),
        {
          type: 'WorkshopQualityRecordUpdated',
          data: {
            workshopId: 'w-1', process: 'sewing', lotsInspected: 0, lotsPassed: 0, score: 0.9033, lotsWithCriticalDefects: 0, unitsSampled: 0, defects: none, defectRate: 0,
            deliveries: 1, onTimeDeliveries: 1, onTimeRate: 1, disputes: 0, overturnedResults: 0, updatedAt: delivery.completedAt,
          },
        },
      ]);
    });
    it('counts a delivery completed exactly at its due time as on time', () => {
      const atDue = { ...delivery, completedAt: '2030-03-05T12:00:00.000Z' };
      spec.given([]).when(atDue).then([delivered(atDue, true), expect.objectContaining({ type: 'WorkshopQualityRecordUpdated' })]);
    });
    it('counts a late delivery as a delivery but not on time, lowering the score', () => {
      const late = { ...delivery, subtaskId: 'st-2', completedAt: '2030-03-05T12:00:00.001Z' };
      const [event, updated] = qualityRecordDecider.decide(late, stateAfter([delivered(delivery, true)]));
      expect(event).toEqual(delivered(late, false));
      expect(updated).toEqual({ type: 'WorkshopQualityRecordUpdated', data: expect.objectContaining({ deliveries: 2, onTimeDeliveries: 1, onTimeRate: 0.5, score: 0.8771 }) });
      // (0 + 4.5) / 5 = 0.9 for inspection, (1 + 4.5) / 7 for deliveries: 0.8 × 0.9 + 0.2 × 0.7857 = 0.8771
    });
    it('compares due and completion times as instants, whatever their offsets', () => {
      const offset = { ...delivery, completedAt: '2030-03-05T13:00:00.000+02:00', dueAt: '2030-03-05T12:00:00.000Z' };
      expect(qualityRecordDecider.decide(offset, qualityRecordDecider.initialState())[0]).toEqual(delivered(offset, true));
    });
    it('treats a completion without reworkRound as a first delivery', () => {
      const { reworkRound: _r, ...noRound } = delivery;
      spec.given([]).when(noRound).then([delivered(delivery, true), expect.objectContaining({ type: 'WorkshopQualityRecordUpdated' })]);
    });
    it('does not count rework rounds as deliveries', () => {
      spec.given([]).when({ ...delivery, reworkRound: 1 }).thenNothing();
      spec.given([delivered(delivery, true)]).when({ ...delivery, reworkRound: 2, completedAt: '2030-03-09T10:00:00.000Z' }).thenNothing();
    });
    it('counts the same subtask only once', () => {
      spec.given([delivered(delivery, true)]).when(delivery).thenNothing();
    });
    it('keeps inspection counts and delivery counts together in the record', () => {
      const [, updated] = qualityRecordDecider.decide({ ...delivery, subtaskId: 'st-3' }, stateAfter([recorded(passed), delivered(delivery, true)]));
      expect(updated).toEqual({
        type: 'WorkshopQualityRecordUpdated',
        data: expect.objectContaining({ lotsInspected: 1, lotsPassed: 1, unitsSampled: 50, deliveries: 2, onTimeDeliveries: 2, onTimeRate: 1, score: qualityScore({ lotsInspected: 1, lotsPassed: 1, lotsWithCriticalDefects: 0, deliveries: 2, onTimeDeliveries: 2 }) }),
      });
    });
  });
});
