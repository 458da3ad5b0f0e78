import type { CompiledInstance, Schedule, ScheduledOperation } from './model.js';

/**
 * A solution in disjunctive-graph form: a machine per operation (global op ids, see CompiledInstance)
 * and the processing order on each machine.
 */
export interface SequenceSolution {
  readonly machineOf: ArrayLike<number>;
  readonly sequences: readonly (readonly number[])[];
}

function toSchedule(c: CompiledInstance, machineOf: ArrayLike<number>, start: ArrayLike<number>): Schedule {
  const operations: ScheduledOperation[] = [];
  let makespan = 0;
  for (let i = 0; i < c.n; i++) {
    const machine = machineOf[i];
    const end = start[i] + c.durationOn[i * c.m + machine];
    if (end > makespan) makespan = end;
    operations.push({ job: c.jobOf[i], op: c.opIndex[i], machine, start: start[i], end });
  }
  return { makespan, operations };
}

/**
 * Semi-active decoding: every operation starts as soon as its job predecessor and its machine
 * predecessor have finished (and not before its machine's release time). Throws if the sequences are cyclic or inconsistent with machineOf.
 */
export function decodeSemiActive(c: CompiledInstance, sol: SequenceSolution): Schedule {
  const machPred = new Int32Array(c.n).fill(-1);
  const machSucc = new Int32Array(c.n).fill(-1);
  const placed = new Uint8Array(c.n);
  sol.sequences.forEach((seq, k) =>
    seq.forEach((op, p) => {
      if (sol.machineOf[op] !== k) throw new Error(`operation ${op} sequenced on machine ${k} but assigned to ${sol.machineOf[op]}`);
      if (c.durationOn[op * c.m + k] === 0) throw new Error(`operation ${op} is not eligible for machine ${k}`);
      if (placed[op]) throw new Error(`operation ${op} sequenced twice`);
      placed[op] = 1;
      if (p > 0) {
        machPred[op] = seq[p - 1]!;
        machSucc[seq[p - 1]] = op;
      }
    }),
  );
  if (placed.some((v) => v === 0)) throw new Error('some operations are not sequenced');
  const indeg = new Int32Array(c.n);
  for (let i = 0; i < c.n; i++) indeg[i] = (c.jobPred[i] >= 0 ? 1 : 0) + (machPred[i] >= 0 ? 1 : 0);
  const queue: number[] = [];
  for (let i = 0; i < c.n; i++) if (indeg[i] === 0) queue.push(i);
  const start = new Float64Array(c.n);
  if (c.hasRelease) for (let i = 0; i < c.n; i++) start[i] = c.release[sol.machineOf[i]];
  for (let h = 0; h < queue.length; h++) {
    const x = queue[h];
    const end = start[x] + c.durationOn[x * c.m + sol.machineOf[x]];
    for (const s of [c.jobSucc[x], machSucc[x]]) {
      if (s < 0) continue;
      if (end > start[s]) start[s] = end;
      if (--indeg[s] === 0) queue.push(s);
    }
  }
  if (queue.length !== c.n) throw new Error('machine sequences are cyclic');
  return toSchedule(c, sol.machineOf, start);
}

/**
 * Active decoding: operations are taken in the given priority order (a permutation of all op ids,
 * each after its job predecessor) and each is placed in the earliest idle gap of its machine that
 * can hold it after its job predecessor finishes.
 */
export function decodeActive(c: CompiledInstance, machineOf: ArrayLike<number>, order: readonly number[]): Schedule {
  const start = new Float64Array(c.n);
  const done = new Uint8Array(c.n);
  const busy: { s: number; e: number }[][] = Array.from({ length: c.m }, () => []);
  for (const x of order) {
    const jp = c.jobPred[x];
    if (jp >= 0 && !done[jp]) throw new Error(`operation ${x} ordered before its job predecessor`);
    if (done[x]) throw new Error(`operation ${x} ordered twice`);
    const k = machineOf[x];
    const p = c.durationOn[x * c.m + k];
    if (p === 0) throw new Error(`operation ${x} is not eligible for machine ${k}`);
    const ready = Math.max(jp >= 0 ? start[jp] + c.durationOn[jp * c.m + machineOf[jp]] : 0, c.release[k]);
    const intervals = busy[k];
    let t = ready;
    let idx = 0;
    for (; idx < intervals.length; idx++) {
      const iv = intervals[idx];
      if (t + p <= iv.s) break;
      if (iv.e > t) t = iv.e;
    }
    intervals.splice(idx, 0, { s: t, e: t + p });
    start[x] = t;
    done[x] = 1;
  }
  if (done.some((v) => v === 0)) throw new Error('order does not contain every operation');
  return toSchedule(c, machineOf, start);
}
