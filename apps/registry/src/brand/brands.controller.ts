import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { BrandViewDto, RegistrationDto } from '../member/member.dto.js';
import { assertOwnership, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { MemberCredentials } from '../member/member-credentials.js';
import { findMember } from '../member/members.projection.js';
import { brandStream, RegistryStreams } from '../registry.context.js';
import { RegisterBrandDto } from './register-brand.dto.js';

@Controller('registry/brands')
export class BrandsController {
  constructor(
    private readonly streams: RegistryStreams,
    private readonly credentials: MemberCredentials,
  ) {}

  /** Operator registers a brand; 201 `{ id, token }`. With `Idempotency-Key` a retry gets the same answer. */
  @Post()
  @Roles('operator')
  @HttpCode(201)
  async register(@Body() body: RegisterBrandDto, @CurrentPrincipal() principal: Principal, @Headers('idempotency-key') key?: string): Promise<RegistrationDto> {
    return this.credentials.register('brand', principal, body, key, ({ memberId, grant, at, metadata, manager }) =>
      this.streams.brands.handle(
        brandStream(memberId),
        { type: 'RegisterBrand', brandId: memberId, name: body.name, contactEmail: body.contactEmail, token: grant, at },
        { metadata, manager },
      ),
    );
  }

  /** The brand itself or an operator; anyone else gets the 404 of a brand that does not exist. */
  @Get(':id')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<BrandViewDto> {
    assertOwnership(principal, id, 'brand', id);
    const brand = await findMember(this.streams.db.dataSource.manager, this.streams.schema, id, 'brand');
    if (!brand) throw new NotFound('brand', id);
    return { id: brand.id, name: brand.name, contactEmail: brand.contactEmail, registeredAt: brand.registeredAt };
  }
}
