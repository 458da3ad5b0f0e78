import { assertValidInstance, type FjspInstance, type Operation } from './model.js';

export class FjsParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'FjsParseError';
  }
}

function toInt(token: string, what: string, line: number): number {
  if (!/^[+-]?\d+$/.test(token)) throw new FjsParseError(`expected an integer for ${what}, got "${token}"`, line);
  return Number(token);
}

/**
 * Parses the `.fjs` text format (Brandimarte / FJSPLib): line 1 `<jobs> <machines> [<avg>]`, then one
 * line per job: `<ops>` then per operation `k` followed by `k` pairs `<machine> <time>` (machines 1-based).
 * Returns a 0-based instance. Blank lines are ignored.
 */
export function parseFjs(text: string, name?: string): FjspInstance {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ no: i + 1, tokens: l.trim().split(/\s+/).filter((t) => t.length > 0) }))
    .filter((l) => l.tokens.length > 0);
  if (lines.length === 0) throw new FjsParseError('empty input');
  const header = lines[0];
  if (header.tokens.length < 2 || header.tokens.length > 3) {
    throw new FjsParseError('header must be "<jobs> <machines> [<average machines per operation>]"', header.no);
  }
  const numJobs = toInt(header.tokens[0], 'number of jobs', header.no);
  const numMachines = toInt(header.tokens[1], 'number of machines', header.no);
  if (numJobs < 1) throw new FjsParseError(`number of jobs must be positive, got ${numJobs}`, header.no);
  if (numMachines < 1) throw new FjsParseError(`number of machines must be positive, got ${numMachines}`, header.no);
  if (lines.length - 1 !== numJobs) {
    throw new FjsParseError(`header declares ${numJobs} jobs but ${lines.length - 1} job lines follow`, header.no);
  }
  const jobs = lines.slice(1).map((l) => {
    const t = l.tokens;
    let p = 0;
    const next = (what: string): number => {
      if (p >= t.length) throw new FjsParseError(`unexpected end of line, expected ${what}`, l.no);
      return toInt(t[p++], what, l.no);
    };
    const numOps = next('number of operations');
    if (numOps < 1) throw new FjsParseError(`a job needs at least one operation, got ${numOps}`, l.no);
    const operations: Operation[] = [];
    for (let o = 0; o < numOps; o++) {
      const k = next(`number of machines of operation ${o + 1}`);
      if (k < 1) throw new FjsParseError(`operation ${o + 1} needs at least one eligible machine, got ${k}`, l.no);
      const alternatives: { machine: number; duration: number }[] = [];
      const seen = new Set<number>();
      for (let a = 0; a < k; a++) {
        const machine = next(`machine of operation ${o + 1}`);
        const duration = next(`processing time of operation ${o + 1}`);
        if (machine < 1 || machine > numMachines) {
          throw new FjsParseError(`operation ${o + 1}: machine ${machine} outside 1..${numMachines}`, l.no);
        }
        if (duration < 1) throw new FjsParseError(`operation ${o + 1}: processing time ${duration} must be positive`, l.no);
        if (seen.has(machine)) throw new FjsParseError(`operation ${o + 1}: machine ${machine} listed twice`, l.no);
        seen.add(machine);
        alternatives.push({ machine: machine - 1, duration });
      }
      operations.push({ alternatives });
    }
    if (p !== t.length) throw new FjsParseError(`${t.length - p} unexpected trailing token(s)`, l.no);
    return { operations };
  });
  const instance: FjspInstance = name === undefined ? { numMachines, jobs } : { name, numMachines, jobs };
  assertValidInstance(instance);
  return instance;
}
