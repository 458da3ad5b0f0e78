import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { InspectorViewDto, RegistrationDto } from '../member/member.dto.js';
import { assertOwnership, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { MemberCredentials } from '../member/member-credentials.js';
import { inspectorQualityStream, inspectorScore } from '../quality-record/domain/inspector-quality.decider.js';
import { inspectorStream, RegistryStreams } from '../registry.context.js';
import { RegisterInspectorDto, UpdateInspectorProfileDto } from './register-inspector.dto.js';

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
        {
          type: 'RegisterInspector',
          inspectorId: memberId,
          name: body.name,
          certifications: body.certifications ?? [],
          processes: body.processes ?? [],
          regions: body.regions ?? [],
          affiliations: body.affiliations ?? [],
          token: grant,
          at,
        },
        { metadata, manager },
      ),
    );
  }

  /** The inspector itself or an operator declares certifications, processes, regions and affiliations (replaced whole). */
  @Put(':id/profile')
  @Roles('operator', 'inspector')
  async updateProfile(@Param('id') id: string, @Body() body: UpdateInspectorProfileDto, @CurrentPrincipal() principal: Principal): Promise<InspectorViewDto> {
    assertOwnership(principal, id, 'inspector', id);
    await this.streams.inspectors.handle(
      inspectorStream(id),
      {
        type: 'UpdateInspectorProfile',
        inspectorId: id,
        certifications: body.certifications ?? [],
        processes: body.processes ?? [],
        regions: body.regions ?? [],
        affiliations: body.affiliations ?? [],
        by: principal.sub,
        at: this.streams.now(),
      },
      { metadata: { correlationId: id, causationId: `UpdateInspectorProfile:${principal.sub}` } },
    );
    return this.get(id, principal);
  }

  /** The inspector itself or an operator; anyone else gets the 404 of an inspector that does not exist. */
  @Get(':id')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<InspectorViewDto> {
    assertOwnership(principal, id, 'inspector', id);
    const { state } = await this.streams.inspectors.load(inspectorStream(id));
    if (state.status !== 'registered') throw new NotFound('inspector', id);
    const { state: q } = await this.streams.inspectorQuality.load(inspectorQualityStream(id));
    return {
      id: state.inspectorId,
      name: state.name,
      certifications: state.certifications,
      processes: state.processes,
      regions: state.regions,
      affiliations: state.affiliations,
      registeredAt: state.registeredAt,
      quality: { resultsRecorded: q.resultsRecorded, resultsDisputed: q.resultsDisputed, resultsOverturned: q.resultsOverturned, reinspections: q.reinspections, score: inspectorScore(q) },
    };
  }
}
