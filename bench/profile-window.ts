// A profiling aid for the pipeline bench, not a benchmark. Preloaded into the network's processes
// (`PROFILE_WINDOW_DIR=<dir> npm run bench -- pipeline --profile`, which passes
// `--import dist/bench/profile-window.js` to them), it profiles exactly the bench's measured steps: on
// SIGUSR2 it starts V8's CPU profiler and counts every statement the process sends to PostgreSQL through
// `pg` (TypeORM and the event store both use it) with the wall time until its answer; on the next
// SIGUSR2 it writes `<dir>/<pid>.<n>.cpuprofile` and `<dir>/<pid>.<n>.statements.json`. Counting in the
// client stands in for pg_stat_statements, which needs shared_preload_libraries.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import pg from 'pg';

interface Tally {
  calls: number;
  totalMs: number;
}

const dir = process.env.PROFILE_WINDOW_DIR;
let tallies: Map<string, Tally> | undefined;
let windowStartedAt = 0;
let windows = 0;

/** The statement's text with literals and schema names folded, so alike statements count together. */
const shapeOf = (text: string): string =>
  text
    .replace(/\s+/g, ' ')
    .replace(/'[^']*'/g, "'?'")
    .replace(/"bench_pl_[a-z0-9]+_/g, '"')
    .replace(/\b\d+\b/g, '?')
    .trim()
    .slice(0, 200);

function record(text: string, started: number): void {
  if (!tallies) return;
  const shape = shapeOf(text);
  const tally = tallies.get(shape) ?? { calls: 0, totalMs: 0 };
  tally.calls += 1;
  tally.totalMs += performance.now() - started;
  tallies.set(shape, tally);
}

function countStatements(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (!tallies) return original.apply(this, args);
    const config = args[0] as string | { text?: string; callback?: (...a: unknown[]) => unknown } | undefined;
    const text = typeof config === 'string' ? config : (config?.text ?? '?');
    const started = performance.now();
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...a: unknown[]) => unknown;
      args[last] = (...a: unknown[]) => {
        record(text, started);
        return callback(...a);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args) as Promise<unknown> | undefined;
    if (result && typeof result.then === 'function') result.then(() => record(text, started), () => record(text, started));
    return result;
  };
}

if (dir) {
  countStatements();
  const session = new Session();
  session.connect();
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!tallies) {
        tallies = new Map();
        windowStartedAt = performance.now();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        return;
      }
      const { profile } = await session.post('Profiler.stop');
      windows += 1;
      const base = `${dir}/${process.pid}.${windows}`;
      writeFileSync(`${base}.cpuprofile`, JSON.stringify(profile));
      const statements = [...tallies.entries()].map(([shape, t]) => ({ shape, calls: t.calls, totalMs: Math.round(t.totalMs) })).sort((a, b) => b.calls - a.calls);
      const seconds = (performance.now() - windowStartedAt) / 1000;
      writeFileSync(`${base}.statements.json`, JSON.stringify({ seconds, calls: statements.reduce((n, s) => n + s.calls, 0), statements }, null, 1));
      tallies = undefined;
    })();
  });
}
