import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { MemberTokenListDto, RegistrationDto } from './member.dto.js';
import { assertOwnership, CurrentPrincipal, type Principal } from '#libs/platform';
import { MemberCredentials } from './member-credentials.js';
import { assertMayChange } from './ownership.js';

@Controller('registry/members/:memberId/tokens')
export class MemberTokensController {
  constructor(private readonly credentials: MemberCredentials) {}

  /** Rotate: a new token; every other active token of the member is revoked at once. */
  @Post()
  async rotate(@Param('memberId') memberId: string, @CurrentPrincipal() principal: Principal): Promise<RegistrationDto> {
    assertMayChange(principal, memberId, 'member');
    return { id: memberId, ...(await this.credentials.rotate(memberId, principal)) };
  }

  /** Revokes one of the member's tokens: every service refuses it from then on. */
  @Delete(':tokenId')
  @HttpCode(204)
  async revoke(@Param('memberId') memberId: string, @Param('tokenId') tokenId: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    assertMayChange(principal, memberId, 'member');
    await this.credentials.revoke(memberId, tokenId, principal);
  }

  /** The member's tokens, oldest first, with when each expires or was revoked (never the tokens themselves). */
  @Get()
  async list(@Param('memberId') memberId: string, @CurrentPrincipal() principal: Principal): Promise<MemberTokenListDto> {
    assertOwnership(principal, memberId, 'member', memberId);
    await this.credentials.roleOf(memberId);
    return { items: await this.credentials.tokensOf(memberId) };
  }
}
