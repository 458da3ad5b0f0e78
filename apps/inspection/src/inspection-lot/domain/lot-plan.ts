/**
 * The plan of one inspection lot: one ISO 2859-1 single sampling plan per defect class (critical,
 * major, minor), each with its own AQL, drawn from the same Table 1 code letter and severity.
 *
 * Decisions where the standard leaves it to the user (documented in apps/inspection/README.md):
 * - One sample is drawn, of the largest n any class needs; every class is judged on the defects
 *   found in the whole sample (conservative: a larger sample can only find more defects).
 * - AQL 0 (usual for critical) is zero acceptance: Ac 0, Re 1 on that sample; any such defect rejects.
 * - An AQL that is not a printed column is replaced by the nearest stricter printed one (below 0.010 → 0.010).
 * - Lot sizes below 2 (outside Table 1) use the first row and are inspected 100 %.
 * - A discontinued workshop+process, and a reworked lot (re-inspection), are inspected with the
 *   tightened plan; a discontinued one additionally 100 %.
 */
import { nearestStricterAql, samplingPlan } from '../../sampling/sampling-plan.js';
import type { SamplingTables, TableSeverity } from '../../sampling/sampling-tables.js';

export const DEFECT_CLASSES = ['critical', 'major', 'minor'] as const;
export type DefectClass = (typeof DEFECT_CLASSES)[number];
export type Severity = 'normal' | 'tightened' | 'reduced' | 'discontinued';

export interface ClassPlan {
  /** AQL as asked by the step (0 = zero acceptance). */
  aqlRequested: number;
  /** Printed AQL heading used, or null for zero acceptance. */
  aql: string | null;
  planCodeLetter: string | null;
  arrow: 'down' | 'up' | null;
  /** n of this class's plan (clipped to the lot size). */
  sampleSize: number;
  ac: number;
  re: number;
}

export interface LotPlan {
  lotSize: number;
  level: string;
  /** The severity the workshop+process was at when the lot opened. */
  severity: Severity;
  /** The master table used (tightened for discontinued and re-inspected lots). */
  table: TableSeverity;
  codeLetter: string;
  /** Units the inspector must examine: the largest n of the classes. */
  sampleSize: number;
  fullInspection: boolean;
  classes: Record<DefectClass, ClassPlan>;
}

export interface LotPlanInput {
  lotSize: number;
  level: string;
  severity: Severity;
  /** True for a re-inspection after rework. */
  reinspection: boolean;
  aqls: Record<DefectClass, number>;
}

export function tableFor(severity: Severity, reinspection: boolean): TableSeverity {
  if (reinspection || severity === 'discontinued') return 'tightened';
  return severity;
}

export function buildLotPlan(tables: SamplingTables, input: LotPlanInput): LotPlan {
  const table = tableFor(input.severity, input.reinspection);
  const lookupSize = Math.max(2, input.lotSize);
  const plans = {} as Record<DefectClass, ClassPlan>;
  let codeLetter = '';
  for (const defectClass of DEFECT_CLASSES) {
    const requested = input.aqls[defectClass];
    if (requested <= 0) continue;
    const aql = nearestStricterAql(tables, requested) ?? tables.aqlValues[0].value;
    const plan = samplingPlan(tables, { lotSize: lookupSize, level: input.level, aql, severity: table });
    codeLetter = plan.codeLetter;
    plans[defectClass] = {
      aqlRequested: requested,
      aql: plan.aql,
      planCodeLetter: plan.planCodeLetter,
      arrow: plan.arrow,
      sampleSize: Math.min(plan.tableSampleSize, input.lotSize),
      ac: plan.ac,
      re: plan.re,
    };
  }
  if (codeLetter === '') {
    // Every class at AQL 0: the letter's own sample size, zero acceptance.
    const plan = samplingPlan(tables, { lotSize: lookupSize, level: input.level, aql: tables.aqlValues[0].value, severity: table });
    codeLetter = plan.codeLetter;
  }
  const sampledClasses = Object.values(plans);
  const letterSampleSize = Math.min(
    (table === 'reduced' ? tables.reducedSampleSizeByCodeLetter : tables.sampleSizeByCodeLetter)[codeLetter],
    input.lotSize,
  );
  let sampleSize = sampledClasses.length > 0 ? Math.max(...sampledClasses.map((p) => p.sampleSize)) : letterSampleSize;
  if (input.severity === 'discontinued' || input.lotSize < 2) sampleSize = input.lotSize;
  for (const defectClass of DEFECT_CLASSES) {
    if (input.aqls[defectClass] <= 0) {
      plans[defectClass] = { aqlRequested: input.aqls[defectClass], aql: null, planCodeLetter: null, arrow: null, sampleSize, ac: 0, re: 1 };
    }
  }
  return {
    lotSize: input.lotSize,
    level: input.level,
    severity: input.severity,
    table,
    codeLetter,
    sampleSize,
    fullInspection: sampleSize >= input.lotSize,
    classes: plans,
  };
}

/** Whether a class is accepted with `defects` found: fewer than Re (with Re = Ac + 1, d ≤ Ac). */
export const classAccepted = (plan: ClassPlan, defects: number): boolean => defects < plan.re;
