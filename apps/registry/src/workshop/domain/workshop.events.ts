import type { DomainEvent } from '#libs/domain';
import type { MemberTokenEvent } from '../../member/domain/member-tokens.js';

export interface Location {
  lat: number;
  lng: number;
  region?: string;
  city?: string;
}

export interface Money {
  amountMinor: number;
  currency: 'CNY' | 'USD' | 'EUR';
}

/** One process a workshop offers. `efficiency` = shop hours per hour of reference work content. */
export interface Capability {
  process: string;
  parameters: Record<string, unknown>;
  efficiency: number;
  pricing: 'per_unit' | 'per_hour';
  price: Money;
}

export interface CapacityException {
  date: string;
  hours: number;
}

export type WorkshopRegistered = DomainEvent<
  'WorkshopRegistered',
  { workshopId: string; name: string; location: Location; certifications: string[]; registeredAt: string }
>;
export type WorkshopProfileUpdated = DomainEvent<
  'WorkshopProfileUpdated',
  { workshopId: string; name: string; location: Location; certifications: string[] }
>;
export type WorkshopCapabilitiesChanged = DomainEvent<'WorkshopCapabilitiesChanged', { workshopId: string; capabilities: Capability[] }>;
export type CapacityDeclared = DomainEvent<
  'CapacityDeclared',
  { workshopId: string; process: string; hoursPerDay: number; from: string; until?: string; exceptions: CapacityException[] }
>;
export type CapacityWithdrawn = DomainEvent<'CapacityWithdrawn', { workshopId: string; process: string; from: string; until: string; reason: string }>;
/** `suspendedBy` / `reinstatedBy`: the operator's member id (absent on events before issue 17). */
export type WorkshopSuspended = DomainEvent<'WorkshopSuspended', { workshopId: string; reason: string; suspendedAt: string; suspendedBy?: string }>;
export type WorkshopReinstated = DomainEvent<'WorkshopReinstated', { workshopId: string; reason: string; reinstatedAt: string; reinstatedBy?: string }>;
/** The suspended workshop asks to be reinstated (the one write a suspended member may make). */
export type WorkshopSuspensionAppealed = DomainEvent<'WorkshopSuspensionAppealed', { workshopId: string; reason: string; appealedAt: string }>;

export type WorkshopEvent =
  | WorkshopRegistered
  | WorkshopProfileUpdated
  | WorkshopCapabilitiesChanged
  | CapacityDeclared
  | CapacityWithdrawn
  | WorkshopSuspended
  | WorkshopReinstated
  | WorkshopSuspensionAppealed
  | MemberTokenEvent;
