import type { DomainEvent } from '#libs/domain';
import type { MemberTokenEvent } from '../../member/domain/member-tokens.js';

/**
 * A machine credential for one host of the network to call another where a handler allows role `service` (reading
 * another host's event feed), registered by an operator; its tokens expire, rotate and are revoked like any member's.
 */
export type ServiceCredentialRegistered = DomainEvent<'ServiceCredentialRegistered', { serviceCredentialId: string; name: string; registeredBy: string; registeredAt: string }>;

export type ServiceCredentialEvent = ServiceCredentialRegistered | MemberTokenEvent;
