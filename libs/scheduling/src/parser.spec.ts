import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FjsParseError, parseFjs } from './parser.js';
import { fjspBenchmarkDir } from './test-fixtures.js';

describe('parseFjs', () => {
  it('parses a small instance into 0-based machines', () => {
    const inst = parseFjs('2 3 1.5\n2 1 1 4 2 2 3 3 5\n1 1 3 7\n\n\n', 'small');
    expect(inst).toEqual({
      name: 'small',
      numMachines: 3,
      jobs: [
        {
          operations: [
            { alternatives: [{ machine: 0, duration: 4 }] },
            { alternatives: [{ machine: 1, duration: 3 }, { machine: 2, duration: 5 }] },
          ],
        },
        { operations: [{ alternatives: [{ machine: 2, duration: 7 }] }] },
      ],
    });
  });

  it('parses all ten Brandimarte instances', () => {
    const sizes: Record<string, [number, number]> = { Mk01: [10, 6], Mk04: [15, 8], Mk10: [20, 15] };
    for (let i = 1; i <= 10; i++) {
      const name = `Mk${String(i).padStart(2, '0')}`;
      const inst = parseFjs(readFileSync(path.join(fjspBenchmarkDir, 'brandimarte', `${name}.fjs`), 'utf8'), name);
      expect(inst.jobs.length).toBeGreaterThan(0);
      const expected = sizes[name];
      if (expected) expect([inst.jobs.length, inst.numMachines]).toEqual(expected);
    }
  });

  it.each([
    ['', /empty input/],
    ['2\n1 1 1 1\n', /line 1: header/],
    ['x 2\n1 1 1 1\n', /line 1: expected an integer for number of jobs/],
    ['2 2\n1 1 1 1\n', /declares 2 jobs but 1 job lines follow/],
    ['1 2\n2 1 1 1\n', /line 2: unexpected end of line/],
    ['1 2\n1 1 3 1\n', /line 2: operation 1: machine 3 outside 1..2/],
    ['1 2\n1 1 1 0\n', /processing time 0 must be positive/],
    ['1 2\n1 2 1 1 1 2\n', /machine 1 listed twice/],
    ['1 2\n1 1 1 1 9\n', /line 2: 1 unexpected trailing token/],
    ['1 2\n1 0\n', /needs at least one eligible machine/],
    ['1 2\n1 1 1 2.5\n', /expected an integer/],
  ])('rejects malformed input %j', (text, message) => {
    expect(() => parseFjs(text)).toThrow(FjsParseError);
    expect(() => parseFjs(text)).toThrow(message);
  });
});
