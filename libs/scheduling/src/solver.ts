import { decodeActive, decodeSemiActive } from './decode.js';
import { dispatch, type DispatchRule } from './dispatch.js';
import { compileInstance, type CompiledInstance, type FjspInstance, type Schedule } from './model.js';
import { Prng } from './prng.js';
import { TabuSearch } from './tabu.js';

export interface SolveOptions {
  /** Wall-clock budget for the search (the best schedule found so far is returned). Default 1000 ms. */
  readonly timeLimitMs?: number;
  /** Seed of the deterministic PRNG. Default 1. */
  readonly seed?: number;
  /** Optional cap on tabu iterations; with a cap and no time limit the result is fully reproducible. */
  readonly maxIterations?: number;
  /** Stop as soon as a schedule with this makespan (or better) is found. */
  readonly targetMakespan?: number;
}

export interface SolveResult extends Schedule {
  readonly iterations: number;
  readonly restarts: number;
  /** Simple lower bound (longest job with fastest machines, average machine load). */
  readonly lowerBound: number;
  readonly elapsedMs: number;
}

export function lowerBound(c: CompiledInstance): number {
  let lb = 0;
  let work = 0;
  for (let j = 0; j < c.numJobs; j++) lb = Math.max(lb, c.workRemaining[c.jobStart[j]]);
  for (let i = 0; i < c.n; i++) work += c.minDuration[i];
  return Math.max(lb, Math.ceil(work / c.m));
}

const now = (): number => performance.now();

/**
 * Flexible job shop optimiser: best of several dispatching rules as the start, then tabu search over
 * critical-operation re-insertions with machine reassignment (see TabuSearch), with perturbation
 * restarts from the best solution on stagnation. Deterministic for a given seed and iteration count.
 */
export function solveFjsp(instance: FjspInstance, options: SolveOptions = {}): SolveResult {
  const t0 = now();
  const timeLimit = options.timeLimitMs ?? 1000;
  const maxIterations = options.maxIterations ?? Infinity;
  const c = compileInstance(instance);
  const rng = new Prng(options.seed ?? 1);
  const lb = lowerBound(c);
  const target = Math.max(lb, options.targetMakespan ?? lb);

  // Initial solution: best of the deterministic rules and some noisy variants.
  const rules: DispatchRule[] = ['MWKR', 'MOR', 'SPT', 'LPT'];
  let best = dispatch(c, { rule: 'MWKR', machineChoice: 'own-best' });
  const consider = (d: ReturnType<typeof dispatch>): void => {
    if (d.makespan < best.makespan) best = d;
  };
  for (const rule of rules) {
    for (const machineChoice of ['own-best', 'bottleneck'] as const) consider(dispatch(c, { rule, machineChoice }));
  }
  for (let r = 0; r < 40; r++) {
    const rule = rules[r % 2];
    consider(dispatch(c, { rule, machineChoice: r % 4 < 2 ? 'own-best' : 'bottleneck', noise: 0.5 * (rule === 'MOR' ? 3 : 15), rng }));
  }

  const ts = new TabuSearch(c, rng);
  if (!ts.load(best.machineOf, best.sequences)) throw new Error('internal error: dispatch produced a cyclic schedule');
  let bestMakespan = ts.cmax;
  let bestSol = ts.snapshot();
  let iterations = 0;
  let restarts = 0;
  let sinceImprove = 0;
  const n = c.n;
  // Stagnation: restart from the best solution with a small random perturbation (iterated tabu search).
  const stallLimit = Math.max(300, 4 * n);
  while (bestMakespan > target && iterations < maxIterations) {
    if ((iterations & 15) === 0 && now() - t0 >= timeLimit) break;
    iterations++;
    const tenure = rng.int(5, 5 + Math.max(2, Math.floor(n / 4)));
    const moved = ts.step(bestMakespan, tenure);
    if (moved && ts.cmax < bestMakespan) {
      bestMakespan = ts.cmax;
      bestSol = ts.snapshot();
      sinceImprove = 0;
      continue;
    }
    if (!moved || ++sinceImprove > stallLimit) {
      restarts++;
      sinceImprove = 0;
      ts.load(bestSol.machineOf, bestSol.sequences);
      ts.resetTabu();
      ts.perturb(rng.int(2, 8));
    }
  }

  const semi = decodeSemiActive(c, bestSol);
  // Active left-shift in the order of semi-active start times: never later, sometimes earlier.
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => semi.operations[a].start - semi.operations[b].start || a - b,
  );
  const active = decodeActive(c, bestSol.machineOf, order);
  const schedule = active.makespan <= semi.makespan ? active : semi;
  return {
    makespan: schedule.makespan,
    operations: schedule.operations,
    iterations,
    restarts,
    lowerBound: lb,
    elapsedMs: now() - t0,
  };
}
