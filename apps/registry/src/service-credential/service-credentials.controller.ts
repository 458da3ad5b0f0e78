import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { MemberCredentials, type Registration, type RegistrationWithoutToken } from '../member/member-credentials.js';
import { findMember } from '../member/members.projection.js';
import { RegistryStreams, serviceCredentialStream } from '../registry.context.js';
import { RegisterServiceCredentialDto, ServiceCredentialViewDto } from './register-service-credential.dto.js';

/**
 * Service credentials: members of role `service` for one host to call another where a handler allows it (today:
 * `GET /admin/event-feed/:service`, which a consumer reads to rebuild events its Kafka topic lost), so the hosts
 * keep working once the bootstrap credential is disabled. Set the token as MESHFAB_SERVICE_TOKEN on the hosts;
 * rotate (`POST /registry/members/:id/tokens`) and revoke like any member's token. Operators only.
 */
@Controller('registry/service-credentials')
@Roles('operator')
export class ServiceCredentialsController {
  constructor(
    private readonly streams: RegistryStreams,
    private readonly credentials: MemberCredentials,
  ) {}

  /** 201 `{ id, token, tokenId, expiresAt }` (role `service`, MESHFAB_SERVICE_TOKEN_HOURS). `Idempotency-Key` honoured. */
  @Post()
  @HttpCode(201)
  register(@Body() body: RegisterServiceCredentialDto, @CurrentPrincipal() principal: Principal, @Headers('idempotency-key') key?: string): Promise<Registration | RegistrationWithoutToken> {
    return this.credentials.register('service', principal, body, key, ({ memberId, grant, at, metadata, manager }) =>
      this.streams.serviceCredentials.handle(
        serviceCredentialStream(memberId),
        { type: 'RegisterServiceCredential', serviceCredentialId: memberId, name: body.name, registeredBy: principal.sub, token: grant, at },
        { metadata, manager },
      ),
    );
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<ServiceCredentialViewDto> {
    const member = await findMember(this.streams.db.dataSource.manager, this.streams.schema, id, 'service');
    if (!member) throw new NotFound('service_credential', id);
    return { id: member.id, name: member.name, registeredAt: member.registeredAt };
  }
}
