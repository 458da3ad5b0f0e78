import type { MemberSuspensionCommand } from '../../member/domain/member-suspension.js';
import type { MemberTokenCommand, TokenGrant } from '../../member/domain/member-tokens.js';

export interface RegisterBrand {
  type: 'RegisterBrand';
  brandId: string;
  name: string;
  contactEmail?: string;
  token: TokenGrant;
  at: string;
}

export type BrandCommand = RegisterBrand | MemberTokenCommand | MemberSuspensionCommand;
