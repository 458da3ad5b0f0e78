import { DeciderSpecification } from '#libs/testing';
import { inspectorQualityDecider, inspectorScore, type CountInspectorOutcome, type InspectorQualityEvent } from './inspector-quality.decider.js';

const spec = DeciderSpecification.for(inspectorQualityDecider);
const count = (kind: CountInspectorOutcome['kind'], lot = 'il-1'): CountInspectorOutcome => ({ type: 'CountInspectorOutcome', inspectorId: 'insp-1', inspectionLotId: lot, kind, at: '2030-03-05T10:00:00.000Z' });
const history = (...commands: CountInspectorOutcome[]): InspectorQualityEvent[] =>
  commands.reduce<InspectorQualityEvent[]>((events, c) => [...events, ...inspectorQualityDecider.decide(c, events.reduce(inspectorQualityDecider.evolve, inspectorQualityDecider.initialState()))], []);

describe('inspector quality record', () => {
  it('counts results, disputes, overturned results and re-inspections, each once, and publishes the record', () => {
    const events = history(count('result'), count('result', 'il-2'), count('disputed'), count('overturned'), count('reinspection', 'il-9'));
    expect(events.at(-1)).toEqual({
      type: 'InspectorQualityRecordUpdated',
      data: { inspectorId: 'insp-1', resultsRecorded: 2, resultsDisputed: 1, resultsOverturned: 1, reinspections: 1, score: inspectorScore({ resultsRecorded: 2, resultsOverturned: 1 }), updatedAt: '2030-03-05T10:00:00.000Z' },
    });
    spec.given(events).when(count('overturned')).thenNothing();
    spec.given(events).when(count('result')).thenNothing();
  });

  it('scores a new inspector at 0.9; an overturned result lowers the score more than an upheld dispute', () => {
    expect(inspectorScore({ resultsRecorded: 0, resultsOverturned: 0 })).toBe(0.9);
    const upheld = history(count('result'), count('disputed'), count('upheld')).at(-1)!;
    const overturned = history(count('result'), count('disputed'), count('overturned')).at(-1)!;
    expect((overturned.data as { score: number }).score).toBeLessThan((upheld.data as { score: number }).score);
    expect(inspectorScore({ resultsRecorded: 10, resultsOverturned: 10 })).toBe(0);
  });
});
