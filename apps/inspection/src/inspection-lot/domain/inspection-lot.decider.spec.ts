import { DomainError } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { samplingTables } from '../../sampling/sampling-tables.js';
import type { OpenInspectionLot, RecordInspectionResult } from './inspection-lot.commands.js';
import { inspectionLotDecider, LotAlreadyInspected } from './inspection-lot.decider.js';
import type { InspectionLotEvent, InspectionLotOpened } from './inspection-lot.events.js';
import { buildLotPlan, type Severity } from './lot-plan.js';

const tables = samplingTables();
const spec = DeciderSpecification.for(inspectionLotDecider);
const facts = { inspectionLotId: 'lot-1', subtaskId: 'st-1', orderId: 'o-1', brandId: 'b-1', stepId: 'sew', process: 'sewing', workshopId: 'ws-1', lotSize: 1000 };

const openCommand = (severity: Severity = 'normal', reworkRound = 0): OpenInspectionLot => ({
  type: 'OpenInspectionLot',
  facts: { ...facts, reworkRound },
  scrapQuantity: 3,
  completedAt: '2026-03-01T08:00:00.000Z',
  plan: buildLotPlan(tables, { lotSize: 1000, level: 'II', severity, reinspection: reworkRound > 0, aqls: { critical: 0, major: 2.5, minor: 4.0 } }),
  openedAt: '2026-03-01T08:00:01.000Z',
});
const opened = (severity: Severity = 'normal', reworkRound = 0): InspectionLotOpened => inspectionLotDecider.decide(openCommand(severity, reworkRound), inspectionLotDecider.initialState())[0] as InspectionLotOpened;
const result = (defects: Partial<Record<'critical' | 'major' | 'minor', number>>, extra: Partial<RecordInspectionResult> = {}): RecordInspectionResult => ({
  type: 'RecordInspectionResult',
  inspectorId: 'insp-1',
  sampled: 80,
  defects: { critical: 0, major: 0, minor: 0, ...defects },
  rejectedUnits: 0,
  evidence: [{ kind: 'photo', ref: 'img-1' }],
  inspectedAt: '2026-03-01T09:00:00.000Z',
  maxReworkRounds: 1,
  ...extra,
});

describe('lot plan per defect class', () => {
  it('lot 1000, level II, normal: J; major AQL 2.5 → n 80 Ac 5 Re 6, minor AQL 4.0 → 7/8, critical AQL 0 → 0/1 on the same 80', () => {
    const plan = opened().data.plan;
    expect(plan).toMatchObject({ codeLetter: 'J', sampleSize: 80, table: 'normal', fullInspection: false });
    expect(plan.classes.major).toMatchObject({ aql: '2.5', sampleSize: 80, ac: 5, re: 6 });
    expect(plan.classes.minor).toMatchObject({ aql: '4.0', sampleSize: 80, ac: 7, re: 8 });
    expect(plan.classes.critical).toMatchObject({ aql: null, sampleSize: 80, ac: 0, re: 1 });
  });
  it('takes the largest n when arrows give the classes different sample sizes', () => {
    // lot 51 (E): AQL 1.0 → E n=13 0/1; AQL 2.5 → ↓ F n=20 1/2
    const plan = buildLotPlan(tables, { lotSize: 51, level: 'II', severity: 'normal', reinspection: false, aqls: { critical: 0, major: 1.0, minor: 2.5 } });
    expect(plan.classes.major.sampleSize).toBe(13);
    expect(plan.classes.minor).toMatchObject({ sampleSize: 20, planCodeLetter: 'F', arrow: 'down' });
    expect(plan.sampleSize).toBe(20);
  });
  it('uses tightened for a re-inspection after rework and 100 % when discontinued', () => {
    expect(opened('normal', 1).data.plan).toMatchObject({ table: 'tightened', classes: { major: { ac: 3, re: 4 } } });
    expect(opened('discontinued').data.plan).toMatchObject({ table: 'tightened', sampleSize: 1000, fullInspection: true });
  });
  it('replaces an unprinted AQL by the nearest stricter column, and inspects lots below 2 fully', () => {
    const plan = buildLotPlan(tables, { lotSize: 1000, level: 'II', severity: 'normal', reinspection: false, aqls: { critical: 0, major: 3, minor: 0.001 } });
    expect(plan.classes.major).toMatchObject({ aqlRequested: 3, aql: '2.5', ac: 5 });
    expect(plan.classes.minor).toMatchObject({ aql: '0.010' });
    expect(buildLotPlan(tables, { lotSize: 1, level: 'II', severity: 'normal', reinspection: false, aqls: { critical: 0, major: 2.5, minor: 4 } })).toMatchObject({ sampleSize: 1, fullInspection: true });
  });
});

describe('inspection lot decider', () => {
  it('opens a lot with its plan, once', () => {
    const [event] = inspectionLotDecider.decide(openCommand(), inspectionLotDecider.initialState());
    expect(event).toMatchObject({ type: 'InspectionLotOpened', data: { ...facts, reworkRound: 0, sampleSize: 80, severity: 'normal', originalInspection: true, scrapQuantity: 3 } });
    spec.given([opened()]).when(openCommand()).thenNothing();
  });

  it('passes a lot within every class’s acceptance number (Ac inclusive)', () => {
    const events = inspectionLotDecider.decide(result({ major: 5, minor: 7 }, { rejectedUnits: 2 }), { status: 'pending', facts: { ...facts, sampleSize: 80, severity: 'normal', reworkRound: 0 }, plan: opened().data.plan });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'InspectionPassed',
      data: { ...facts, passedQuantity: 998, sampleSize: 80, inspectorId: 'insp-1', sampled: 80, majorDefects: 5, minorDefects: 7, criticalDefects: 0, codeLetter: 'J', verdicts: { critical: true, major: true, minor: true } },
    });
  });

  it('fails at Re of a class, with rework on the first failure', () => {
    const [event] = run([opened()], result({ major: 6 }));
    expect(event).toMatchObject({ type: 'InspectionFailed', data: { disposition: 'rework', majorDefects: 6, verdicts: { major: false, minor: true, critical: true } } });
  });

  it('any critical defect rejects (AQL 0), even with no major or minor defects', () => {
    const [event] = run([opened()], result({ critical: 1 }));
    expect(event).toMatchObject({ type: 'InspectionFailed', data: { criticalDefects: 1, verdicts: { critical: false } } });
  });

  it('asks for re-planning once the rework rounds are used up, or when inspection is discontinued', () => {
    expect(run([opened('normal', 1)], result({ major: 4 }))[0]).toMatchObject({ type: 'InspectionFailed', data: { disposition: 'replan', reworkRound: 1 } });
    expect(run([opened('normal', 1)], result({ major: 4 }, { maxReworkRounds: 2 }))[0]).toMatchObject({ data: { disposition: 'rework' } });
    expect(run([opened('discontinued')], result({ major: 6 }, { sampled: 1000 }))[0]).toMatchObject({ data: { disposition: 'replan' } });
  });

  it('refuses fewer samples than the plan requires, naming the field', () => {
    const error = spec.given([opened()]).when(result({}, { sampled: 79 })).thenThrows(DomainError);
    expect(error).toMatchObject({ kind: 'invalid', details: { field: 'sampled', required: 80 } });
    spec.given([opened()]).when(result({}, { sampled: 1001 })).thenThrows((e) => e instanceof DomainError && e.message.includes('lot size'));
    spec.given([opened()]).when(result({}, { rejectedUnits: 81 })).thenThrows((e) => e instanceof DomainError && e.message.startsWith('rejectedUnits'));
  });

  it('keeps results immutable', () => {
    const [passed] = run([opened()], result({}));
    spec.given([opened(), passed]).when(result({ major: 9 })).thenThrows(LotAlreadyInspected);
  });

  it('refuses a result for a lot that was never opened', () => {
    expect(spec.given([]).when(result({})).thenThrows(DomainError).kind).toBe('not_found');
  });
});

function run(given: InspectionLotEvent[], command: RecordInspectionResult): InspectionLotEvent[] {
  const state = given.reduce(inspectionLotDecider.evolve, inspectionLotDecider.initialState());
  return inspectionLotDecider.decide(command, state);
}
