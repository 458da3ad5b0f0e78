import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFound } from '#libs/domain';
import { ident, type EventMetadata } from '#libs/eventsourcing';
import type { Principal, TokenRevocationCheck } from '#libs/platform';
import { brandStream, inspectorStream, operatorStream, RegistryStreams, serviceCredentialStream, workshopStream } from '../registry.context.js';
import type { MemberRole, MemberTokenCommand, TokenGrant } from './domain/member-tokens.js';

export interface IssuedToken {
  tokenId: string;
  token: string;
  expiresAt: string;
}

/** The answer to a registration: the new member's id and its first token. */
export interface Registration extends IssuedToken {
  id: string;
}

/**
 * What a replay of a registration answers when the stored token cannot be opened any more (the registry's
 * signing key was rotated since): the member without its token, and how to get one.
 */
export interface RegistrationWithoutToken extends Omit<Registration, 'token'> {
  token?: undefined;
  tokenUnavailable: string;
}

/** A registration answer as `idempotency_keys` keeps it: the token sealed (see TokenSeal). */
interface StoredRegistration extends Omit<Registration, 'token'> {
  sealedToken: string;
}

/** Appends the registration to the new member's stream (in `manager`'s transaction when given). */
export type AppendRegistration = (registration: { memberId: string; grant: TokenGrant; at: string; metadata: EventMetadata; manager?: EntityManager }) => Promise<unknown>;

/** Registers members, issues, rotates and revokes their tokens; answers the AuthGuard's "is this token revoked?". */
@Injectable()
export class MemberCredentials implements TokenRevocationCheck {
  constructor(private readonly streams: RegistryStreams) {}

  grant(at: string, role: MemberRole): TokenGrant {
    const { MESHFAB_MEMBER_TOKEN_HOURS, MESHFAB_OPERATOR_TOKEN_HOURS, MESHFAB_SERVICE_TOKEN_HOURS } = this.streams.settings.config;
    const hours = role === 'operator' ? MESHFAB_OPERATOR_TOKEN_HOURS : role === 'service' ? MESHFAB_SERVICE_TOKEN_HOURS : MESHFAB_MEMBER_TOKEN_HOURS;
    return { tokenId: randomUUID(), issuedAt: at, expiresAt: new Date(Date.parse(at) + hours * 3_600_000).toISOString() };
  }

  async sign(memberId: string, role: MemberRole, grant: TokenGrant): Promise<IssuedToken> {
    const expiresIn = Math.max(1, Math.round((Date.parse(grant.expiresAt) - this.streams.settings.clock().getTime()) / 1000));
    const token = await this.streams.settings.tokens.issue({ sub: memberId, role, tokenId: grant.tokenId, expiresIn });
    return { tokenId: grant.tokenId, token, expiresAt: grant.expiresAt };
  }

  /**
   * Every role registers the same way: a new member id and a first token, the member's own stream
   * appended by `append`, the signed token answered. With an `Idempotency-Key` a retry with the same
   * body gets the same answer (the same token); another body with the same key is a 409. The answer is
   * kept with the token sealed (never in plain text); a replay opens it, or, once the signing key has been
   * rotated, answers the member without it.
   */
  async register(role: MemberRole, principal: Principal, body: object, key: string | undefined, append: AppendRegistration): Promise<Registration | RegistrationWithoutToken> {
    const run = async (manager?: EntityManager): Promise<Registration> => {
      const memberId = randomUUID();
      const at = this.streams.now();
      const grant = this.grant(at, role);
      await append({ memberId, grant, at, metadata: { correlationId: memberId, causationId: `register-${role}:${principal.sub}` }, manager });
      return { id: memberId, ...(await this.sign(memberId, role, grant)) };
    };
    if (!key) return run();
    const scope = `register-${role}:${principal.sub}`;
    const context = `${scope}\u0000${key}`;
    let fresh: Registration | undefined;
    const answer = await this.streams.db.idempotency.run<StoredRegistration>(scope, key, body, async (manager) => {
      fresh = await run(manager);
      const { token, ...rest } = fresh;
      return { status: 201, body: { ...rest, sealedToken: this.streams.settings.seal.seal(token, context) } };
    });
    if (fresh) return fresh;
    const { sealedToken, ...member } = answer.body;
    const token = this.streams.settings.seal.open(sealedToken, context);
    if (token !== undefined) return { ...member, token };
    return { ...member, tokenUnavailable: `the registry's signing key changed since this member was registered: get a new token with POST /registry/members/${member.id}/tokens` };
  }

  async roleOf(memberId: string, manager?: EntityManager): Promise<MemberRole> {
    const rows: { role: MemberRole }[] = await (manager ?? this.streams.db.dataSource.manager).query(
      `SELECT role FROM ${ident(this.streams.schema)}.members WHERE member_id = $1`,
      [memberId],
    );
    if (rows.length === 0) throw new NotFound('member', memberId);
    return rows[0].role;
  }

  async rotate(memberId: string, principal: Principal): Promise<IssuedToken> {
    const role = await this.roleOf(memberId);
    const grant = this.grant(this.streams.now(), role);
    await this.handleTokens(role, { type: 'RotateMemberToken', memberId, token: grant }, { correlationId: memberId, causationId: `rotate-token:${principal.sub}` });
    return this.sign(memberId, role, grant);
  }

  async revoke(memberId: string, tokenId: string, principal: Principal): Promise<void> {
    const role = await this.roleOf(memberId);
    await this.handleTokens(role, { type: 'RevokeMemberToken', memberId, tokenId, at: this.streams.now() }, { correlationId: memberId, causationId: `revoke-token:${principal.sub}` });
  }

  /** A member's tokens live in the member's own stream, whatever its role. */
  private async handleTokens(role: MemberRole, command: MemberTokenCommand, metadata: EventMetadata): Promise<void> {
    switch (role) {
      case 'brand':
        await this.streams.brands.handle(brandStream(command.memberId), command, { metadata });
        return;
      case 'workshop':
        await this.streams.workshops.handle(workshopStream(command.memberId), command, { metadata });
        return;
      case 'inspector':
        await this.streams.inspectors.handle(inspectorStream(command.memberId), command, { metadata });
        return;
      case 'operator':
        await this.streams.operators.handle(operatorStream(command.memberId), command, { metadata });
        return;
      case 'service':
        await this.streams.serviceCredentials.handle(serviceCredentialStream(command.memberId), command, { metadata });
        return;
    }
  }

  async tokensOf(memberId: string): Promise<{ tokenId: string; issuedAt: string; expiresAt: string; revokedAt: string | null }[]> {
    const rows: { token_id: string; issued_at: Date; expires_at: Date; revoked_at: Date | null }[] = await this.streams.db.dataSource.query(
      `SELECT token_id, issued_at, expires_at, revoked_at FROM ${ident(this.streams.schema)}.member_tokens WHERE member_id = $1 ORDER BY issued_at, token_id`,
      [memberId],
    );
    return rows.map((r) => ({ tokenId: r.token_id, issuedAt: r.issued_at.toISOString(), expiresAt: r.expires_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null }));
  }

  /** A suspended workshop's, brand's or inspector's tokens may only read and appeal (the AuthGuard asks for writes). */
  async isSuspended(principal: Principal): Promise<boolean> {
    const s = ident(this.streams.schema);
    let rows: unknown[];
    if (principal.role === 'workshop') {
      rows = await this.streams.db.dataSource.query(`SELECT 1 FROM ${s}.workshops WHERE workshop_id = $1 AND status = 'suspended'`, [principal.sub]);
    } else if (principal.role === 'brand' || principal.role === 'inspector') {
      rows = await this.streams.db.dataSource.query(`SELECT 1 FROM ${s}.members WHERE member_id = $1 AND suspended_at IS NOT NULL`, [principal.sub]);
    } else return false;
    return rows.length > 0;
  }

  /** A token is refused once its id was revoked (by the member, an operator, or a rotation). */
  async isRevoked(principal: Principal): Promise<boolean> {
    const rows: unknown[] = await this.streams.db.dataSource.query(
      `SELECT 1 FROM ${ident(this.streams.schema)}.member_tokens WHERE token_id = $1 AND revoked_at IS NOT NULL`,
      [principal.tokenId],
    );
    return rows.length > 0;
  }
}
