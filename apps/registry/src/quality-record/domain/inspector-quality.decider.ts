import type { Decider, DomainEvent } from '#libs/domain';

/**
 * An inspector's own quality record (issue 17): the results it recorded, how many of them the brand or the
 * workshop disputed, how many a re-inspection overturned, and the re-inspections it did for others' disputes.
 *
 *     score = max(0, (resultsRecorded − 2 × resultsOverturned + 0.9 × 5) / (resultsRecorded + 5))
 *
 * An overturned result costs as much as two results stand for; a new inspector starts at 0.9. 4 decimals.
 */
export type InspectorOutcomeKind = 'result' | 'disputed' | 'overturned' | 'upheld' | 'reinspection';

export interface CountInspectorOutcome {
  type: 'CountInspectorOutcome';
  inspectorId: string;
  inspectionLotId: string;
  kind: InspectorOutcomeKind;
  at: string;
}

export type InspectorOutcomeCounted = DomainEvent<'InspectorOutcomeCounted', { inspectorId: string; inspectionLotId: string; kind: InspectorOutcomeKind; at: string }>;
/** Published (contract InspectorQualityRecordUpdated). */
export type InspectorQualityRecordUpdated = DomainEvent<
  'InspectorQualityRecordUpdated',
  { inspectorId: string; resultsRecorded: number; resultsDisputed: number; resultsOverturned: number; reinspections: number; score: number; updatedAt: string }
>;
export type InspectorQualityEvent = InspectorOutcomeCounted | InspectorQualityRecordUpdated;

export interface InspectorQualityState {
  resultsRecorded: number;
  resultsDisputed: number;
  resultsOverturned: number;
  reinspections: number;
  /** `kind:lotId` of the latest counts (bounded): a repeat changes nothing. */
  counted: readonly string[];
}

const RECENT = 256;
const PRIOR = 0.9;
const PRIOR_RESULTS = 5;

export function inspectorScore(s: Pick<InspectorQualityState, 'resultsRecorded' | 'resultsOverturned'>): number {
  const raw = (s.resultsRecorded - 2 * s.resultsOverturned + PRIOR * PRIOR_RESULTS) / (s.resultsRecorded + PRIOR_RESULTS);
  return Math.round(Math.min(1, Math.max(0, raw)) * 10_000) / 10_000;
}

export const inspectorQualityStream = (inspectorId: string): string => `inspector-quality-${inspectorId}`;

export const inspectorQualityDecider: Decider<InspectorQualityState, CountInspectorOutcome, InspectorQualityEvent> = {
  initialState: () => ({ resultsRecorded: 0, resultsDisputed: 0, resultsOverturned: 0, reinspections: 0, counted: [] }),
  decide(command, state) {
    const { inspectorId, inspectionLotId, kind, at } = command;
    if (state.counted.includes(`${kind}:${inspectionLotId}`)) return [];
    const counted: InspectorOutcomeCounted = { type: 'InspectorOutcomeCounted', data: { inspectorId, inspectionLotId, kind, at } };
    const next = inspectorQualityDecider.evolve(state, counted);
    const { resultsRecorded, resultsDisputed, resultsOverturned, reinspections } = next;
    return [counted, { type: 'InspectorQualityRecordUpdated', data: { inspectorId, resultsRecorded, resultsDisputed, resultsOverturned, reinspections, score: inspectorScore(next), updatedAt: at } }];
  },
  evolve(state, event) {
    if (event.type !== 'InspectorOutcomeCounted') return state;
    const { kind, inspectionLotId } = event.data;
    const counted = [...state.counted, `${kind}:${inspectionLotId}`].slice(-RECENT);
    switch (kind) {
      case 'result':
        return { ...state, resultsRecorded: state.resultsRecorded + 1, counted };
      case 'disputed':
        return { ...state, resultsDisputed: state.resultsDisputed + 1, counted };
      case 'overturned':
        return { ...state, resultsOverturned: state.resultsOverturned + 1, counted };
      case 'reinspection':
        return { ...state, reinspections: state.reinspections + 1, counted };
      case 'upheld':
        return { ...state, counted };
    }
  },
};
