import type { DomainEvent } from '#libs/domain';
import type { MemberSuspensionEvent } from '../../member/domain/member-suspension.js';
import type { MemberTokenEvent } from '../../member/domain/member-tokens.js';

/**
 * What an inspector declares and the network assigns lots by: the processes it is certified to inspect
 * (catalogue ids), the regions it works in (empty: every region) and the members (brands, workshops) it
 * is tied to (never assigned their lots).
 */
export interface InspectorQualifications {
  processes: string[];
  regions: string[];
  affiliations: string[];
}

/** Same shape as InspectorRegisteredContract (published), plus when. Events stored before qualifications have none. */
export type InspectorRegistered = DomainEvent<
  'InspectorRegistered',
  { inspectorId: string; name: string; certifications: string[]; registeredAt: string } & Partial<InspectorQualifications>
>;

/** The inspector's declared certifications and qualifications after a change (published, contract InspectorProfileUpdated). */
export type InspectorProfileUpdated = DomainEvent<
  'InspectorProfileUpdated',
  { inspectorId: string; certifications: string[]; updatedAt: string; by: string } & InspectorQualifications
>;

export type InspectorEvent = InspectorRegistered | InspectorProfileUpdated | MemberTokenEvent | MemberSuspensionEvent;
