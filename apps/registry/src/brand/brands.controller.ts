import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { ident } from '#libs/eventsourcing';
import { assertOwnership, CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { MemberCredentials } from '../member/member-credentials.js';
import { brandStream, RegistryStreams } from '../registry.context.js';
import { RegisterBrandDto } from './register-brand.dto.js';

export interface Registration {
  id: string;
  token: string;
  tokenId: string;
  expiresAt: string;
}

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
  async register(@Body() body: RegisterBrandDto, @CurrentPrincipal() principal: Principal, @Headers('idempotency-key') key?: string): Promise<Registration> {
    const run = async (manager?: EntityManager) => {
      const brandId = randomUUID();
      const at = this.streams.now();
      const grant = this.credentials.grant(at);
      await this.streams.brands.handle(
        brandStream(brandId),
        { type: 'RegisterBrand', brandId, name: body.name, contactEmail: body.contactEmail, token: grant, at },
        { metadata: { correlationId: brandId, causationId: `register-brand:${principal.sub}` }, manager },
      );
      const issued = await this.credentials.sign(brandId, 'brand', grant);
      return { status: 201, body: { id: brandId, ...issued } };
    };
    if (!key) return (await run()).body;
    return (await this.streams.db.idempotency.run(`register-brand:${principal.sub}`, key, body, run)).body;
  }

  /** The brand itself or an operator; anyone else gets the 404 of a brand that does not exist. */
  @Get(':id')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<{ id: string; name: string; contactEmail: string | null; registeredAt: string }> {
    assertOwnership(principal, id, 'brand', id);
    const rows: { member_id: string; name: string; contact_email: string | null; registered_at: Date }[] = await this.streams.db.dataSource.query(
      `SELECT member_id, name, contact_email, registered_at FROM ${ident(this.streams.schema)}.members WHERE member_id = $1 AND role = 'brand'`,
      [id],
    );
    if (rows.length === 0) throw new NotFound('brand', id);
    const [row] = rows;
    return { id: row.member_id, name: row.name, contactEmail: row.contact_email, registeredAt: row.registered_at.toISOString() };
  }
}
