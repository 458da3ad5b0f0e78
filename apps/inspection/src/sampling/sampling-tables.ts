/**
 * The ISO 2859-1 single sampling tables as data. `iso2859-1.tables.json` beside this file is a verbatim
 * copy of /work/shared/standards/iso2859-1/tables.json (see README.md in this folder); it is read at
 * start-up and its SHA-256 is checked, so the file the service uses is checkably the shared one.
 * Nothing here retypes a value of the standard.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** sha256 of /work/shared/standards/iso2859-1/tables.json (schema meshfab/iso2859-1-single-sampling/v1). */
export const ISO2859_1_TABLES_SHA256 = '37bac18499fb034edba64244d269e1fa2de1a394bffc0660cac42dfc75c9a019';
export const ISO2859_1_TABLES_FILE = 'iso2859-1.tables.json';
/** Where the source copy lives relative to the repository root: the fallback when `tsc` did not copy it into dist/. */
export const ISO2859_1_TABLES_REPO_PATH = `apps/inspection/src/sampling/${ISO2859_1_TABLES_FILE}`;

export type TableSeverity = 'normal' | 'tightened' | 'reduced';
export const TABLE_SEVERITIES: readonly TableSeverity[] = ['normal', 'tightened', 'reduced'];

/** One cell of master table 2-A/2-B/2-C with the arrow already followed. */
export interface SamplingCell {
  n: number;
  ac: number;
  re: number;
  planCodeLetter: string;
  arrow: 'down' | 'up' | null;
}

export interface AqlValue {
  label: string;
  value: number;
  usableForPercentNonconforming: boolean;
}

export interface CodeLetterRange {
  from: number;
  to: number | null;
  letters: Record<string, string>;
}

export interface SamplingTables {
  schema: string;
  aqlValues: AqlValue[];
  codeLetterOrder: string[];
  inspectionLevels: string[];
  codeLetters: CodeLetterRange[];
  sampleSizeByCodeLetter: Record<string, number>;
  tightenedOnlyCodeLetter: Record<string, number>;
  reducedSampleSizeByCodeLetter: Record<string, number>;
  normal: Record<string, Record<string, SamplingCell>>;
  tightened: Record<string, Record<string, SamplingCell>>;
  reduced: Record<string, Record<string, SamplingCell>>;
}

/** Parses and checks the text of the tables file: right checksum, right schema, the parts we use present. */
export function parseSamplingTables(text: string | Buffer, expectedSha256: string | null = ISO2859_1_TABLES_SHA256): SamplingTables {
  if (expectedSha256 !== null) {
    const actual = createHash('sha256').update(text).digest('hex');
    if (actual !== expectedSha256) {
      throw new Error(`ISO 2859-1 tables file has sha256 ${actual}, expected ${expectedSha256}: it is not the shared copy`);
    }
  }
  const tables = JSON.parse(text.toString()) as SamplingTables;
  if (tables.schema !== 'meshfab/iso2859-1-single-sampling/v1') throw new Error(`Unexpected tables schema ${String(tables.schema)}`);
  for (const key of ['aqlValues', 'codeLetters', 'normal', 'tightened', 'reduced', 'inspectionLevels'] as const) {
    if (!tables[key]) throw new Error(`ISO 2859-1 tables file lacks "${key}"`);
  }
  return tables;
}

/**
 * Candidate locations of the tables file: beside this module (source tree under Jest / ts runners,
 * or dist/ when the build copied it), then the source copy from the repository root (cwd).
 */
export function tablesFileCandidates(moduleUrl: string = import.meta.url, cwd: string = process.cwd()): string[] {
  return [fileURLToPath(new URL(`./${ISO2859_1_TABLES_FILE}`, moduleUrl)), resolve(cwd, ISO2859_1_TABLES_REPO_PATH)];
}

let cached: SamplingTables | undefined;

/** Loads (once) the tables from the first candidate file that exists. */
export function loadSamplingTables(candidates: readonly string[] = tablesFileCandidates()): SamplingTables {
  const file = candidates.find((path) => existsSync(path));
  if (!file) throw new Error(`ISO 2859-1 tables file not found; looked in: ${candidates.join(', ')}`);
  return parseSamplingTables(readFileSync(file));
}

/** The tables of this process, read once. */
export function samplingTables(): SamplingTables {
  cached ??= loadSamplingTables();
  return cached;
}
