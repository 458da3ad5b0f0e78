import type { Schedule, ScheduledOperation } from './model.js';
import { tinyInstance } from './test-fixtures.js';
import { validateSchedule, type ViolationKind } from './validator.js';

// An optimal schedule of the tiny instance (makespan 7).
const good: ScheduledOperation[] = [
  { job: 0, op: 0, machine: 1, start: 0, end: 5 },
  { job: 0, op: 1, machine: 1, start: 5, end: 7 },
  { job: 1, op: 0, machine: 0, start: 0, end: 2 },
  { job: 1, op: 1, machine: 0, start: 2, end: 6 },
];

const kinds = (s: Schedule): ViolationKind[] => validateSchedule(tinyInstance, s).map((v) => v.kind);
const withOp = (i: number, patch: Partial<ScheduledOperation>, makespan = 7): Schedule => ({
  makespan,
  operations: good.map((o, k) => (k === i ? { ...o, ...patch } : o)),
});

describe('validateSchedule', () => {
  it('accepts a feasible schedule', () => {
    expect(validateSchedule(tinyInstance, { makespan: 7, operations: good })).toEqual([]);
  });

  it('reports a missing operation', () => {
    expect(kinds({ makespan: 7, operations: good.slice(0, 3) })).toEqual(['missing-operation']);
  });

  it('reports a duplicated operation', () => {
    expect(kinds({ makespan: 7, operations: [...good, good[0]] })).toEqual(['duplicate-operation']);
  });

  it('reports an operation that does not exist', () => {
    expect(kinds({ makespan: 7, operations: [...good, { job: 2, op: 0, machine: 0, start: 7, end: 8 }] })).toContain(
      'unknown-operation',
    );
    expect(kinds({ makespan: 7, operations: [...good, { job: 0, op: 2, machine: 0, start: 7, end: 8 }] })).toContain(
      'unknown-operation',
    );
  });

  it('reports an ineligible machine', () => {
    // J0 op1 may only run on machine 1; machine 0 is free on [6, 8) but not eligible.
    expect(kinds(withOp(1, { machine: 0, start: 6, end: 8 }, 8))).toEqual(['ineligible-machine']);
  });

  it('reports a wrong processing time', () => {
    expect(kinds(withOp(1, { end: 6 }, 6))).toEqual(['wrong-duration']);
  });

  it('reports a negative start', () => {
    const ops = good.map((o) => ({ ...o, start: o.start - 1, end: o.end - 1 }));
    expect(kinds({ makespan: 6, operations: ops })).toEqual(['negative-start', 'negative-start']);
  });

  it('reports a precedence violation', () => {
    // J1 op1 moved to machine 1 at [0, 4): before its job predecessor ends at 2 (and overlapping J0 op0).
    const k = kinds(withOp(3, { machine: 1, start: 1, end: 5 }));
    expect(k).toContain('precedence');
  });

  it('reports overlapping operations on a machine', () => {
    // J0 op1 at [4, 6) on machine 1 overlaps J0 op0 [0, 5) there (and starts before its job predecessor ends).
    expect(kinds(withOp(1, { start: 4, end: 6 }, 6))).toEqual(expect.arrayContaining(['overlap', 'precedence']));
    // Pure overlap: J1 op1 placed on machine 1 at [5, 9) collides with J0 op1 [5, 7).
    expect(kinds(withOp(3, { machine: 1, start: 5, end: 9 }, 9))).toEqual(['overlap']);
  });

  it('reports an inconsistent makespan', () => {
    expect(kinds({ makespan: 6, operations: good })).toEqual(['makespan']);
    expect(kinds({ makespan: 8, operations: good })).toEqual(['makespan']);
  });
});
