import type { DomainEvent } from '#libs/domain';
import type { MemberTokenEvent, MemberTokenRevoked } from '../../member/domain/member-tokens.js';

/** A named person who operates the network: registered by another operator (the first one by the bootstrap credential). */
export type OperatorRegistered = DomainEvent<'OperatorRegistered', { operatorId: string; name: string; contactEmail?: string; registeredBy: string; registeredAt: string }>;

export type OperatorEvent = OperatorRegistered | MemberTokenEvent;

/**
 * The bootstrap credential (MESHFAB_OPERATOR_TOKEN) stops working for good: a named operator turned it off.
 * Its revocation is published as a MemberTokenRevoked of {@link BOOTSTRAP_TOKEN_ID}, which every service's
 * revocation list hears.
 */
export type BootstrapCredentialDisabled = DomainEvent<'BootstrapCredentialDisabled', { disabledBy: string; disabledAt: string }>;
export type BootstrapEvent = BootstrapCredentialDisabled | MemberTokenRevoked;
