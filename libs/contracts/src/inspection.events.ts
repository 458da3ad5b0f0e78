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
  /** 0 for the first inspection of the subtask's lot; n for the n-th re-inspection after rework. */
  @IsOptional() @IsInt() @Min(0) reworkRound?: number;
  /** The inspector (member id) who recorded the result. */
  @IsOptional() @IsString() inspectorId?: string;
  /** Units actually examined (≥ sampleSize, the plan's n). */
  @IsOptional() @IsInt() @Min(0) sampled?: number;
  /** ISO 2859-1 Table 1 code letter of the lot's plan. */
  @IsOptional() @IsString() codeLetter?: string;
}

export class InspectionPassedContract extends InspectionOutcomeFacts {
  /** Units handed on to the next step. */
  @IsInt() @Min(0) passedQuantity!: number;
  @IsString() inspectedAt!: string;
  /** Defects found in the sample per class (each within its acceptance number). */
  @IsOptional() @IsInt() @Min(0) criticalDefects?: number;
  @IsOptional() @IsInt() @Min(0) majorDefects?: number;
  @IsOptional() @IsInt() @Min(0) minorDefects?: number;
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
  /** The inspection lot whose result caused the change (absent for an operator's reinstatement). */
  @IsOptional() @IsString() inspectionLotId?: string;
  /** The operator who reinstated inspection after a discontinuation. */
  @IsOptional() @IsString() by?: string;
  @IsOptional() @IsString() changedAt?: string;
}
IntegrationEvent('inspection', 'InspectionSeverityChanged')(InspectionSeverityChangedContract);
