import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { DomainError, NotFound } from '#libs/domain';
import { AllowWhileSuspended, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { brandStream, inspectorStream, RegistryStreams, workshopStream } from '../registry.context.js';
import { ReasonDto } from '../workshop/workshop.dto.js';
import type { MemberSuspensionCommand } from './domain/member-suspension.js';
import { MemberSuspensionDto } from './member.dto.js';
import { MemberCredentials } from './member-credentials.js';

/**
 * Suspension of any member but an operator (an operator's tokens are revoked instead): an operator suspends and
 * reinstates, the suspended member appeals. Brands and inspectors record MemberSuspended / MemberReinstated /
 * MemberSuspensionAppealed in their own streams; a workshop its WorkshopSuspended & co. (the same as
 * `/registry/workshops/:id/suspend|reinstate|appeal`). Every event names the operator and the time.
 */
@Controller('registry/members/:memberId')
export class MemberSuspensionController {
  constructor(
    private readonly streams: RegistryStreams,
    private readonly credentials: MemberCredentials,
  ) {}

  /** `{ reason }`: from now on the member's tokens only read its own data and appeal, on every service. */
  @Post('suspend')
  @Roles('operator')
  @HttpCode(200)
  suspend(@Param('memberId') memberId: string, @Body() body: ReasonDto, @CurrentPrincipal() principal: Principal): Promise<MemberSuspensionDto> {
    return this.change({ type: 'SuspendMember', memberId, reason: body.reason, by: principal.sub, at: this.streams.now() }, principal);
  }

  /** `{ reason }`: restores everything the suspension froze. */
  @Post('reinstate')
  @Roles('operator')
  @HttpCode(200)
  reinstate(@Param('memberId') memberId: string, @Body() body: ReasonDto, @CurrentPrincipal() principal: Principal): Promise<MemberSuspensionDto> {
    return this.change({ type: 'ReinstateMember', memberId, reason: body.reason, by: principal.sub, at: this.streams.now() }, principal);
  }

  /** The suspended member itself (`{ reason }`): the one write its tokens may make; 409 when not suspended. */
  @Post('appeal')
  @AllowWhileSuspended()
  @HttpCode(200)
  appeal(@Param('memberId') memberId: string, @Body() body: ReasonDto, @CurrentPrincipal() principal: Principal): Promise<MemberSuspensionDto> {
    if (principal.sub !== memberId) throw new NotFound('member', memberId);
    return this.change({ type: 'AppealMemberSuspension', memberId, reason: body.reason, at: this.streams.now() }, principal);
  }

  private async change(command: MemberSuspensionCommand, principal: Principal): Promise<MemberSuspensionDto> {
    const role = await this.credentials.roleOf(command.memberId);
    const metadata = { correlationId: command.memberId, causationId: `${command.type}:${principal.sub}` };
    const suspended = command.type !== 'ReinstateMember';
    switch (role) {
      case 'brand':
        await this.streams.brands.handle(brandStream(command.memberId), command, { metadata });
        return { id: command.memberId, role, suspended };
      case 'inspector':
        await this.streams.inspectors.handle(inspectorStream(command.memberId), command, { metadata });
        return { id: command.memberId, role, suspended };
      case 'workshop':
        await this.streams.workshops.handle(workshopStream(command.memberId), asWorkshopCommand(command), { metadata });
        return { id: command.memberId, role, suspended };
      case 'operator':
      case 'service':
        throw new DomainError('member_not_suspendable', `a member of role ${role} is not suspended: revoke its tokens instead`, 'rejected');
    }
  }
}

function asWorkshopCommand(command: MemberSuspensionCommand) {
  const { memberId: workshopId, reason, at } = command;
  switch (command.type) {
    case 'SuspendMember':
      return { type: 'SuspendWorkshop' as const, workshopId, reason, by: command.by, at };
    case 'ReinstateMember':
      return { type: 'ReinstateWorkshop' as const, workshopId, reason, by: command.by, at };
    case 'AppealMemberSuspension':
      return { type: 'AppealSuspension' as const, workshopId, reason, at };
  }
}
