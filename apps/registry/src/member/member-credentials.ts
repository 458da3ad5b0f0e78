import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFound } from '#libs/domain';
import { ident } from '#libs/eventsourcing';
import type { Principal, TokenRevocationCheck } from '#libs/platform';
import { brandStream, RegistryStreams, workshopStream } from '../registry.context.js';
import type { MemberRole, TokenGrant } from './domain/member-tokens.js';

export interface IssuedToken {
  tokenId: string;
  token: string;
  expiresAt: string;
}

/** Issues, rotates and revokes member tokens; answers the AuthGuard's "is this token revoked?". */
@Injectable()
export class MemberCredentials implements TokenRevocationCheck {
  constructor(private readonly streams: RegistryStreams) {}

  grant(at: string): TokenGrant {
    const days = this.streams.settings.config.MESHFAB_MEMBER_TOKEN_DAYS;
    return { tokenId: randomUUID(), issuedAt: at, expiresAt: new Date(Date.parse(at) + days * 86_400_000).toISOString() };
  }

  async sign(memberId: string, role: MemberRole, grant: TokenGrant): Promise<IssuedToken> {
    const expiresIn = Math.max(1, Math.round((Date.parse(grant.expiresAt) - this.streams.settings.clock().getTime()) / 1000));
    const token = await this.streams.settings.tokens.issue({ sub: memberId, role, tokenId: grant.tokenId, expiresIn });
    return { tokenId: grant.tokenId, token, expiresAt: grant.expiresAt };
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
    const grant = this.grant(this.streams.now());
    const command = { type: 'RotateMemberToken' as const, memberId, token: grant };
    const metadata = { correlationId: memberId, causationId: `rotate-token:${principal.sub}` };
    if (role === 'brand') await this.streams.brands.handle(brandStream(memberId), command, { metadata });
    else await this.streams.workshops.handle(workshopStream(memberId), command, { metadata });
    return this.sign(memberId, role, grant);
  }

  async revoke(memberId: string, tokenId: string, principal: Principal): Promise<void> {
    const role = await this.roleOf(memberId);
    const command = { type: 'RevokeMemberToken' as const, memberId, tokenId, at: this.streams.now() };
    const metadata = { correlationId: memberId, causationId: `revoke-token:${principal.sub}` };
    if (role === 'brand') await this.streams.brands.handle(brandStream(memberId), command, { metadata });
    else await this.streams.workshops.handle(workshopStream(memberId), command, { metadata });
  }

  async tokensOf(memberId: string): Promise<{ tokenId: string; issuedAt: string; expiresAt: string; revokedAt: string | null }[]> {
    const rows: { token_id: string; issued_at: Date; expires_at: Date; revoked_at: Date | null }[] = await this.streams.db.dataSource.query(
      `SELECT token_id, issued_at, expires_at, revoked_at FROM ${ident(this.streams.schema)}.member_tokens WHERE member_id = $1 ORDER BY issued_at, token_id`,
      [memberId],
    );
    return rows.map((r) => ({ tokenId: r.token_id, issuedAt: r.issued_at.toISOString(), expiresAt: r.expires_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null }));
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
