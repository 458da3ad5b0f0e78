import type { MemberTokenCommand, TokenGrant } from '../../member/domain/member-tokens.js';
import type { Capability, CapacityException, Location } from './workshop.events.js';

export interface RegisterWorkshop {
  type: 'RegisterWorkshop';
  workshopId: string;
  name: string;
  location: Location;
  certifications: string[];
  capabilities: Capability[];
  token: TokenGrant;
  at: string;
}

/** Fields left out keep their value. */
export interface UpdateWorkshopProfile {
  type: 'UpdateWorkshopProfile';
  workshopId: string;
  name?: string;
  location?: Location;
  certifications?: string[];
  at: string;
}

export interface SetCapabilities {
  type: 'SetCapabilities';
  workshopId: string;
  capabilities: Capability[];
  at: string;
}

export interface DeclareCapacity {
  type: 'DeclareCapacity';
  workshopId: string;
  process: string;
  hoursPerDay: number;
  from: string;
  until?: string;
  exceptions: CapacityException[];
  at: string;
}

export interface WithdrawCapacity {
  type: 'WithdrawCapacity';
  workshopId: string;
  process: string;
  from: string;
  until: string;
  at: string;
}

export interface SuspendWorkshop {
  type: 'SuspendWorkshop';
  workshopId: string;
  reason: string;
  /** The operator. */
  by: string;
  at: string;
}

export interface ReinstateWorkshop {
  type: 'ReinstateWorkshop';
  workshopId: string;
  reason: string;
  by: string;
  at: string;
}

export interface AppealSuspension {
  type: 'AppealSuspension';
  workshopId: string;
  reason: string;
  at: string;
}

export type WorkshopCommand =
  | RegisterWorkshop
  | UpdateWorkshopProfile
  | SetCapabilities
  | DeclareCapacity
  | WithdrawCapacity
  | SuspendWorkshop
  | ReinstateWorkshop
  | AppealSuspension
  | MemberTokenCommand;
