/**
 * Flexible job shop model. Everything is 0-based internally: jobs, operations within a job, machines.
 *
 * A job is an ordered chain of operations; each operation may run on any of its eligible machines,
 * with a machine-specific processing time. Machines process one operation at a time, without
 * preemption. The objective is the makespan (time the last operation finishes).
 */

export interface Alternative {
  /** 0-based machine index. */
  readonly machine: number;
  /** Processing time on that machine; a positive integer. */
  readonly duration: number;
}

export interface Operation {
  readonly alternatives: readonly Alternative[];
}

export interface Job {
  readonly operations: readonly Operation[];
}

export interface FjspInstance {
  readonly name?: string;
  readonly numMachines: number;
  readonly jobs: readonly Job[];
  /**
   * Optional release (availability) time per machine: nothing starts on machine k before
   * machineRelease[k] (a non-negative integer; missing = 0). The classic instances have none.
   */
  readonly machineRelease?: readonly number[];
}

export interface ScheduledOperation {
  /** 0-based job index. */
  readonly job: number;
  /** 0-based operation index within the job. */
  readonly op: number;
  /** 0-based machine index. */
  readonly machine: number;
  readonly start: number;
  readonly end: number;
}

export interface Schedule {
  readonly makespan: number;
  readonly operations: readonly ScheduledOperation[];
}

/** Throws if the instance is not well formed (used by the solver and the parser). */
export function assertValidInstance(instance: FjspInstance): void {
  if (!Number.isInteger(instance.numMachines) || instance.numMachines < 1) {
    throw new RangeError(`numMachines must be a positive integer, got ${instance.numMachines}`);
  }
  instance.jobs.forEach((job, j) => {
    if (job.operations.length === 0) throw new RangeError(`job ${j} has no operations`);
    job.operations.forEach((op, o) => {
      if (op.alternatives.length === 0) throw new RangeError(`job ${j} operation ${o} has no eligible machine`);
      const seen = new Set<number>();
      for (const alt of op.alternatives) {
        if (!Number.isInteger(alt.machine) || alt.machine < 0 || alt.machine >= instance.numMachines) {
          throw new RangeError(`job ${j} operation ${o}: machine ${alt.machine} out of range`);
        }
        if (!Number.isInteger(alt.duration) || alt.duration < 1) {
          throw new RangeError(`job ${j} operation ${o}: duration ${alt.duration} must be a positive integer`);
        }
        if (seen.has(alt.machine)) throw new RangeError(`job ${j} operation ${o}: machine ${alt.machine} listed twice`);
        seen.add(alt.machine);
      }
    });
  });
  if (instance.machineRelease !== undefined) {
    if (instance.machineRelease.length > instance.numMachines) throw new RangeError(`machineRelease lists ${instance.machineRelease.length} machines of ${instance.numMachines}`);
    instance.machineRelease.forEach((r, k) => {
      if (!Number.isInteger(r) || r < 0) throw new RangeError(`machine ${k}: release ${r} must be a non-negative integer`);
    });
  }
}

/** Release time of machine k (0 when the instance has none). */
export const releaseOf = (instance: FjspInstance, k: number): number => instance.machineRelease?.[k] ?? 0;

/** Flat, array-based view of an instance used by the decoders and the optimiser. */
export interface CompiledInstance {
  readonly instance: FjspInstance;
  /** Number of operations in total. */
  readonly n: number;
  readonly m: number;
  readonly numJobs: number;
  /** Global operation id -> job / index within job. */
  readonly jobOf: Int32Array;
  readonly opIndex: Int32Array;
  /** First global op id of each job; length numJobs + 1. */
  readonly jobStart: Int32Array;
  readonly jobPred: Int32Array;
  readonly jobSucc: Int32Array;
  /** Alternatives of op i are altMachine/altDuration[altStart[i] .. altStart[i+1]). */
  readonly altStart: Int32Array;
  readonly altMachine: Int32Array;
  readonly altDuration: Int32Array;
  readonly minDuration: Int32Array;
  /** Sum of min durations of op i and all later ops of its job. */
  readonly workRemaining: Int32Array;
  /** duration[i * m + k], or 0 if k is not eligible for op i. */
  readonly durationOn: Int32Array;
  /** Release time per machine (all 0 for the classic problem); `hasRelease` is false then. */
  readonly release: Int32Array;
  readonly hasRelease: boolean;
}

export function compileInstance(instance: FjspInstance): CompiledInstance {
  assertValidInstance(instance);
  const numJobs = instance.jobs.length;
  const m = instance.numMachines;
  const n = instance.jobs.reduce((s, j) => s + j.operations.length, 0);
  const jobOf = new Int32Array(n);
  const opIndex = new Int32Array(n);
  const jobStart = new Int32Array(numJobs + 1);
  const jobPred = new Int32Array(n).fill(-1);
  const jobSucc = new Int32Array(n).fill(-1);
  const altStart = new Int32Array(n + 1);
  const totalAlts = instance.jobs.reduce((s, j) => s + j.operations.reduce((t, o) => t + o.alternatives.length, 0), 0);
  const altMachine = new Int32Array(totalAlts);
  const altDuration = new Int32Array(totalAlts);
  const minDuration = new Int32Array(n);
  const workRemaining = new Int32Array(n);
  const durationOn = new Int32Array(n * m);
  let id = 0;
  let a = 0;
  instance.jobs.forEach((job, j) => {
    jobStart[j] = id;
    job.operations.forEach((op, o) => {
      jobOf[id] = j;
      opIndex[id] = o;
      if (o > 0) {
        jobPred[id] = id - 1;
        jobSucc[id - 1] = id;
      }
      altStart[id] = a;
      let min = Infinity;
      for (const alt of op.alternatives) {
        altMachine[a] = alt.machine;
        altDuration[a] = alt.duration;
        durationOn[id * m + alt.machine] = alt.duration;
        if (alt.duration < min) min = alt.duration;
        a++;
      }
      minDuration[id] = min;
      id++;
    });
  });
  jobStart[numJobs] = id;
  altStart[n] = a;
  for (let i = n - 1; i >= 0; i--) {
    workRemaining[i] = minDuration[i] + (jobSucc[i] >= 0 ? workRemaining[jobSucc[i]] : 0);
  }
  const release = new Int32Array(m);
  for (let k = 0; k < m; k++) release[k] = releaseOf(instance, k);
  const hasRelease = release.some((r) => r > 0);
  return {
    instance, n, m, numJobs, jobOf, opIndex, jobStart, jobPred, jobSucc,
    altStart, altMachine, altDuration, minDuration, workRemaining, durationOn, release, hasRelease,
  };
}
