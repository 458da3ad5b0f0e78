import type { DomainEvent } from '#libs/domain';
import type { MemberSuspensionEvent } from '../../member/domain/member-suspension.js';
import type { MemberTokenEvent } from '../../member/domain/member-tokens.js';

export type BrandRegistered = DomainEvent<'BrandRegistered', { brandId: string; name: string; contactEmail?: string; registeredAt: string }>;

export type BrandEvent = BrandRegistered | MemberTokenEvent | MemberSuspensionEvent;
