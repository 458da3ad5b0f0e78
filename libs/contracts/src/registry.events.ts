import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { LocationDto, MoneyDto } from './common.dto.js';
import { IntegrationEvent } from './contract-registry.js';
import { hourlyLotPriceMinor, unitLotPriceMinor } from './lot-price.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class BrandRegisteredContract {
  @IsString() brandId!: string;
  @IsString() name!: string;
}
IntegrationEvent('registry', 'BrandRegistered')(BrandRegisteredContract);

export class WorkshopRegisteredContract {
  @IsString() workshopId!: string;
  @IsString() name!: string;
  @ValidateNested() @Type(() => LocationDto) location!: LocationDto;
  @IsArray() @IsString({ each: true }) certifications!: string[];
}
IntegrationEvent('registry', 'WorkshopRegistered')(WorkshopRegisteredContract);

export class CapabilityDto {
  /** Known process id from the registry's catalogue (`cutting`, `sewing`, `cnc-milling`, …). */
  @IsString() process!: string;
  @IsObject() parameters!: Record<string, unknown>;
  /** Throughput as hours of shop time per unit of reference work content (1.0 = as the route says). */
  @IsNumber() @Min(0.01) efficiency!: number;
  @IsIn(['per_unit', 'per_hour']) pricing!: 'per_unit' | 'per_hour';
  /** Price per unit or per machine-hour, by `pricing`. */
  @ValidateNested() @Type(() => MoneyDto) price!: MoneyDto;
}

/** The workshop's full capability list after a change (replaces the previous list). */
export class WorkshopCapabilitiesChangedContract {
  @IsString() workshopId!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => CapabilityDto) capabilities!: CapabilityDto[];
}
IntegrationEvent('registry', 'WorkshopCapabilitiesChanged')(WorkshopCapabilitiesChangedContract);

export class CapacityExceptionDto {
  @Matches(DATE) date!: string;
  @IsNumber() @Min(0) hours!: number;
}

/** Hours per day the workshop shares for a process from a date on, with per-day exceptions. */
export class CapacityDeclaredContract {
  @IsString() workshopId!: string;
  @IsString() process!: string;
  @IsNumber() @Min(0) hoursPerDay!: number;
  @Matches(DATE) from!: string;
  @IsOptional() @Matches(DATE) until?: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => CapacityExceptionDto) exceptions!: CapacityExceptionDto[];
}
IntegrationEvent('registry', 'CapacityDeclared')(CapacityDeclaredContract);

export class CapacityWithdrawnContract {
  @IsString() workshopId!: string;
  @IsString() process!: string;
  @Matches(DATE) from!: string;
  @Matches(DATE) until!: string;
}
IntegrationEvent('registry', 'CapacityWithdrawn')(CapacityWithdrawnContract);

/**
 * An operator suspended the workshop: from now on its tokens may only read its own data and appeal (every
 * other write is a 403 `member_suspended`, token rotation included), matching withdraws its open offers and
 * re-plans them, settlement holds its payouts. `suspendedBy` (the operator's member id) and `suspendedAt`
 * were added by issue 17 (optional for older events).
 */
export class WorkshopSuspendedContract {
  @IsString() workshopId!: string;
  @IsString() reason!: string;
  @IsOptional() @IsString() suspendedBy?: string;
  @IsOptional() @IsString() suspendedAt?: string;
}
IntegrationEvent('registry', 'WorkshopSuspended')(WorkshopSuspendedContract);

export class WorkshopReinstatedContract {
  @IsString() workshopId!: string;
  /** Why the operator reinstated the workshop (added by the registry; optional for older events). */
  @IsOptional() @IsString() reason?: string;
  /** Who reinstated it and when (issue 17; optional for older events). Everything the suspension froze is restored. */
  @IsOptional() @IsString() reinstatedBy?: string;
  @IsOptional() @IsString() reinstatedAt?: string;
}
IntegrationEvent('registry', 'WorkshopReinstated')(WorkshopReinstatedContract);

/**
 * An operator suspended a brand or an inspector (a workshop's suspension is WorkshopSuspended): its tokens may only
 * read its own data and appeal on every service; a suspended inspector's open assignments are given to others.
 */
export class MemberSuspendedContract {
  @IsString() memberId!: string;
  @IsIn(['brand', 'inspector']) role!: 'brand' | 'inspector';
  @IsString() reason!: string;
  @IsString() suspendedBy!: string;
  @IsString() suspendedAt!: string;
}
IntegrationEvent('registry', 'MemberSuspended')(MemberSuspendedContract);

/** An operator reinstated a suspended brand or inspector: everything the suspension froze is restored. */
export class MemberReinstatedContract {
  @IsString() memberId!: string;
  @IsIn(['brand', 'inspector']) role!: 'brand' | 'inspector';
  @IsString() reason!: string;
  @IsString() reinstatedBy!: string;
  @IsString() reinstatedAt!: string;
}
IntegrationEvent('registry', 'MemberReinstated')(MemberReinstatedContract);

export class MemberTokenRevokedContract {
  @IsString() memberId!: string;
  @IsString() tokenId!: string;
}
IntegrationEvent('registry', 'MemberTokenRevoked')(MemberTokenRevokedContract);

/** A workshop's quality record per process, recomputed from inspection results. */
export class WorkshopQualityRecordUpdatedContract {
  @IsString() workshopId!: string;
  @IsString() process!: string;
  @IsInt() @Min(0) lotsInspected!: number;
  @IsInt() @Min(0) lotsPassed!: number;
  /** 0..1, higher is better; what matching weighs as risk. */
  @IsNumber() @Min(0) score!: number;
  /**
   * Deliveries (first completions from matching's `SubtaskCompleted`; rework rounds are not counted), those
   * completed by their due time, and their ratio (0 while nothing was delivered). Added by the registry;
   * absent on older events.
   */
  @IsOptional() @IsInt() @Min(0) deliveries?: number;
  @IsOptional() @IsInt() @Min(0) onTimeDeliveries?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) onTimeRate?: number;
  /**
   * Results of its lots disputed (by its brand or itself) and results a dispute's re-inspection overturned (issue 17);
   * an overturned result also corrects `lotsPassed`. Absent on older events.
   */
  @IsOptional() @IsInt() @Min(0) disputes?: number;
  @IsOptional() @IsInt() @Min(0) overturnedResults?: number;
}
IntegrationEvent('registry', 'WorkshopQualityRecordUpdated')(WorkshopQualityRecordUpdatedContract);

// ---------------------------------------------------------------------------------------------
// Added by the registry service (issue 3). Nothing above was renamed or removed.
// ---------------------------------------------------------------------------------------------

/** A workshop's public profile after a change by the workshop itself or an operator. */
export class WorkshopProfileUpdatedContract {
  @IsString() workshopId!: string;
  @IsString() name!: string;
  @ValidateNested() @Type(() => LocationDto) location!: LocationDto;
  @IsArray() @IsString({ each: true }) certifications!: string[];
}
IntegrationEvent('registry', 'WorkshopProfileUpdated')(WorkshopProfileUpdatedContract);

/**
 * An operator registered an inspector as a network member (role `inspector`). Inspection may use it to
 * know who records results (`inspectorId` is the principal of the result) and what they are certified for.
 */
export class InspectorRegisteredContract {
  @IsString() inspectorId!: string;
  @IsString() name!: string;
  @IsArray() @IsString({ each: true }) certifications!: string[];
  /**
   * What inspection assigns lots by (issue 17; absent on older events = none): the catalogue processes the
   * inspector is certified to inspect, the regions it works in (empty = every region), and the members
   * (brands, workshops) it is tied to, whose lots it is never assigned.
   */
  @IsOptional() @IsArray() @IsString({ each: true }) processes?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) regions?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) affiliations?: string[];
}
IntegrationEvent('registry', 'InspectorRegistered')(InspectorRegisteredContract);

/** The inspector's declaration after a change by itself or an operator (replaces the previous one whole). */
export class InspectorProfileUpdatedContract {
  @IsString() inspectorId!: string;
  @IsArray() @IsString({ each: true }) certifications!: string[];
  @IsArray() @IsString({ each: true }) processes!: string[];
  @IsArray() @IsString({ each: true }) regions!: string[];
  @IsArray() @IsString({ each: true }) affiliations!: string[];
  @IsString() updatedAt!: string;
  /** Member id of who changed it (the inspector or an operator). */
  @IsString() by!: string;
}
IntegrationEvent('registry', 'InspectorProfileUpdated')(InspectorProfileUpdatedContract);


/**
 * An inspector's quality record (issue 17), recomputed from inspection's results and dispute outcomes:
 * results it recorded, how many were disputed, how many a re-inspection overturned, and a score 0..1.
 */
export class InspectorQualityRecordUpdatedContract {
  @IsString() inspectorId!: string;
  @IsInt() @Min(0) resultsRecorded!: number;
  @IsInt() @Min(0) resultsDisputed!: number;
  @IsInt() @Min(0) resultsOverturned!: number;
  @IsInt() @Min(0) reinspections!: number;
  @IsNumber() @Min(0) @Max(1) score!: number;
  @IsString() updatedAt!: string;
}
IntegrationEvent('registry', 'InspectorQualityRecordUpdated')(InspectorQualityRecordUpdatedContract);

/**
 * The processes a workshop may offer and a route step may name. Unknown ids are refused (with the
 * close matches) by the registry; other services may use the same list.
 */
export const PROCESS_CATALOGUE = [
  'cutting',
  'sewing',
  'knitting',
  'weaving',
  'embroidery',
  'screen-printing',
  'digital-printing',
  'dyeing',
  'washing',
  'ironing',
  'cnc-milling',
  'cnc-turning',
  'laser-cutting',
  'sheet-metal-bending',
  'stamping',
  'welding',
  'casting',
  'forging',
  'injection-molding',
  '3d-printing',
  'grinding',
  'drilling',
  'polishing',
  'anodizing',
  'powder-coating',
  'painting',
  'electroplating',
  'heat-treatment',
  'assembly',
  'pcb-assembly',
  'testing',
  'packing',
] as const;
export type ProcessId = (typeof PROCESS_CATALOGUE)[number];

/**
 * The price of one lot at one workshop, the same way for both pricing models:
 *
 * - `per_unit`: `price × quantity`.
 * - `per_hour` (pay for the machine-hours used): `price × shop hours`, where
 *   `shop hours = quantity × workContentHoursPerUnit × efficiency` (the route step's work content at
 *   reference efficiency, times this workshop's hours per unit of reference work content).
 *
 * Computed exactly and rounded half up to the minor unit once per lot, never below zero: the same
 * function matching's planner prices lots with (lot-price.ts).
 */
export function capabilityLotPrice(
  capability: Pick<CapabilityDto, 'pricing' | 'price' | 'efficiency'>,
  quantity: number,
  workContentHoursPerUnit: number,
): MoneyDto {
  const amountMinor =
    capability.pricing === 'per_unit'
      ? unitLotPriceMinor(capability.price.amountMinor, quantity)
      : hourlyLotPriceMinor(capability.price.amountMinor, capability.efficiency, workContentHoursPerUnit, quantity);
  return { amountMinor, currency: capability.price.currency };
}
