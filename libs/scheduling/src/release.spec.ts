import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { decodeActive, decodeSemiActive } from './decode.js';
import { dispatch } from './dispatch.js';
import { compileInstance, type FjspInstance } from './model.js';
import { parseFjs } from './parser.js';
import { solveFjsp } from './solver.js';
import { fjspBenchmarkDir } from './test-fixtures.js';
import { validateSchedule } from './validator.js';

/** Machine 0 is fast but only free from 10; machine 1 is slow and free now. */
const lateFastMachine: FjspInstance = {
  numMachines: 2,
  machineRelease: [10, 0],
  jobs: [0, 1].map(() => ({ operations: [{ alternatives: [{ machine: 0, duration: 2 }, { machine: 1, duration: 5 }] }] })),
};

describe('machine release times', () => {
  it('never starts an operation before its machine is released, and uses the machine free now when that is better', () => {
    // Both on machine 1: [0, 5], [5, 10] → 10; one on machine 0 would end at 12.
    const r = solveFjsp(lateFastMachine, { timeLimitMs: 500, seed: 1 });
    expect(validateSchedule(lateFastMachine, r)).toEqual([]);
    expect(r.makespan).toBe(10);
    expect(r.operations.map((o) => o.machine)).toEqual([1, 1]);
  });

  it('waits for a released machine when that is better', () => {
    const inst: FjspInstance = { ...lateFastMachine, machineRelease: [3, 0] };
    // One on machine 0 [3, 5], one on machine 1 [0, 5] → 5.
    const r = solveFjsp(inst, { timeLimitMs: 500, seed: 1 });
    expect(validateSchedule(inst, r)).toEqual([]);
    expect(r.makespan).toBe(5);
    expect(r.operations.find((o) => o.machine === 0)?.start).toBe(3);
  });

  it('is honoured by the dispatching rules and both decoders', () => {
    const c = compileInstance(lateFastMachine);
    const d = dispatch(c, { rule: 'MWKR', machineChoice: 'own-best' });
    const semi = decodeSemiActive(c, d);
    expect(validateSchedule(lateFastMachine, semi)).toEqual([]);
    const active = decodeActive(c, d.machineOf, [0, 1]);
    expect(validateSchedule(lateFastMachine, active)).toEqual([]);
  });

  it('the validator reports an operation started before its machine is released', () => {
    const schedule = { makespan: 7, operations: [{ job: 0, op: 0, machine: 0, start: 5, end: 7 }, { job: 1, op: 0, machine: 1, start: 0, end: 5 }] };
    expect(validateSchedule(lateFastMachine, schedule).map((v) => v.kind)).toEqual(['before-release']);
  });

  it('refuses a malformed release list', () => {
    expect(() => compileInstance({ ...lateFastMachine, machineRelease: [-1, 0] })).toThrow(RangeError);
    expect(() => compileInstance({ ...lateFastMachine, machineRelease: [0, 0, 0] })).toThrow(RangeError);
  });

  it('changes nothing when every release is 0 (the classic problem, same search)', () => {
    const mk01 = parseFjs(readFileSync(path.join(fjspBenchmarkDir, 'brandimarte', 'Mk01.fjs'), 'utf8'), 'Mk01');
    const plain = solveFjsp(mk01, { timeLimitMs: 60_000, maxIterations: 400, seed: 5 });
    const zeros = solveFjsp({ ...mk01, machineRelease: new Array<number>(mk01.numMachines).fill(0) }, { timeLimitMs: 60_000, maxIterations: 400, seed: 5 });
    expect(zeros.operations).toEqual(plain.operations);
  });

  it('always gives valid schedules that respect releases (property)', () => {
    const arb = fc.integer({ min: 1, max: 4 }).chain((numMachines) =>
      fc.record({
        numMachines: fc.constant(numMachines),
        machineRelease: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: numMachines, maxLength: numMachines }),
        jobs: fc.array(
          fc.record({
            operations: fc.array(
              fc.record({
                alternatives: fc
                  .uniqueArray(fc.integer({ min: 0, max: numMachines - 1 }), { minLength: 1, maxLength: numMachines })
                  .chain((machines) => fc.tuple(...machines.map((machine) => fc.integer({ min: 1, max: 9 }).map((duration) => ({ machine, duration }))))),
              }),
              { minLength: 1, maxLength: 4 },
            ),
          }),
          { minLength: 1, maxLength: 5 },
        ),
      }),
    );
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 1000 }), (inst, seed) => {
        const r = solveFjsp(inst, { timeLimitMs: 1000, maxIterations: 200, seed });
        expect(validateSchedule(inst, r)).toEqual([]);
        // No job can end before its first operation's earliest possible end.
        for (const job of inst.jobs) {
          const first = Math.min(...job.operations[0].alternatives.map((a) => inst.machineRelease[a.machine] + a.duration));
          expect(r.makespan).toBeGreaterThanOrEqual(first);
        }
      }),
      { numRuns: 150 },
    );
  });
});
