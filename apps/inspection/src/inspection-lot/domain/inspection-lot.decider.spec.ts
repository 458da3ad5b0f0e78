import { DomainError, NotFound } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { samplingTables } from '../../sampling/sampling-tables.js';
import type { AssignInspector, CloseDisputeWindow, DisputeInspectionResult, InspectionLotCommand, OpenInspectionLot, ReassignInspector, RecordInspectionResult } from './inspection-lot.commands.js';
import { DisputeRefused, inspectionLotDecider, LotAlreadyInspected, LotNotAssignedToYou } from './inspection-lot.decider.js';
import type { InspectionLotEvent, InspectionLotOpened, InspectorAssigned } from './inspection-lot.events.js';
import type { InspectorCandidate } from './inspector-assignment.js';
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
  disputeWindowSeconds: 3600,
  ...extra,
});

const assigned = (inspectorId = 'insp-1', assignedAt = '2026-03-01T08:00:01.000Z'): InspectorAssigned => ({
  type: 'InspectorAssigned',
  data: { inspectionLotId: 'lot-1', inspectorId, purpose: 'inspection', by: 'network', eligible: 1, assignedAt, dueAt: new Date(Date.parse(assignedAt) + 3_600_000).toISOString() },
});
const candidate = (inspectorId: string, extra: Partial<InspectorCandidate> = {}): InspectorCandidate => ({ inspectorId, processes: ['sewing'], regions: [], affiliations: [], openLots: 0, ...extra });
const assign = (candidates: InspectorCandidate[], extra: Partial<AssignInspector> = {}): AssignInspector => ({
  type: 'AssignInspector',
  candidates,
  region: 'zhejiang',
  nominee: null,
  at: '2026-03-01T08:00:01.000Z',
  timeoutSeconds: 3600,
  expire: false,
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
    const events = run([opened(), assigned()], result({ major: 5, minor: 7 }, { rejectedUnits: 2 }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'InspectionPassed',
      data: { ...facts, passedQuantity: 998, sampleSize: 80, inspectorId: 'insp-1', sampled: 80, majorDefects: 5, minorDefects: 7, criticalDefects: 0, codeLetter: 'J', verdicts: { critical: true, major: true, minor: true } },
    });
  });

  it('fails at Re of a class, with rework on the first failure', () => {
    const [event] = run([opened(), assigned()], result({ major: 6 }));
    expect(event).toMatchObject({ type: 'InspectionFailed', data: { disposition: 'rework', majorDefects: 6, verdicts: { major: false, minor: true, critical: true } } });
  });

  it('any critical defect rejects (AQL 0), even with no major or minor defects', () => {
    const [event] = run([opened(), assigned()], result({ critical: 1 }));
    expect(event).toMatchObject({ type: 'InspectionFailed', data: { criticalDefects: 1, verdicts: { critical: false } } });
  });

  it('asks for re-planning once the rework rounds are used up, or when inspection is discontinued', () => {
    expect(run([opened('normal', 1), assigned()], result({ major: 4 }))[0]).toMatchObject({ type: 'InspectionFailed', data: { disposition: 'replan', reworkRound: 1 } });
    expect(run([opened('normal', 1), assigned()], result({ major: 4 }, { maxReworkRounds: 2 }))[0]).toMatchObject({ data: { disposition: 'rework' } });
    expect(run([opened('discontinued'), assigned()], result({ major: 6 }, { sampled: 1000 }))[0]).toMatchObject({ data: { disposition: 'replan' } });
  });

  it('refuses fewer samples than the plan requires, naming the field', () => {
    const error = spec.given([opened(), assigned()]).when(result({}, { sampled: 79 })).thenThrows(DomainError);
    expect(error).toMatchObject({ kind: 'invalid', details: { field: 'sampled', required: 80 } });
    spec.given([opened(), assigned()]).when(result({}, { sampled: 1001 })).thenThrows((e) => e instanceof DomainError && e.message.includes('lot size'));
    spec.given([opened(), assigned()]).when(result({}, { rejectedUnits: 81 })).thenThrows((e) => e instanceof DomainError && e.message.startsWith('rejectedUnits'));
  });

  it('keeps results immutable', () => {
    const [passed] = run([opened(), assigned()], result({}));
    spec.given([opened(), assigned(), passed]).when(result({ major: 9 })).thenThrows(LotAlreadyInspected);
  });

  it('refuses a result for a lot that was never opened', () => {
    expect(spec.given([]).when(result({})).thenThrows(DomainError).kind).toBe('not_found');
  });
});

describe('inspection lot assignment', () => {
  it('gives a new lot to the eligible inspector with the fewest open lots, due after the timeout', () => {
    const [event] = run([opened()], assign([candidate('insp-b', { openLots: 2 }), candidate('insp-a', { openLots: 3 }), candidate('insp-c', { openLots: 2 })]));
    expect(event).toEqual({
      type: 'InspectorAssigned',
      data: { inspectionLotId: 'lot-1', inspectorId: 'insp-b', purpose: 'inspection', by: 'network', eligible: 3, assignedAt: '2026-03-01T08:00:01.000Z', dueAt: '2026-03-01T09:00:01.000Z' },
    });
  });

  it('never assigns an inspector tied to the workshop or the brand, however idle', () => {
    const tiedToWorkshop = candidate('insp-w', { affiliations: ['ws-1'] });
    const tiedToBrand = candidate('insp-b', { affiliations: ['b-1'] });
    expect(run([opened()], assign([tiedToWorkshop, tiedToBrand, candidate('insp-free', { openLots: 50 })]))[0]).toMatchObject({ data: { inspectorId: 'insp-free', eligible: 1 } });
    expect(run([opened()], assign([tiedToWorkshop, tiedToBrand]))[0]).toMatchObject({ type: 'InspectionAwaitingInspector', data: { candidates: 2 } });
    // named by the brand: still passed over
    expect(run([opened()], assign([tiedToWorkshop, candidate('insp-free')], { nominee: 'insp-w' }))[0]).toMatchObject({ data: { inspectorId: 'insp-free', by: 'network', nomineeSkipped: 'affiliated' } });
  });

  it('assigns only inspectors certified for the process and working in the region (no region = everywhere)', () => {
    const cutter = candidate('insp-a', { processes: ['cutting'] });
    const elsewhere = candidate('insp-b', { regions: ['guangdong'] });
    const local = candidate('insp-c', { regions: ['zhejiang'], openLots: 9 });
    expect(run([opened()], assign([cutter, elsewhere, local]))[0]).toMatchObject({ data: { inspectorId: 'insp-c' } });
    expect(run([opened()], assign([cutter, elsewhere]))[0]).toMatchObject({ type: 'InspectionAwaitingInspector' });
    expect(run([opened()], assign([elsewhere], { region: null }))[0]).toMatchObject({ data: { inspectorId: 'insp-b' } });
  });

  it("takes the brand's nominee when eligible, whatever its load", () => {
    expect(run([opened()], assign([candidate('insp-a'), candidate('insp-n', { openLots: 7 })], { nominee: 'insp-n' }))[0]).toMatchObject({ data: { inspectorId: 'insp-n', by: 'brand-nominee' } });
  });

  it('leaves an assigned lot alone, and records waiting for an inspector once', () => {
    spec.given([opened(), assigned()]).when(assign([candidate('insp-z')])).thenNothing();
    const [awaiting] = run([opened()], assign([]));
    spec.given([opened(), awaiting]).when(assign([])).thenNothing();
    expect(run([opened(), awaiting], assign([candidate('insp-z')]))[0]).toMatchObject({ type: 'InspectorAssigned', data: { inspectorId: 'insp-z' } });
  });

  it('reassigns a lot whose inspector timed out to another, and refuses the late result of the first', () => {
    const late = '2026-03-01T09:00:01.000Z';
    spec.given([opened(), assigned()]).when(assign([candidate('insp-1'), candidate('insp-2', { openLots: 5 })], { expire: true, at: '2026-03-01T09:00:00.999Z' })).thenNothing();
    const events = run([opened(), assigned()], assign([candidate('insp-1'), candidate('insp-2', { openLots: 5 })], { expire: true, at: late }));
    expect(events).toMatchObject([
      { type: 'InspectorAssignmentExpired', data: { inspectorId: 'insp-1', expiredAt: late } },
      { type: 'InspectorAssigned', data: { inspectorId: 'insp-2', assignedAt: late } },
    ]);
    spec.given([opened(), assigned(), ...events]).when(result({})).thenThrows(LotNotAssignedToYou);
    expect(run([opened(), assigned(), ...events], result({}, { inspectorId: 'insp-2' }))[0]).toMatchObject({ type: 'InspectionPassed', data: { inspectorId: 'insp-2' } });
    // nobody else eligible: the one who timed out gets it again rather than nobody
    expect(run([opened(), assigned()], assign([candidate('insp-1')], { expire: true, at: late }))[1]).toMatchObject({ data: { inspectorId: 'insp-1' } });
  });

  it('lets only the assigned inspector record a result: anyone else is told the lot does not exist', () => {
    const error = spec.given([opened(), assigned('insp-1')]).when(result({}, { inspectorId: 'insp-2' })).thenThrows(LotNotAssignedToYou);
    expect(error).toMatchObject({ kind: 'not_found', code: 'inspection_lot_not_found' });
    spec.given([opened()]).when(result({})).thenThrows(LotNotAssignedToYou);
    const [passed] = run([opened(), assigned()], result({}));
    spec.given([opened(), assigned(), passed]).when(result({}, { inspectorId: 'insp-2' })).thenThrows(LotNotAssignedToYou);
  });
});

describe('evidence', () => {
  const attach = (role: 'inspector' | 'brand' | 'workshop', by: string, fileId = 'ev-1') => ({
    type: 'AttachEvidenceFile' as const, role, by, fileId, sha256: 'a'.repeat(64), sizeBytes: 10, contentType: 'image/jpeg', fileName: 'seam.jpg', kind: 'photo', at: '2026-03-01T08:30:00.000Z',
  });
  it('attaches files of the assigned inspector, the brand and the workshop only, once; a result cites only attached files', () => {
    const [attached] = run([opened(), assigned()], attach('inspector', 'insp-1'));
    expect(attached).toMatchObject({ type: 'EvidenceFileAttached', data: { fileId: 'ev-1', uploadedBy: 'insp-1', role: 'inspector' } });
    spec.given([opened(), assigned(), attached]).when(attach('inspector', 'insp-1')).thenNothing();
    spec.given([opened(), assigned()]).when(attach('inspector', 'insp-2')).thenThrows(LotNotAssignedToYou);
    spec.given([opened(), assigned()]).when(attach('brand', 'b-2')).thenThrows(LotNotAssignedToYou);
    expect(run([opened(), assigned()], attach('workshop', 'ws-1', 'ev-2'))).toHaveLength(1);
    const [passed] = run([opened(), assigned(), attached], result({}, { fileIds: ['ev-1'], measurements: [{ sample: 80, characteristic: 'width', value: 52.1, unit: 'cm' }] }));
    expect(passed).toMatchObject({ data: { files: [{ fileId: 'ev-1', sha256: 'a'.repeat(64), kind: 'photo' }], measurements: [{ sample: 80 }] } });
    spec.given([opened(), assigned()]).when(result({}, { fileIds: ['ev-1'] })).thenThrows((e) => e instanceof DomainError && e.message.startsWith('fileIds.0'));
    spec.given([opened(), assigned()]).when(result({}, { measurements: [{ sample: 0, characteristic: 'w', value: 1, unit: 'cm' }] })).thenThrows((e) => e instanceof DomainError && e.message.startsWith('measurements.0.sample'));
  });
});

describe('disputes', () => {
  const inspected = (defects: Partial<Record<'critical' | 'major' | 'minor', number>> = {}) => {
    const given = [opened(), assigned('insp-1')];
    return [...given, ...run(given, result(defects))];
  };
  const dispute = (extra: Partial<DisputeInspectionResult> = {}): DisputeInspectionResult => ({
    type: 'DisputeInspectionResult',
    party: 'brand',
    by: 'b-1',
    reason: 'the seams open after one wash',
    evidence: [{ kind: 'photo', ref: 'file-1' }],
    at: '2026-03-01T09:30:00.000Z',
    ...extra,
  });
  const reinspector = candidate('insp-2', { openLots: 9 });

  it('lets the brand or the workshop dispute within the window; another inspector, never the original, re-inspects', () => {
    const history = inspected();
    expect(history.at(-1)).toMatchObject({ type: 'InspectionPassed', data: { disputeWindowEndsAt: '2026-03-01T10:00:00.000Z' } });
    const [disputed] = run(history, dispute());
    expect(disputed).toMatchObject({ type: 'InspectionDisputed', data: { party: 'brand', disputedBy: 'b-1', originalOutcome: 'passed', originalInspectorId: 'insp-1', reason: 'the seams open after one wash' } });
    // the original inspector is the idlest, and the brand named it: still barred
    const [reassigned] = run([...history, disputed], assign([candidate('insp-1'), reinspector], { nominee: 'insp-1' }));
    expect(reassigned).toMatchObject({ type: 'InspectorAssigned', data: { inspectorId: 'insp-2', purpose: 'reinspection', by: 'network' } });
    expect(run([...history, disputed], assign([candidate('insp-1')]))[0]).toMatchObject({ type: 'InspectionAwaitingInspector', data: { purpose: 'reinspection' } });
    expect(run(history, dispute({ party: 'workshop', by: 'ws-1' }))[0]).toMatchObject({ data: { party: 'workshop' } });
  });

  it('refuses a dispute after the window, a second dispute, one before any result, and one by a stranger', () => {
    const history = inspected();
    const late = spec.given(history).when(dispute({ at: '2026-03-01T10:00:00.000Z' })).thenThrows(DisputeRefused);
    expect(late).toMatchObject({ code: 'dispute_window_closed', kind: 'rejected', details: { disputeWindowEndsAt: '2026-03-01T10:00:00.000Z' } });
    const [disputed] = run(history, dispute());
    expect(spec.given([...history, disputed]).when(dispute({ party: 'workshop', by: 'ws-1' })).thenThrows(DisputeRefused)).toMatchObject({ code: 'lot_already_disputed', kind: 'conflict' });
    expect(spec.given([opened(), assigned()]).when(dispute()).thenThrows(DisputeRefused)).toMatchObject({ code: 'lot_not_inspected' });
    spec.given(history).when(dispute({ by: 'b-2' })).thenThrows(NotFound);
    const final = run(history, { type: 'CloseDisputeWindow', at: '2026-03-01T10:00:00.000Z' });
    expect(spec.given([...history, ...final]).when(dispute()).thenThrows(DisputeRefused)).toMatchObject({ code: 'dispute_window_closed' });
  });

  it('overturns a pass: the re-inspection fails the lot, final; the original inspector may not answer', () => {
    const history = inspected();
    const [disputed] = run(history, dispute());
    const [reassigned] = run([...history, disputed], assign([reinspector]));
    const given = [...history, disputed, reassigned];
    spec.given(given).when(result({ major: 6 })).thenThrows(LotAlreadyInspected);
    spec.given(given).when(result({}, { inspectorId: 'insp-3' })).thenThrows(LotNotAssignedToYou);
    const events = run(given, result({ major: 6 }, { inspectorId: 'insp-2', inspectedAt: '2026-03-01T11:00:00.000Z' }));
    expect(events).toMatchObject([
      { type: 'InspectionDisputeResolved', data: { originalOutcome: 'passed', finalOutcome: 'failed', overturned: true, originalInspectorId: 'insp-1', reinspectorId: 'insp-2', party: 'brand', passedQuantity: 0, majorDefects: 6 } },
      { type: 'InspectionResultFinal', data: { outcome: 'failed', finalBecause: 'dispute_resolved', overturned: true, inspectorId: 'insp-2', finalAt: '2026-03-01T11:00:00.000Z' } },
    ]);
    spec.given([...given, ...events]).when(result({}, { inspectorId: 'insp-2' })).thenThrows(LotAlreadyInspected);
    spec.given([...given, ...events]).when(dispute({ party: 'workshop', by: 'ws-1' })).thenThrows(DisputeRefused);
  });

  it('upholds a fail when the re-inspection agrees, and overturns a fail when it passes', () => {
    const history = inspected({ major: 6 });
    const [disputed] = run(history, dispute({ party: 'workshop', by: 'ws-1' }));
    const [reassigned] = run([...history, disputed], assign([reinspector]));
    const given = [...history, disputed, reassigned];
    expect(run(given, result({ major: 6 }, { inspectorId: 'insp-2' }))).toMatchObject([{ data: { overturned: false, finalOutcome: 'failed' } }, { data: { outcome: 'failed', overturned: false } }]);
    expect(run(given, result({}, { inspectorId: 'insp-2' }))).toMatchObject([{ data: { overturned: true, originalOutcome: 'failed', finalOutcome: 'passed', passedQuantity: 1000 } }, { data: { outcome: 'passed' } }]);
  });

  it('makes an undisputed result final when its window has passed, once; at once when the window is 0', () => {
    const history = inspected();
    const close = (at: string): CloseDisputeWindow => ({ type: 'CloseDisputeWindow', at });
    spec.given(history).when(close('2026-03-01T09:59:59.999Z')).thenNothing();
    const final = run(history, close('2026-03-01T10:00:00.000Z'));
    expect(final).toMatchObject([{ type: 'InspectionResultFinal', data: { outcome: 'passed', finalBecause: 'dispute_window_closed', inspectorId: 'insp-1', passedQuantity: 1000, overturned: false } }]);
    spec.given([...history, ...final]).when(close('2026-03-02T00:00:00.000Z')).thenNothing();
    const [disputed] = run(history, dispute());
    spec.given([...history, disputed]).when(close('2026-03-02T00:00:00.000Z')).thenNothing();
    expect(run([opened(), assigned()], result({}, { disputeWindowSeconds: 0 })).map((e) => e.type)).toEqual(['InspectionPassed', 'InspectionResultFinal']);
  });
});

function run(given: InspectionLotEvent[], command: InspectionLotCommand): InspectionLotEvent[] {
  const state = given.reduce(inspectionLotDecider.evolve, inspectionLotDecider.initialState());
  return inspectionLotDecider.decide(command, state);
}

describe('reassignment', () => {
  const reassign = (extra: Partial<ReassignInspector> = {}): ReassignInspector => ({
    type: 'ReassignInspector',
    to: 'insp-2',
    candidates: [candidate('insp-1'), candidate('insp-2', { openLots: 5 }), candidate('insp-3', { affiliations: ['ws-1'] })],
    region: 'zhejiang',
    reason: 'insp-1 is on leave',
    by: 'op-ana',
    at: '2026-03-01T08:30:00.000Z',
    timeoutSeconds: 3600,
    ...extra,
  });
  const conflict = (reason: string) => (e: unknown) => e instanceof DomainError && e.code === 'inspector_not_eligible' && (e.details as { reason?: string }).reason === reason;

  it('lets an operator give an assigned lot to the inspector it names, recorded with the operator; the first may no longer answer', () => {
    const given = [opened(), assigned('insp-1')];
    const events = run(given, reassign());
    expect(events).toEqual([
      { type: 'InspectorAssignmentWithdrawn', data: { inspectionLotId: 'lot-1', inspectorId: 'insp-1', reason: 'insp-1 is on leave', withdrawnBy: 'op-ana', withdrawnAt: '2026-03-01T08:30:00.000Z', cause: 'operator' } },
      { type: 'InspectorAssigned', data: { inspectionLotId: 'lot-1', inspectorId: 'insp-2', purpose: 'inspection', by: 'operator', eligible: 2, assignedAt: '2026-03-01T08:30:00.000Z', dueAt: '2026-03-01T09:30:00.000Z' } },
    ]);
    spec.given([...given, ...events]).when(result({})).thenThrows(LotNotAssignedToYou);
    expect(run([...given, ...events], result({}, { inspectorId: 'insp-2' }))[0]).toMatchObject({ type: 'InspectionPassed' });
  });

  it('keeps the conflict rules: never a tied, uncertified or suspended inspector, nor the original one for a re-inspection', () => {
    const given = [opened(), assigned('insp-1')];
    spec.given(given).when(reassign({ to: 'insp-3' })).thenThrows(conflict('affiliated'));
    spec.given(given).when(reassign({ to: 'insp-9' })).thenThrows(conflict('not_certified_or_suspended'));
    spec.given(given).when(reassign({ to: 'insp-4', candidates: [candidate('insp-4', { regions: ['guangdong'] })] })).thenThrows(conflict('other_region'));
    spec.given(given).when(reassign({ to: 'insp-1' })).thenThrows((e) => e instanceof DomainError && e.code === 'already_assigned');
    const inspected = [...given, ...run(given, result({}))];
    spec.given(inspected).when(reassign()).thenThrows((e) => e instanceof DomainError && e.code === 'lot_not_awaiting_inspection');
    const disputed = [...inspected, ...run(inspected, { type: 'DisputeInspectionResult', party: 'brand', by: 'b-1', reason: 'seams', evidence: [], at: '2026-03-01T09:10:00.000Z' })];
    spec.given(disputed).when(reassign({ to: 'insp-1' })).thenThrows(conflict('barred'));
  });

  it("takes a suspended inspector's lot and gives it to the idlest other eligible one, or lets it wait; a lot no longer its own is left alone", () => {
    const given = [opened(), assigned('insp-1')];
    const suspension = reassign({ from: 'insp-1', to: null, candidates: [candidate('insp-2', { openLots: 5 }), candidate('insp-4', { openLots: 1 })], reason: 'inspector suspended: audit' });
    const events = run(given, suspension);
    expect(events[0]).toMatchObject({ type: 'InspectorAssignmentWithdrawn', data: { inspectorId: 'insp-1', cause: 'inspector-suspended', withdrawnBy: 'op-ana' } });
    expect(events[1]).toMatchObject({ type: 'InspectorAssigned', data: { inspectorId: 'insp-4', by: 'network' } });
    expect(run(given, { ...suspension, candidates: [candidate('insp-3', { affiliations: ['b-1'] })] })[1]).toMatchObject({ type: 'InspectionAwaitingInspector' });
    spec.given([opened(), assigned('insp-2')]).when(suspension).then([]);
  });
});
