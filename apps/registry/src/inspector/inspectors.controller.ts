import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { InspectorViewDto, RegistrationDto } from '../member/member.dto.js';
import { assertOwnership, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { MemberCredentials } from '../member/member-credentials.js';
import { findMember } from '../member/members.projection.js';
import { inspectorStream, RegistryStreams } from '../registry.context.js';
import { RegisterInspectorDto } from './register-inspector.dto.js';

export interface InspectorView {
  id: string;
  name: string;
  certifications: string[];
  registeredAt: string;
}

/** Inspectors are members like brands: registered by an operator, tokens through /registry/members/:id/tokens. */
@Controller('registry/inspectors')
export class InspectorsController {
  constructor(
    private readonly streams: RegistryStreams,
    private readonly credentials: MemberCredentials,
  ) {}

  /** Operator registers an inspector; 201 `{ id, token, tokenId, expiresAt }` (role `inspector`). `Idempotency-Key` honoured. */
  @Post()
  @Roles('operator')
  @HttpCode(201)
  async register(@Body() body: RegisterInspectorDto, @CurrentPrincipal() principal: Principal, @Headers('idempotency-key') key?: string): Promise<RegistrationDto> {
    return this.credentials.register('inspector', principal, body, key, ({ memberId, grant, at, metadata, manager }) =>
      this.streams.inspectors.handle(
        inspectorStream(memberId),
        { type: 'RegisterInspector', inspectorId: memberId, name: body.name, certifications: body.certifications ?? [], token: grant, at },
        { metadata, manager },
      ),
    );
  }

  /** The inspector itself or an operator; anyone else gets the 404 of an inspector that does not exist. */
  @Get(':id')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<InspectorViewDto> {
    assertOwnership(principal, id, 'inspector', id);
    const inspector = await findMember(this.streams.db.dataSource.manager, this.streams.schema, id, 'inspector');
    if (!inspector) throw new NotFound('inspector', id);
    return { id: inspector.id, name: inspector.name, certifications: inspector.certifications, registeredAt: inspector.registeredAt };
  }
}
