import fc from 'fast-check';
import type { FjspInstance } from './model.js';
import { solveFjsp } from './solver.js';
import { validateSchedule } from './validator.js';

const instanceArb: fc.Arbitrary<FjspInstance> = fc.integer({ min: 1, max: 4 }).chain((numMachines) =>
  fc.record({
    numMachines: fc.constant(numMachines),
    jobs: fc.array(
      fc.record({
        operations: fc.array(
          fc.record({
            alternatives: fc
              .uniqueArray(fc.integer({ min: 0, max: numMachines - 1 }), { minLength: 1, maxLength: numMachines })
              .chain((machines) =>
                fc.tuple(...machines.map((machine) => fc.integer({ min: 1, max: 9 }).map((duration) => ({ machine, duration })))),
              ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
);

describe('solveFjsp (property)', () => {
  it('always returns a valid schedule no shorter than the longest job', () => {
    fc.assert(
      fc.property(instanceArb, fc.integer({ min: 0, max: 1000 }), (inst, seed) => {
        const r = solveFjsp(inst, { timeLimitMs: 1000, maxIterations: 300, seed });
        expect(validateSchedule(inst, r)).toEqual([]);
        const longestJob = Math.max(
          ...inst.jobs.map((j) => j.operations.reduce((s, o) => s + Math.min(...o.alternatives.map((a) => a.duration)), 0)),
        );
        expect(r.makespan).toBeGreaterThanOrEqual(longestJob);
      }),
      { numRuns: 150 },
    );
  });
});
