import { DeciderSpecification } from '#libs/testing';
import type { RecordInspectionOutcome } from './quality-record.commands.js';
import { qualityRecordDecider } from './quality-record.decider.js';
import type { QualityRecordEvent } from './quality-record.events.js';
import { qualityScore } from './quality-score.js';

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
        data: { workshopId: 'w-1', process: 'sewing', lotsInspected: 1, lotsPassed: 1, score: 0.9167, lotsWithCriticalDefects: 0, unitsSampled: 50, defects: none, defectRate: 0, updatedAt: passed.inspectedAt },
      },
    ]);
  });
  it('counts a failed lot, its defects and critical defects', () => {
    const failed: RecordInspectionOutcome = { ...passed, inspectionLotId: 'il-2', outcome: 'failed', defects: { critical: 1, major: 3, minor: 1 }, inspectedAt: '2030-03-06T10:00:00.000Z' };
    const [, updated] = qualityRecordDecider.decide(failed, qualityRecordDecider.evolve(qualityRecordDecider.initialState(), recorded(passed)));
    expect(updated).toEqual({
      type: 'WorkshopQualityRecordUpdated',
      data: expect.objectContaining({ lotsInspected: 2, lotsPassed: 1, lotsWithCriticalDefects: 1, unitsSampled: 100, defects: { critical: 1, major: 3, minor: 1 }, defectRate: 0.05, score: 0.6875 }),
    });
  });
  it('records the same outcome only once', () => {
    spec.given([recorded(passed)]).when(passed).thenNothing();
  });
  it('scores new workshops at the prior and converges to the pass rate', () => {
    expect(qualityScore({ lotsInspected: 0, lotsPassed: 0, lotsWithCriticalDefects: 0 })).toBe(0.9);
    expect(qualityScore({ lotsInspected: 1000, lotsPassed: 500, lotsWithCriticalDefects: 0 })).toBeCloseTo(0.5, 2);
    expect(qualityScore({ lotsInspected: 10, lotsPassed: 5, lotsWithCriticalDefects: 5 })).toBeLessThan(qualityScore({ lotsInspected: 10, lotsPassed: 5, lotsWithCriticalDefects: 0 }));
  });
});
