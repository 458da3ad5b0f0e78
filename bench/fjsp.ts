/**
 * Flexible job shop benchmark CLI (issue 5).
 *
 *   npm run bench:fjsp -- <instance.fjs> --time-limit-ms <ms> [--seed <n>]
 *   npm run bench:fjsp -- --all <dir> --time-limit-ms <ms> [--seed <n>]
 *   npm run bench:fjsp -- --time-limit-ms <ms>     (--all over the Brandimarte instances in the repository)
 *
 * Single mode prints one JSON object: {"instance", "makespan", "timeMs", "operations": [{job, op, machine,
 * start, end}]} with job, op and machine numbered from 1. --all runs every *.fjs in <dir> and prints a
 * summary with the gap to bounds.json's best-known upper bound. Errors go to stderr with exit code 2.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFjs, solveFjsp, validateSchedule } from '#libs/scheduling';

class UsageError extends Error {}

/** The Brandimarte instances copied into the repository (libs/scheduling/benchmarks/fjsp/README.md); this file runs from dist/bench. */
const BRANDIMARTE_DIR = path.resolve(fileURLToPath(import.meta.url), '../../../libs/scheduling/benchmarks/fjsp/brandimarte');

interface Args {
  file?: string;
  all?: string;
  timeLimitMs: number;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = {};
  const int = (flag: string, v: string | undefined, min: number): number => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} needs an integer >= ${min}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--time-limit-ms') args.timeLimitMs = int(a, argv[++i], 1);
    else if (a === '--seed') args.seed = int(a, argv[++i], 0);
    else if (a === '--all') {
      const dir = argv[++i];
      if (dir === undefined) throw new UsageError('--all needs a directory');
      args.all = dir;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else if (args.file === undefined) args.file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (args.timeLimitMs === undefined) throw new UsageError('--time-limit-ms is required');
  if (args.file !== undefined && args.all !== undefined) throw new UsageError('give either <instance.fjs> or --all <dir>, not both');
  if (args.file === undefined) args.all ??= BRANDIMARTE_DIR;
  return { ...args, timeLimitMs: args.timeLimitMs, seed: args.seed ?? 1 };
}

function run(file: string, timeLimitMs: number, seed: number) {
  const name = path.basename(file).replace(/\.fjs$/i, '');
  const instance = parseFjs(readFileSync(file, 'utf8'), name);
  const t0 = performance.now();
  const result = solveFjsp(instance, { timeLimitMs, seed });
  const timeMs = Math.round(performance.now() - t0);
  const violations = validateSchedule(instance, result);
  const operations = [...result.operations]
    .sort((a, b) => a.job - b.job || a.op - b.op)
    .map((o) => ({ job: o.job + 1, op: o.op + 1, machine: o.machine + 1, start: o.start, end: o.end }));
  return { name, result, timeMs, violations, operations };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.file !== undefined) {
    const r = run(args.file, args.timeLimitMs, args.seed);
    if (r.violations.length > 0) {
      process.stderr.write(`invalid schedule: ${r.violations.map((v) => v.message).join('; ')}\n`);
      process.exitCode = 2;
      return;
    }
    process.stdout.write(`${JSON.stringify({ instance: r.name, makespan: r.result.makespan, timeMs: r.timeMs, operations: r.operations })}\n`);
    return;
  }
  const dir = args.all!;
  const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.fjs')).sort();
  if (files.length === 0) throw new UsageError(`no .fjs files in ${dir}`);
  const boundsFile = path.join(dir, 'bounds.json');
  const bounds = existsSync(boundsFile)
    ? (JSON.parse(readFileSync(boundsFile, 'utf8')) as { instances: Record<string, { upperBound?: number; lowerBound?: number }> }).instances
    : {};
  const rows = files.map((f) => {
    const r = run(path.join(dir, f), args.timeLimitMs, args.seed);
    const ub = bounds[r.name]?.upperBound;
    const gapPct = ub === undefined ? null : Math.round(((r.result.makespan - ub) / ub) * 10000) / 100;
    const row = {
      instance: r.name,
      makespan: r.result.makespan,
      bestKnownUpperBound: ub ?? null,
      gapPct,
      valid: r.violations.length === 0,
      timeMs: r.timeMs,
      iterations: r.result.iterations,
    };
    process.stderr.write(`${JSON.stringify(row)}\n`);
    return row;
  });
  const gaps = rows.map((r) => r.gapPct).filter((g): g is number => g !== null);
  const mean = gaps.length > 0 ? Math.round((gaps.reduce((s, g) => s + g, 0) / gaps.length) * 100) / 100 : null;
  const worst = gaps.length > 0 ? Math.max(...gaps) : null;
  process.stdout.write(
    `${JSON.stringify({ timeLimitMs: args.timeLimitMs, seed: args.seed, instances: rows, meanGapPct: mean, worstGapPct: worst, allValid: rows.every((r) => r.valid) }, null, 1)}\n`,
  );
  if (!rows.every((r) => r.valid)) process.exitCode = 2;
}

try {
  main();
} catch (err) {
  process.stderr.write(`bench:fjsp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
