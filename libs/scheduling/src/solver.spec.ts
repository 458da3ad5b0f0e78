import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeActive, decodeSemiActive } from './decode.js';
import { dispatch } from './dispatch.js';
import { compileInstance } from './model.js';
import { parseFjs } from './parser.js';
import { lowerBound, solveFjsp } from './solver.js';
import { fjspBenchmarkDir, tinyInstance } from './test-fixtures.js';
import { validateSchedule } from './validator.js';

const mk = (name: string) =>
  parseFjs(readFileSync(path.join(fjspBenchmarkDir, 'brandimarte', `${name}.fjs`), 'utf8'), name);

describe('decoders and dispatching rules', () => {
  it('semi-active and active decoding give valid schedules for dispatch results', () => {
    const inst = mk('Mk01');
    const c = compileInstance(inst);
    for (const rule of ['MWKR', 'MOR', 'SPT', 'LPT'] as const) {
      for (const machineChoice of ['own-best', 'bottleneck'] as const) {
        const d = dispatch(c, { rule, machineChoice });
        const semi = decodeSemiActive(c, d);
        expect(validateSchedule(inst, semi)).toEqual([]);
        expect(semi.makespan).toBe(d.makespan);
        const order = Array.from({ length: c.n }, (_, i) => i).sort(
          (a, b) => semi.operations[a].start - semi.operations[b].start,
        );
        const active = decodeActive(c, d.machineOf, order);
        expect(validateSchedule(inst, active)).toEqual([]);
        expect(active.makespan).toBeLessThanOrEqual(semi.makespan);
      }
    }
  });

  it('rejects cyclic machine sequences', () => {
    const c = compileInstance(tinyInstance);
    // J0 op1 (id 1) before J0 op0 (id 0) on machine 1: a cycle with the job arc.
    expect(() => decodeSemiActive(c, { machineOf: [1, 1, 0, 0], sequences: [[2, 3], [1, 0]] })).toThrow(/cyclic/);
  });
});

describe('solveFjsp', () => {
  it('finds the hand-checked optimum of the tiny instance', () => {
    const r = solveFjsp(tinyInstance, { timeLimitMs: 200, seed: 3 });
    expect(validateSchedule(tinyInstance, r)).toEqual([]);
    expect(r.makespan).toBe(7);
  });

  it('reaches the lower bound when it is tight (parallel identical machines)', () => {
    const alternatives = [0, 1, 2].map((machine) => ({ machine, duration: 4 }));
    const inst = { numMachines: 3, jobs: [0, 1, 2, 3, 4, 5].map(() => ({ operations: [{ alternatives }] })) };
    const r = solveFjsp(inst, { timeLimitMs: 200 });
    expect(validateSchedule(inst, r)).toEqual([]);
    expect(r.makespan).toBe(8);
    expect(lowerBound(compileInstance(inst))).toBe(8);
  });

  it('is deterministic for a seed and an iteration cap', () => {
    const inst = mk('Mk01');
    const a = solveFjsp(inst, { timeLimitMs: 60_000, maxIterations: 1500, seed: 7 });
    const b = solveFjsp(inst, { timeLimitMs: 60_000, maxIterations: 1500, seed: 7 });
    expect(a.iterations).toBe(b.iterations);
    expect(a.operations).toEqual(b.operations);
  });

  it('solves Mk01 within 10 % of the best-known makespan in 2 s', () => {
    const inst = mk('Mk01');
    const bounds = JSON.parse(readFileSync(path.join(fjspBenchmarkDir, 'brandimarte', 'bounds.json'), 'utf8')) as {
      instances: Record<string, { upperBound: number }>;
    };
    const ub = bounds.instances['Mk01'].upperBound;
    const r = solveFjsp(inst, { timeLimitMs: 2000, seed: 1 });
    expect(validateSchedule(inst, r)).toEqual([]);
    expect(r.operations).toHaveLength(55);
    expect(r.makespan).toBeLessThanOrEqual(Math.floor(ub * 1.1));
    expect(r.iterations).toBeGreaterThan(0);
  });
});
