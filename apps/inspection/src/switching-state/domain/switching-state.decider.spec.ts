import { DomainError, fold } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import type { CountLotForSwitching } from './switching-state.commands.js';
import type { SwitchingEvent } from './switching-state.events.js';
import { nextSwitchingScore, switchingDecider } from './switching-state.decider.js';
import type { Severity } from '../../inspection-lot/domain/lot-plan.js';

const spec = DeciderSpecification.for(switchingDecider);
const at = '2026-03-01T10:00:00.000Z';
const base = { workshopId: 'ws-1', process: 'sewing' };

let lotNo = 0;
const lot = (accepted: boolean, extra: Partial<CountLotForSwitching> = {}): CountLotForSwitching => ({
  type: 'CountLotForSwitching',
  ...base,
  inspectionLotId: `lot-${++lotNo}`,
  accepted,
  acceptanceNumber: 1,
  acceptedOneStepTighter: false,
  reducedInspectionApproved: true,
  at,
  ...extra,
});

/** Runs a sequence of lot results through decide+evolve, returning every event and the final state. */
function run(results: (boolean | CountLotForSwitching)[], history: SwitchingEvent[] = []) {
  const events = [...history];
  for (const r of results) {
    const command = typeof r === 'boolean' ? lot(r) : r;
    events.push(...switchingDecider.decide(command, fold(switchingDecider, events)));
  }
  return { events, state: fold(switchingDecider, events), changes: events.slice(history.length).filter((e) => e.type === 'InspectionSeverityChanged').map((e) => `${e.data.from}→${e.data.to}`) };
}
const changedTo = (from: Severity, to: Severity): SwitchingEvent => ({
  type: 'InspectionSeverityChanged',
  data: { ...base, from, to, reason: 'test', changedAt: at },
});

describe('switching rules (ISO 2859-1 clause 9)', () => {
  it('starts on normal with score 0', () => {
    expect(switchingDecider.initialState()).toMatchObject({ severity: 'normal', switchingScore: 0 });
  });

  it('normal → tightened: 2 lots not accepted within 5 consecutive lots', () => {
    expect(run([false, true, true, true, false]).changes).toEqual(['normal→tightened']);
    expect(run([false, false]).changes).toEqual(['normal→tightened']);
  });

  it('stays normal when the 2 lots not accepted are 6 lots apart', () => {
    const { changes, state } = run([false, true, true, true, true, false]);
    expect(changes).toEqual([]);
    expect(state.severity).toBe('normal');
  });

  it('emits the counted lot and the change for the lot that triggers tightened', () => {
    const given: SwitchingEvent[] = [
      { type: 'LotCountedForSwitching', data: { ...base, inspectionLotId: 'a', accepted: false, severity: 'normal', switchingScore: 0, countedAt: at } },
    ];
    spec.given(given).when(lot(false, { inspectionLotId: 'b' })).then([
      { type: 'LotCountedForSwitching', data: { ...base, inspectionLotId: 'b', accepted: false, severity: 'normal', switchingScore: 0, countedAt: at } },
      {
        type: 'InspectionSeverityChanged',
        data: { ...base, from: 'normal', to: 'tightened', reason: expect.stringContaining('2 of the last 2') as string, inspectionLotId: 'b', changedAt: at },
      },
    ]);
  });

  it('tightened → normal after 5 consecutive accepted lots, not 4', () => {
    expect(run([true, true, true, true], [changedTo('normal', 'tightened')]).state.severity).toBe('tightened');
    expect(run([true, true, true, true, true], [changedTo('normal', 'tightened')]).changes).toEqual(['tightened→normal']);
  });

  it('a rejection on tightened restarts the run of 5 accepted', () => {
    const { state, changes } = run([true, true, true, false, true, true, true, true], [changedTo('normal', 'tightened')]);
    expect(changes).toEqual([]);
    expect(state).toMatchObject({ severity: 'tightened', tightenedAcceptedInARow: 4, tightenedNotAccepted: 1 });
  });

  it('discontinues when the CUMULATIVE lots not accepted on tightened reach 5 (not 5 in a row)', () => {
    const { changes, state } = run([false, true, false, true, true, false, false, true, false], [changedTo('normal', 'tightened')]);
    expect(changes).toEqual(['tightened→discontinued']);
    expect(state.severity).toBe('discontinued');
  });

  it('4 lots not accepted on tightened do not discontinue', () => {
    expect(run([false, false, false, false], [changedTo('normal', 'tightened')]).state.severity).toBe('tightened');
  });

  it('whole sequence: normal → tightened → normal → tightened → discontinued', () => {
    const { changes } = run([true, false, true, false, true, true, true, true, true, false, false, false, false, false, false, false]);
    expect(changes).toEqual(['normal→tightened', 'tightened→normal', 'normal→tightened', 'tightened→discontinued']);
  });

  it('a discontinued workshop+process no longer counts lots', () => {
    spec.given([changedTo('normal', 'tightened'), changedTo('tightened', 'discontinued')]).when(lot(true)).thenNothing();
  });

  it('reinstating after discontinuation resumes on tightened; refused unless discontinued', () => {
    const reinstate = { type: 'ReinstateInspection' as const, ...base, by: 'op-1', reason: '8D report accepted', at };
    spec.given([changedTo('normal', 'tightened'), changedTo('tightened', 'discontinued')]).when(reinstate).then([
      { type: 'InspectionSeverityChanged', data: { ...base, from: 'discontinued', to: 'tightened', reason: expect.stringContaining('8D report accepted') as string, by: 'op-1', changedAt: at } },
    ]);
    const error = spec.given([]).when(reinstate).thenThrows(DomainError);
    expect(error.code).toBe('inspection_not_discontinued');
  });

  describe('switching score and normal → reduced', () => {
    it('Ac 0/1: +2 per accepted lot; reduced when the score reaches 30 (15 lots)', () => {
      const fourteen = run(Array.from({ length: 14 }, () => true));
      expect(fourteen.state).toMatchObject({ severity: 'normal', switchingScore: 28 });
      const fifteen = run(Array.from({ length: 15 }, () => true));
      expect(fifteen.changes).toEqual(['normal→reduced']);
      const change = fifteen.events.find((e) => e.type === 'InspectionSeverityChanged');
      expect(change?.data).toMatchObject({ switchingScore: 30 });
    });

    it('Ac ≥ 2: +3 only when the lot would pass at the next tighter AQL; otherwise reset to 0', () => {
      const strong = (n: number) => Array.from({ length: n }, () => lot(true, { acceptanceNumber: 5, acceptedOneStepTighter: true }));
      expect(run(strong(9)).state.switchingScore).toBe(27);
      expect(run(strong(10)).changes).toEqual(['normal→reduced']);
      const weak = run([...strong(9), lot(true, { acceptanceNumber: 5, acceptedOneStepTighter: false })]);
      expect(weak.state).toMatchObject({ severity: 'normal', switchingScore: 0 });
    });

    it('a lot not accepted resets the score to 0', () => {
      expect(run([true, true, true, false]).state.switchingScore).toBe(0);
      expect(nextSwitchingScore(20, { accepted: false, acceptanceNumber: 0, acceptedOneStepTighter: true })).toBe(0);
    });

    it('without the authority’s approval, a score ≥ 30 keeps normal', () => {
      const { changes, state } = run(Array.from({ length: 16 }, () => lot(true, { reducedInspectionApproved: false })));
      expect(changes).toEqual([]);
      expect(state.switchingScore).toBe(32);
    });

    it('the score restarts at 0 when normal is reinstated after tightened', () => {
      const { state } = run([true, true, true, false, false, true, true, true, true, true]);
      expect(state).toMatchObject({ severity: 'normal', switchingScore: 0 });
    });
  });

  it('reduced → normal on a lot not accepted; accepted lots keep reduced', () => {
    expect(run([true, true, true], [changedTo('normal', 'reduced')]).state.severity).toBe('reduced');
    expect(run([true, false], [changedTo('normal', 'reduced')]).changes).toEqual(['reduced→normal']);
  });
});
