import { IsIn, IsInt, IsNumber, IsOptional, IsString, Min } from 'class-validator';
import { IntegrationEvent } from './contract-registry.js';

export const SEVERITIES = ['normal', 'tightened', 'reduced', 'discontinued'] as const;
export type Severity = (typeof SEVERITIES)[number];

export class InspectionOutcomeFacts {
  @IsString() inspectionLotId!: string;
  @IsString() subtaskId!: string;
  @IsString() orderId!: string;
  @IsString() brandId!: string;
  @IsString() stepId!: string;
  @IsString() process!: string;
  @IsString() workshopId!: string;
  @IsInt() @Min(0) lotSize!: number;
  @IsInt() @Min(0) sampleSize!: number;
  @IsIn(SEVERITIES) severity!: Severity;
}

export class InspectionPassedContract extends InspectionOutcomeFacts {
  /** Units handed on to the next step. */
  @IsInt() @Min(0) passedQuantity!: number;
  @IsString() inspectedAt!: string;
}
IntegrationEvent('inspection', 'InspectionPassed')(InspectionPassedContract);

export class InspectionFailedContract extends InspectionOutcomeFacts {
  @IsInt() @Min(0) criticalDefects!: number;
  @IsInt() @Min(0) majorDefects!: number;
  @IsInt() @Min(0) minorDefects!: number;
  /** What happens next by policy: the same shop reworks the lot, or the lot is re-planned elsewhere. */
  @IsIn(['rework', 'replan']) disposition!: 'rework' | 'replan';
  @IsString() inspectedAt!: string;
}
IntegrationEvent('inspection', 'InspectionFailed')(InspectionFailedContract);

export class InspectionSeverityChangedContract {
  @IsString() workshopId!: string;
  @IsString() process!: string;
  @IsIn(SEVERITIES) from!: Severity;
  @IsIn(SEVERITIES) to!: Severity;
  @IsString() reason!: string;
  @IsOptional() @IsNumber() switchingScore?: number;
}
IntegrationEvent('inspection', 'InspectionSeverityChanged')(InspectionSeverityChangedContract);
