import { ApiQuery } from '@nestjs/swagger';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ValidationFailed } from '#libs/domain';
import { SAMPLING_TABLES } from '../config.js';
import { samplingPlan } from './sampling-plan.js';
import { TABLE_SEVERITIES, type SamplingTables, type TableSeverity } from './sampling-tables.js';

const number = (name: string, raw: string | undefined): number => {
  if (raw === undefined || raw.trim() === '') throw new ValidationFailed(name, 'is required');
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ValidationFailed(name, 'must be a number');
  return value;
};

/** The plan a lot would get, so a workshop knows in advance; any authenticated member may ask. */
@Controller('inspection/sampling-plans')
export class SamplingPlansController {
  constructor(@Inject(SAMPLING_TABLES) private readonly tables: SamplingTables) {}

  /** The ISO 2859-1 single sampling plan for a lot size, inspection level, AQL and severity. */
  @Get()
  @ApiQuery({ name: 'lotSize', required: true, description: 'Units in the lot (at least 2).', schema: { type: 'integer', minimum: 2 } })
  @ApiQuery({ name: 'level', required: true, description: 'Inspection level: I, II, III, S-1...S-4.', schema: { type: 'string' } })
  @ApiQuery({ name: 'aql', required: true, description: 'Acceptance quality limit (e.g. 2.5).', schema: { type: 'number' } })
  @ApiQuery({ name: 'severity', required: false, description: 'normal (default), tightened or reduced.', schema: { type: 'string', enum: ['normal', 'tightened', 'reduced'] } })
  get(@Query('lotSize') lotSize?: string, @Query('level') level?: string, @Query('aql') aql?: string, @Query('severity') severity?: string) {
    const size = number('lotSize', lotSize);
    if (!Number.isInteger(size) || size < 2) throw new ValidationFailed('lotSize', 'must be a whole number of at least 2');
    if (level === undefined || level === '') throw new ValidationFailed('level', `is required (one of ${this.tables.inspectionLevels.join(', ')})`);
    const aqlValue = number('aql', aql);
    const sev = severity ?? 'normal';
    if (!(TABLE_SEVERITIES as readonly string[]).includes(sev)) throw new ValidationFailed('severity', 'must be normal, tightened or reduced');
    const plan = samplingPlan(this.tables, { lotSize: size, level, aql: aqlValue, severity: sev as TableSeverity });
    return {
      codeLetter: plan.codeLetter,
      sampleSize: plan.sampleSize,
      ac: plan.ac,
      re: plan.re,
      planCodeLetter: plan.planCodeLetter,
      tableSampleSize: plan.tableSampleSize,
      fullInspection: plan.fullInspection,
      aql: plan.aql,
      level: plan.level,
      severity: plan.severity,
    };
  }
}
