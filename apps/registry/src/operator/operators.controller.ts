import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { MemberCredentials, type Registration, type RegistrationWithoutToken } from '../member/member-credentials.js';
import { findMember } from '../member/members.projection.js';
import { BOOTSTRAP_CREDENTIAL_STREAM, operatorStream, RegistryStreams } from '../registry.context.js';
import { RegisterOperatorDto } from './register-operator.dto.js';

export interface OperatorView {
  id: string;
  name: string;
  contactEmail: string | null;
  registeredAt: string;
}

/**
 * Operators are named members: registered by an operator (the first one with the bootstrap credential),
 * with expiring tokens managed like every member's (/registry/members/:id/tokens). Their id is what
 * events, the ledger and the audit record for what they do.
 */
@Controller('registry/operators')
@Roles('operator')
export class OperatorsController {
  constructor(
    private readonly streams: RegistryStreams,
    private readonly credentials: MemberCredentials,
  ) {}

  /** 201 `{ id, token, tokenId, expiresAt }` (role `operator`). `Idempotency-Key` honoured. */
  @Post()
  @HttpCode(201)
  async register(@Body() body: RegisterOperatorDto, @CurrentPrincipal() principal: Principal, @Headers('idempotency-key') key?: string): Promise<Registration | RegistrationWithoutToken> {
    return this.credentials.register('operator', principal, body, key, ({ memberId, grant, at, metadata, manager }) =>
      this.streams.operators.handle(
        operatorStream(memberId),
        { type: 'RegisterOperator', operatorId: memberId, name: body.name, contactEmail: body.contactEmail, registeredBy: principal.sub, token: grant, at },
        { metadata, manager },
      ),
    );
  }

  /**
   * Turns the bootstrap credential (MESHFAB_OPERATOR_TOKEN) off for good, on every service: only a named
   * operator may (so one exists to carry on). 204; again changes nothing.
   */
  @Post('bootstrap/disable')
  @HttpCode(204)
  async disableBootstrap(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.streams.bootstrapCredential.handle(
      BOOTSTRAP_CREDENTIAL_STREAM,
      { type: 'DisableBootstrapCredential', by: principal.sub, at: this.streams.now() },
      { metadata: { correlationId: BOOTSTRAP_CREDENTIAL_STREAM, causationId: `disable-bootstrap:${principal.sub}` } },
    );
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<OperatorView> {
    const operator = await findMember(this.streams.db.dataSource.manager, this.streams.schema, id, 'operator');
    if (!operator) throw new NotFound('operator', id);
    return { id: operator.id, name: operator.name, contactEmail: operator.contactEmail, registeredAt: operator.registeredAt };
  }
}
