// Expected values are written from the printed standard (ISO 2859-1:1999 Tables 1, 2-A, 2-B, 2-C; the
// normal and tightened values are also those of ANSI/ASQ Z1.4), not read back from the JSON file.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { DomainError } from '#libs/domain';
import { acceptanceNumberOneStepTighter, codeLetterFor, nearestStricterAql, samplingPlan } from './sampling-plan.js';
import { ISO2859_1_TABLES_SHA256, loadSamplingTables, parseSamplingTables, samplingTables, tablesFileCandidates } from './sampling-tables.js';

const tables = samplingTables();
const plan = (lotSize: number, level: string, aql: number, severity: 'normal' | 'tightened' | 'reduced' = 'normal') =>
  samplingPlan(tables, { lotSize, level, aql, severity });
const nar = (lotSize: number, aql: number, severity: 'normal' | 'tightened' | 'reduced') => {
  const p = plan(lotSize, 'II', aql, severity);
  return [p.codeLetter, p.sampleSize, p.ac, p.re];
};

describe('ISO 2859-1 tables file', () => {
  it('is the shared file, byte for byte', () => {
    const copy = readFileSync(tablesFileCandidates()[0]);
    expect(createHash('sha256').update(copy).digest('hex')).toBe(ISO2859_1_TABLES_SHA256);
  });
  it('refuses a copy that differs from the shared one', () => {
    const text = readFileSync(tablesFileCandidates()[0], 'utf8').replace('"n": 80', '"n": 81');
    expect(() => parseSamplingTables(text)).toThrow(/not the shared copy/);
  });
  it('falls back to the source copy from the repository root when none is beside the module', () => {
    const loaded = loadSamplingTables(tablesFileCandidates('file:///nowhere/dist/sampling-tables.js'));
    expect(loaded.codeLetterOrder).toContain('R');
    expect(() => loadSamplingTables(['/nowhere/x.json'])).toThrow(/not found/);
  });
});

describe('Table 1 code letters at the lot-size boundaries (level II)', () => {
  it.each([
    [2, 'A'], [8, 'A'], [9, 'B'], [15, 'B'], [16, 'C'], [25, 'C'], [26, 'D'], [50, 'D'], [51, 'E'], [90, 'E'], [91, 'F'],
    [150, 'F'], [151, 'G'], [280, 'G'], [281, 'H'], [500, 'H'], [501, 'J'], [1200, 'J'], [1201, 'K'], [3200, 'K'],
    [3201, 'L'], [10000, 'L'], [10001, 'M'], [35000, 'M'], [35001, 'N'], [150001, 'P'], [500001, 'Q'], [5_000_000, 'Q'],
  ])('lot size %i → %s', (lotSize, letter) => {
    expect(codeLetterFor(tables, lotSize, 'II')).toBe(letter);
  });
  it.each([
    ['I', 1201, 'H'], ['III', 1201, 'L'], ['S-1', 1201, 'C'], ['S-2', 1201, 'D'], ['S-3', 1201, 'E'], ['S-4', 1201, 'G'],
    ['I', 500001, 'N'], ['III', 500001, 'R'], ['III', 2, 'B'], ['S-4', 10001, 'H'],
  ])('level %s, lot size %i → %s', (level, lotSize, letter) => {
    expect(codeLetterFor(tables, lotSize, level)).toBe(letter);
  });
  it('refuses lot sizes below 2 and unknown levels, naming the parameter', () => {
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(thrown(() => codeLetterFor(tables, 1, 'II'))).toMatchObject({ code: 'validation_failed', details: { field: 'lotSize' } });
    expect(() => codeLetterFor(tables, 10.5, 'II')).toThrow(/lotSize/);
    expect(thrown(() => codeLetterFor(tables, 100, 'IV'))).toMatchObject({ details: { field: 'level' } });
  });
});

describe('normal inspection (Table 2-A) at the boundaries, AQL 2.5 and 4.0', () => {
  it.each([
    // lot, AQL, letter, n, Ac, Re
    [8, 2.5, 'A', 5, 0, 1], [9, 2.5, 'B', 5, 0, 1], [15, 2.5, 'B', 5, 0, 1], [16, 2.5, 'C', 5, 0, 1],
    [150, 2.5, 'F', 20, 1, 2], [151, 2.5, 'G', 32, 2, 3], [500, 2.5, 'H', 50, 3, 4], [501, 2.5, 'J', 80, 5, 6],
    [1200, 2.5, 'J', 80, 5, 6], [1201, 2.5, 'K', 125, 7, 8], [3200, 2.5, 'K', 125, 7, 8], [3201, 2.5, 'L', 200, 10, 11],
    [10000, 2.5, 'L', 200, 10, 11], [10001, 2.5, 'M', 315, 14, 15],
    [150, 4.0, 'F', 20, 2, 3], [151, 4.0, 'G', 32, 3, 4], [500, 4.0, 'H', 50, 5, 6], [501, 4.0, 'J', 80, 7, 8],
    [1201, 4.0, 'K', 125, 10, 11], [3201, 4.0, 'L', 200, 14, 15], [10001, 4.0, 'M', 315, 21, 22],
    [501, 0.65, 'J', 80, 1, 2], [501, 1.0, 'J', 80, 2, 3], [501, 1.5, 'J', 80, 3, 4], [501, 6.5, 'J', 80, 10, 11],
  ])('lot %i, AQL %d → %s n=%i Ac %i Re %i', (lotSize, aql, letter, n, ac, re) => {
    expect(nar(lotSize, aql, 'normal')).toEqual([letter, n, ac, re]);
  });
});

describe('tightened inspection (Table 2-B)', () => {
  it.each([
    [150, 2.5, 'F', 32, 1, 2], [151, 2.5, 'G', 32, 1, 2], [500, 2.5, 'H', 50, 2, 3], [501, 2.5, 'J', 80, 3, 4],
    [1201, 2.5, 'K', 125, 5, 6], [3201, 2.5, 'L', 200, 8, 9], [10001, 2.5, 'M', 315, 12, 13],
    [501, 4.0, 'J', 80, 5, 6], [1201, 4.0, 'K', 125, 8, 9], [3201, 4.0, 'L', 200, 12, 13],
  ])('lot %i, AQL %d → %s n=%i Ac %i Re %i', (lotSize, aql, letter, n, ac, re) => {
    expect(nar(lotSize, aql, 'tightened')).toEqual([letter, n, ac, re]);
  });
  it('uses the ISO (not MIL-STD-105E) plan at A / AQL 10: n=2, Ac 0, Re 1', () => {
    expect(plan(5, 'II', 10, 'tightened')).toMatchObject({ codeLetter: 'A', planCodeLetter: 'A', arrow: null, tableSampleSize: 2, ac: 0, re: 1 });
  });
  it('reaches code letter S (n=3150) only on tightened, from Q at AQL 0.025', () => {
    expect(plan(600000, 'II', 0.025, 'tightened')).toMatchObject({ codeLetter: 'Q', planCodeLetter: 'S', sampleSize: 3150, ac: 1, re: 2 });
    expect(plan(600000, 'II', 0.025, 'normal')).toMatchObject({ planCodeLetter: 'R', sampleSize: 2000, ac: 1, re: 2 });
  });
});

describe('reduced inspection (Table 2-C of ISO 2859-1:1999, gapless: Re = Ac + 1)', () => {
  it.each([
    [150, 2.5, 'F', 13, 1, 2], [151, 2.5, 'G', 13, 1, 2], [500, 2.5, 'H', 20, 2, 3], [501, 2.5, 'J', 32, 3, 4],
    [1201, 2.5, 'K', 50, 5, 6], [3201, 2.5, 'L', 80, 6, 7], [10001, 2.5, 'M', 125, 8, 9],
    [501, 4.0, 'J', 32, 5, 6], [1201, 4.0, 'K', 50, 6, 7],
  ])('lot %i, AQL %d → %s n=%i Ac %i Re %i', (lotSize, aql, letter, n, ac, re) => {
    expect(nar(lotSize, aql, 'reduced')).toEqual([letter, n, ac, re]);
  });
  it('has no Ac/Re gap anywhere', () => {
    for (const row of Object.values(tables.reduced)) for (const cell of Object.values(row)) expect(cell.re).toBe(cell.ac + 1);
  });
});

describe('arrows: the sample size is the one of the plan the arrow leads to', () => {
  it('down arrow: level II lot 51 (E), AQL 2.5 normal → plan F, n=20 (not 13), Ac 1 Re 2', () => {
    expect(plan(51, 'II', 2.5)).toMatchObject({ codeLetter: 'E', planCodeLetter: 'F', arrow: 'down', sampleSize: 20, ac: 1, re: 2, fullInspection: false });
  });
  it('up arrow: level II lot 16 (C), AQL 4.0 normal → plan B, n=3 (not 5), Ac 0 Re 1', () => {
    expect(plan(16, 'II', 4.0)).toMatchObject({ codeLetter: 'C', planCodeLetter: 'B', arrow: 'up', sampleSize: 3, ac: 0, re: 1 });
  });
  it('up arrow at the bottom: level II lot 600000 (Q), AQL 2.5 normal → plan N, n=500, Ac 21 Re 22', () => {
    expect(plan(600000, 'II', 2.5)).toMatchObject({ codeLetter: 'Q', planCodeLetter: 'N', arrow: 'up', sampleSize: 500, ac: 21, re: 22 });
  });
  it('no arrow: the letter holds its own plan', () => {
    expect(plan(1000, 'II', 2.5)).toMatchObject({ codeLetter: 'J', planCodeLetter: 'J', arrow: null, sampleSize: 80 });
  });
  it('down arrow on tightened: level II lot 100 (F), AQL 2.5 → plan G, n=32', () => {
    expect(plan(100, 'II', 2.5, 'tightened')).toMatchObject({ codeLetter: 'F', planCodeLetter: 'G', arrow: 'down', sampleSize: 32, ac: 1, re: 2 });
  });
  it('down arrow on reduced: level II lot 1000 (J), AQL 0.65 → plan K, reduced n=50, Ac 1 Re 2', () => {
    expect(plan(1000, 'II', 0.65, 'reduced')).toMatchObject({ codeLetter: 'J', planCodeLetter: 'K', sampleSize: 50, ac: 1, re: 2 });
  });
});

describe('100 % inspection when the sample size reaches the lot size', () => {
  it('arrow to a sample larger than the lot: lot 9 (B), AQL 1.0 normal → plan E n=13 → inspect all 9, Ac 0 Re 1', () => {
    expect(plan(9, 'II', 1.0)).toMatchObject({ codeLetter: 'B', planCodeLetter: 'E', tableSampleSize: 13, sampleSize: 9, fullInspection: true, ac: 0, re: 1 });
  });
  it('sample equal to the lot: lot 2 (A), AQL 6.5 → n=2 = lot size', () => {
    expect(plan(2, 'II', 6.5)).toMatchObject({ sampleSize: 2, fullInspection: true, ac: 0, re: 1 });
  });
  it('tightened lot 20 (C), AQL 0.65 → plan G n=32 → all 20', () => {
    expect(plan(20, 'II', 0.65, 'tightened')).toMatchObject({ planCodeLetter: 'G', sampleSize: 20, fullInspection: true, ac: 0, re: 1 });
  });
  it('reduced lot 8 (A), AQL 10 → plan D n=3 < 8: sampled, not 100 %', () => {
    expect(plan(8, 'II', 10, 'reduced')).toMatchObject({ planCodeLetter: 'D', sampleSize: 3, fullInspection: false, ac: 1, re: 2 });
  });
});

describe('AQL handling', () => {
  it('accepts the printed headings numerically (0.010 == 0.01) and names the bad parameter otherwise', () => {
    expect(plan(1000, 'II', 0.01).aql).toBe('0.010');
    expect(plan(1000, 'II', 1).aql).toBe('1.0');
    let error: unknown;
    try {
      plan(1000, 'II', 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: 'invalid', details: { field: 'aql' } });
  });
  it('refuses an unknown severity, naming it', () => {
    expect(() => samplingPlan(tables, { lotSize: 100, level: 'II', aql: 1, severity: 'lenient' as 'normal' })).toThrow(/severity/);
  });
  it('maps an unprinted AQL to the nearest stricter column', () => {
    expect(nearestStricterAql(tables, 3)).toBe(2.5);
    expect(nearestStricterAql(tables, 2.5)).toBe(2.5);
    expect(nearestStricterAql(tables, 0.005)).toBeUndefined();
  });
  it('finds the Ac of the normal plan one AQL column tighter (for the switching score)', () => {
    expect(acceptanceNumberOneStepTighter(tables, 1000, 'II', 2.5)).toBe(3); // J at 1.5: 3/4
    expect(acceptanceNumberOneStepTighter(tables, 1000, 'II', 0.01)).toBeUndefined();
  });
});
