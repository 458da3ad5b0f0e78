import type { FjspInstance, Schedule, ScheduledOperation } from './model.js';

export type ViolationKind =
  | 'unknown-operation'
  | 'duplicate-operation'
  | 'missing-operation'
  | 'ineligible-machine'
  | 'wrong-duration'
  | 'negative-start'
  | 'before-release'
  | 'precedence'
  | 'overlap'
  | 'makespan';

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
}

const fmt = (o: ScheduledOperation): string => `job ${o.job} op ${o.op}`;

/**
 * Checks a schedule against its instance (all indices 0-based). Returns every violation found;
 * an empty list means the schedule is feasible and its makespan is consistent.
 */
export function validateSchedule(instance: FjspInstance, schedule: Schedule): Violation[] {
  const out: Violation[] = [];
  const seen = instance.jobs.map((j) => new Array<ScheduledOperation | undefined>(j.operations.length).fill(undefined));
  const byMachine = new Map<number, ScheduledOperation[]>();
  let maxEnd = 0;
  for (const so of schedule.operations) {
    const job = instance.jobs[so.job];
    const op = Number.isInteger(so.job) && Number.isInteger(so.op) ? job?.operations[so.op] : undefined;
    if (op === undefined) {
      out.push({ kind: 'unknown-operation', message: `${fmt(so)} does not exist` });
      continue;
    }
    if (seen[so.job][so.op] !== undefined) {
      out.push({ kind: 'duplicate-operation', message: `${fmt(so)} is scheduled more than once` });
      continue;
    }
    seen[so.job][so.op] = so;
    maxEnd = Math.max(maxEnd, so.end);
    if (!(so.start >= 0)) out.push({ kind: 'negative-start', message: `${fmt(so)} starts at ${so.start}` });
    const release = instance.machineRelease?.[so.machine] ?? 0;
    if (release > 0 && so.start < release) out.push({ kind: 'before-release', message: `${fmt(so)} starts at ${so.start} on machine ${so.machine}, released at ${release}` });
    const alt = op.alternatives.find((a) => a.machine === so.machine);
    if (alt === undefined) {
      out.push({ kind: 'ineligible-machine', message: `${fmt(so)} is not eligible for machine ${so.machine}` });
    } else if (so.end - so.start !== alt.duration) {
      out.push({
        kind: 'wrong-duration',
        message: `${fmt(so)} on machine ${so.machine} lasts ${so.end - so.start}, expected ${alt.duration}`,
      });
    }
    const list = byMachine.get(so.machine) ?? [];
    list.push(so);
    byMachine.set(so.machine, list);
  }
  seen.forEach((ops, j) =>
    ops.forEach((so, o) => {
      if (so === undefined) {
        out.push({ kind: 'missing-operation', message: `job ${j} op ${o} is not scheduled` });
        return;
      }
      const prev = o > 0 ? ops[o - 1] : undefined;
      if (prev !== undefined && so.start < prev.end) {
        out.push({ kind: 'precedence', message: `${fmt(so)} starts at ${so.start} before ${fmt(prev)} ends at ${prev.end}` });
      }
    }),
  );
  for (const [machine, list] of byMachine) {
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      if (b.start < a.end) {
        out.push({
          kind: 'overlap',
          message: `machine ${machine}: ${fmt(a)} [${a.start}, ${a.end}) overlaps ${fmt(b)} [${b.start}, ${b.end})`,
        });
      }
    }
  }
  if (schedule.makespan !== maxEnd) {
    out.push({ kind: 'makespan', message: `makespan ${schedule.makespan} differs from the last end time ${maxEnd}` });
  }
  return out;
}
