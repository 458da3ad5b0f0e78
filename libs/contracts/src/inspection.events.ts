import { IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Min } from 'class-validator';
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
  /**
   * Until when the brand or the workshop may dispute the result (issue 17; absent on older events: none). Equal to
   * inspectedAt when disputes are off, in which case InspectionResultFinal follows at once.
   */
  @IsOptional() @IsString() disputeWindowEndsAt?: string;
}
IntegrationEvent('inspection', 'InspectionPassed')(InspectionPassedContract);

export class InspectionFailedContract extends InspectionOutcomeFacts {
  @IsInt() @Min(0) criticalDefects!: number;
  @IsInt() @Min(0) majorDefects!: number;
  @IsInt() @Min(0) minorDefects!: number;
  /** What happens next by policy: the same shop reworks the lot, or the lot is re-planned elsewhere. */
  @IsIn(['rework', 'replan']) disposition!: 'rework' | 'replan';
  @IsString() inspectedAt!: string;
  @IsOptional() @IsString() disputeWindowEndsAt?: string;
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

export const OUTCOMES = ['passed', 'failed'] as const;
export type InspectionOutcome = (typeof OUTCOMES)[number];

/**
 * The lot's brand or workshop disputed its result within the window (issue 17). Another inspector (not the
 * original, tied to neither party) re-inspects; InspectionDisputeResolved follows with the final outcome.
 * Settlement: the lot's payment stays held (a pass's) until the outcome is final.
 */
export class InspectionDisputedContract extends InspectionOutcomeFacts {
  @IsIn(['brand', 'workshop']) party!: 'brand' | 'workshop';
  /** Member id of the disputing brand or workshop. */
  @IsString() disputedBy!: string;
  @IsString() reason!: string;
  @IsIn(OUTCOMES) originalOutcome!: InspectionOutcome;
  @IsString() originalInspectorId!: string;
  @IsString() disputeWindowEndsAt!: string;
  @IsString() disputedAt!: string;
  /** References to the evidence the party brought ({ kind, ref, note? }). */
  @IsOptional() @IsArray() evidence?: unknown[];
}
IntegrationEvent('inspection', 'InspectionDisputed')(InspectionDisputedContract);

/**
 * The re-inspection of a disputed result: `finalOutcome` is final; `overturned` when it differs from
 * `originalOutcome` (an overturned pass: the workshop is not owed the lot; an overturned fail: it is).
 * Emitted in the same transaction as InspectionResultFinal (finalBecause 'dispute_resolved').
 */
export class InspectionDisputeResolvedContract extends InspectionOutcomeFacts {
  @IsIn(['brand', 'workshop']) party!: 'brand' | 'workshop';
  @IsString() disputedBy!: string;
  @IsIn(OUTCOMES) originalOutcome!: InspectionOutcome;
  @IsIn(OUTCOMES) finalOutcome!: InspectionOutcome;
  @IsBoolean() overturned!: boolean;
  @IsString() originalInspectorId!: string;
  @IsString() reinspectorId!: string;
  @IsInt() @Min(0) criticalDefects!: number;
  @IsInt() @Min(0) majorDefects!: number;
  @IsInt() @Min(0) minorDefects!: number;
  /** Units the final outcome hands on (0 on a fail). */
  @IsInt() @Min(0) passedQuantity!: number;
  @IsString() resolvedAt!: string;
}
IntegrationEvent('inspection', 'InspectionDisputeResolved')(InspectionDisputeResolvedContract);

/**
 * The lot's outcome can no longer change (issue 17): its dispute window closed undisputed
 * (`finalBecause: 'dispute_window_closed'`, from the sweep; at once with the result when the window is 0) or a
 * dispute was resolved (`'dispute_resolved'`, `overturned` says whether the outcome changed). What settlement
 * releases a held pass by: outcome 'passed' → pay the workshop; outcome 'failed' after an overturned pass → the
 * held payment goes back to the brand (or is clawed back if already released).
 */
export class InspectionResultFinalContract extends InspectionOutcomeFacts {
  @IsIn(OUTCOMES) outcome!: InspectionOutcome;
  @IsIn(['dispute_window_closed', 'dispute_resolved']) finalBecause!: 'dispute_window_closed' | 'dispute_resolved';
  @IsBoolean() overturned!: boolean;
  @IsInt() @Min(0) passedQuantity!: number;
  @IsString() finalAt!: string;
}
IntegrationEvent('inspection', 'InspectionResultFinal')(InspectionResultFinalContract);
