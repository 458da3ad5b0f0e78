import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

/** What every benchmark prints last: one JSON object on one line. */
export interface BenchReport {
  bench: string;
  results: Record<string, unknown>[];
  machine: Record<string, unknown>;
  commit: string;
  date: string;
}

export function machineInfo(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    ...extra,
  };
}

export function commitId(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** Runs `worker` on `concurrency` loops for `durationMs`; returns units completed per second. */
export async function throughput(concurrency: number, durationMs: number, worker: (writer: number, i: number) => Promise<number>): Promise<number> {
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  let units = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, writer) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const done = await worker(writer, i); // not `units += await …`: that reads `units` before the await
        units += done;
      }
    }),
  );
  return units / ((performance.now() - started) / 1000);
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function printReport(report: Omit<BenchReport, 'commit' | 'date'>): void {
  process.stdout.write(`${JSON.stringify({ ...report, commit: commitId(), date: new Date().toISOString() })}\n`);
}

/** utime + stime of a process of this machine, in µs (clock ticks of 10 ms); undefined once it has ended. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}
