import type { CompiledInstance } from './model.js';
import type { Prng } from './prng.js';

export type DispatchRule = 'MWKR' | 'MOR' | 'SPT' | 'LPT' | 'RANDOM';

export interface DispatchOptions {
  readonly rule: DispatchRule;
  /**
   * 'bottleneck': Giffler–Thompson style — the machine that can finish something earliest is chosen,
   * and the rule picks which conflicting operation it processes.
   * 'own-best': the rule picks among the conflicting operations, which then goes to whichever of its
   * eligible machines completes it earliest (global minimum completion time).
   */
  readonly machineChoice: 'bottleneck' | 'own-best';
  /** Random noise added to the priority (in units of the rule's priority), needs rng. */
  readonly noise?: number;
  readonly rng?: Prng;
}

export interface DispatchResult {
  readonly machineOf: Int32Array;
  readonly sequences: number[][];
  readonly makespan: number;
}

/** Builds an active schedule with a priority dispatching rule (append mode). */
export function dispatch(c: CompiledInstance, options: DispatchOptions): DispatchResult {
  const { n, m, numJobs } = c;
  const next = Int32Array.from(c.jobStart.subarray(0, numJobs));
  const jobReady = new Float64Array(numJobs);
  const machFree = Float64Array.from(c.release);
  const machineOf = new Int32Array(n);
  const sequences: number[][] = Array.from({ length: m }, () => []);
  const noise = options.noise ?? 0;
  const rng = options.rng;
  let makespan = 0;
  const priority = (x: number, k: number): number => {
    let p: number;
    switch (options.rule) {
      case 'MWKR':
        p = c.workRemaining[x]!;
        break;
      case 'MOR':
        p = c.jobStart[c.jobOf[x] + 1] - x;
        break;
      case 'SPT':
        p = -c.durationOn[x * m + k];
        break;
      case 'LPT':
        p = c.durationOn[x * m + k]!;
        break;
      case 'RANDOM':
        p = 0;
        break;
    }
    if (rng !== undefined && (noise > 0 || options.rule === 'RANDOM')) p += rng.next() * (noise > 0 ? noise : 1);
    return p;
  };
  for (let step = 0; step < n; step++) {
    let bestEct = Infinity;
    let bestMachine = -1;
    for (let j = 0; j < numJobs; j++) {
      const x = next[j];
      if (x >= c.jobStart[j + 1]) continue;
      for (let a = c.altStart[x]; a < c.altStart[x + 1]; a++) {
        const k = c.altMachine[a];
        const ect = Math.max(jobReady[j], machFree[k]) + c.altDuration[a];
        if (ect < bestEct) {
          bestEct = ect;
          bestMachine = k;
        }
      }
    }
    let chosen = -1;
    let chosenPriority = -Infinity;
    for (let j = 0; j < numJobs; j++) {
      const x = next[j];
      if (x >= c.jobStart[j + 1]) continue;
      if (c.durationOn[x * m + bestMachine] === 0) continue;
      if (Math.max(jobReady[j], machFree[bestMachine]) >= bestEct) continue;
      const p = priority(x, bestMachine);
      if (p > chosenPriority) {
        chosenPriority = p;
        chosen = x;
      }
    }
    let k = bestMachine;
    const j = c.jobOf[chosen];
    if (options.machineChoice === 'own-best') {
      let best = Infinity;
      for (let a = c.altStart[chosen]; a < c.altStart[chosen + 1]; a++) {
        const ect = Math.max(jobReady[j], machFree[c.altMachine[a]]) + c.altDuration[a];
        if (ect < best || (ect === best && c.altDuration[a] < c.durationOn[chosen * m + k])) {
          best = ect;
          k = c.altMachine[a]!;
        }
      }
    }
    const end = Math.max(jobReady[j], machFree[k]) + c.durationOn[chosen * m + k];
    jobReady[j] = end;
    machFree[k] = end;
    machineOf[chosen] = k;
    sequences[k].push(chosen);
    next[j]++;
    if (end > makespan) makespan = end;
  }
  return { machineOf, sequences, makespan };
}
