import type { DomainEvent } from '#libs/domain';
import type { MemberTokenEvent } from '../../member/domain/member-tokens.js';

/** Same shape as InspectorRegisteredContract (published), plus when. */
export type InspectorRegistered = DomainEvent<'InspectorRegistered', { inspectorId: string; name: string; certifications: string[]; registeredAt: string }>;

export type InspectorEvent = InspectorRegistered | MemberTokenEvent;
