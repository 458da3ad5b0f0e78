/**
 * ISO 2859-1 single sampling plan lookup: lot size + inspection level → code letter (Table 1) →
 * the cell of master table 2-A/2-B/2-C for the AQL, with the arrow followed (the sample size is
 * the plan's the arrow leads to) and 100 % inspection when that sample size reaches the lot size.
 * Pure: the tables come in as data.
 */
import { ValidationFailed } from '#libs/domain';
import type { SamplingCell, SamplingTables, TableSeverity } from './sampling-tables.js';

export interface SamplingPlanQuery {
  lotSize: number;
  level: string;
  /** A printed AQL heading, numerically (0.01 == 0.010). */
  aql: number;
  severity: TableSeverity;
}

export interface SamplingPlan {
  /** Table 1 code letter for the lot size and level. */
  codeLetter: string;
  /** Code letter of the plan actually used (differs from codeLetter when an arrow was followed). */
  planCodeLetter: string;
  arrow: 'down' | 'up' | null;
  /** Units to inspect: the plan's n, clipped to the lot size. */
  sampleSize: number;
  /** The plan's n as printed. */
  tableSampleSize: number;
  ac: number;
  re: number;
  /** Every unit of the lot is inspected (the plan's n reached the lot size). */
  fullInspection: boolean;
  aql: string;
  level: string;
  severity: TableSeverity;
  lotSize: number;
}

/** The printed AQL heading for a number, or undefined when the standard has no such column. */
export function aqlLabel(tables: SamplingTables, aql: number): string | undefined {
  return tables.aqlValues.find((v) => Math.abs(v.value - aql) < 1e-9)?.label;
}

/** The largest printed AQL not greater than `aql` (the nearest stricter column); undefined below 0.010. */
export function nearestStricterAql(tables: SamplingTables, aql: number): number | undefined {
  const candidates = tables.aqlValues.filter((v) => v.value <= aql + 1e-9);
  return candidates.length === 0 ? undefined : candidates[candidates.length - 1].value;
}

/** Table 1: the code letter of a lot size at an inspection level. */
export function codeLetterFor(tables: SamplingTables, lotSize: number, level: string): string {
  if (!Number.isInteger(lotSize) || lotSize < 2) {
    throw new ValidationFailed('lotSize', 'must be a whole number of at least 2 (Table 1 of ISO 2859-1 starts at 2)');
  }
  if (!tables.inspectionLevels.includes(level)) {
    throw new ValidationFailed('level', `must be one of ${tables.inspectionLevels.join(', ')}`);
  }
  const range = tables.codeLetters.find((r) => lotSize >= r.from && (r.to === null || lotSize <= r.to));
  if (!range) throw new ValidationFailed('lotSize', 'is outside the ranges of Table 1');
  return range.letters[level];
}

export function samplingPlan(tables: SamplingTables, query: SamplingPlanQuery): SamplingPlan {
  const codeLetter = codeLetterFor(tables, query.lotSize, query.level);
  const label = aqlLabel(tables, query.aql);
  if (label === undefined) {
    throw new ValidationFailed('aql', `must be one of the AQLs of ISO 2859-1: ${tables.aqlValues.map((v) => v.value).join(', ')}`);
  }
  const table = tables[query.severity] as Record<string, Record<string, SamplingCell>> | undefined;
  if (!table || !['normal', 'tightened', 'reduced'].includes(query.severity)) {
    throw new ValidationFailed('severity', 'must be normal, tightened or reduced');
  }
  const cell = table[codeLetter]?.[label];
  if (!cell) throw new Error(`ISO 2859-1 tables have no ${query.severity} cell for ${codeLetter}/${label}`);
  const fullInspection = cell.n >= query.lotSize;
  return {
    codeLetter,
    planCodeLetter: cell.planCodeLetter,
    arrow: cell.arrow,
    sampleSize: fullInspection ? query.lotSize : cell.n,
    tableSampleSize: cell.n,
    ac: cell.ac,
    re: cell.re,
    fullInspection,
    aql: label,
    level: query.level,
    severity: query.severity,
    lotSize: query.lotSize,
  };
}

/**
 * The Ac of the normal plan one AQL column tighter than `aql` at the same Table 1 letter (for the
 * switching score, ISO 2859-1 9.3.3.2), or undefined at the tightest column.
 */
export function acceptanceNumberOneStepTighter(tables: SamplingTables, lotSize: number, level: string, aql: number): number | undefined {
  const index = tables.aqlValues.findIndex((v) => Math.abs(v.value - aql) < 1e-9);
  if (index <= 0) return undefined;
  return samplingPlan(tables, { lotSize, level, aql: tables.aqlValues[index - 1].value, severity: 'normal' }).ac;
}
