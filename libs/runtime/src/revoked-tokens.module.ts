import { Controller, Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import type {
  EventEnvelope,
  MemberReinstatedContract,
  MemberSuspendedContract,
  MemberTokenRevokedContract,
  WorkshopReinstatedContract,
  WorkshopSuspendedContract,
} from '#libs/contracts';
import { ServiceDatabase, ident } from '#libs/eventsourcing';
import { OnEvent, type EventContext } from '#libs/messaging';
import { TOKEN_REVOCATION, type Principal, type TokenRevocationCheck } from '#libs/platform';

/**
 * For a service running without the registry in its process: it hears the registry's
 * `MemberTokenRevoked` events (through its own inbox, like any other event) into its own
 * `revoked_tokens` table, and refuses those tokens; and `WorkshopSuspended` / `WorkshopReinstated` (and a brand's
 * or an inspector's `MemberSuspended` / `MemberReinstated`) into
 * `suspended_members`, refusing a suspended member's writes — so a revoked token is refused everywhere,
 * while every service still verifies tokens locally.
 */
export function revokedTokensModule(service: string, schema: string): DynamicModule {
  const table = `${ident(schema)}.revoked_tokens`;
  const suspended = `${ident(schema)}.suspended_members`;

  @Controller()
  class RevokedTokensConsumer {
    @OnEvent(service, 'MemberTokenRevoked')
    async onRevoked(@Payload() event: EventEnvelope<MemberTokenRevokedContract>, @Ctx() ctx: EventContext): Promise<void> {
      await ctx.manager.query(`INSERT INTO ${table} (token_id, member_id) VALUES ($1, $2) ON CONFLICT (token_id) DO NOTHING`, [
        event.data.tokenId,
        event.data.memberId,
      ]);
    }

    @OnEvent(service, 'WorkshopSuspended')
    async onSuspended(@Payload() event: EventEnvelope<WorkshopSuspendedContract>, @Ctx() ctx: EventContext): Promise<void> {
      await ctx.manager.query(`INSERT INTO ${suspended} (member_id) VALUES ($1) ON CONFLICT (member_id) DO NOTHING`, [event.data.workshopId]);
    }

    @OnEvent(service, 'WorkshopReinstated')
    async onReinstated(@Payload() event: EventEnvelope<WorkshopReinstatedContract>, @Ctx() ctx: EventContext): Promise<void> {
      await ctx.manager.query(`DELETE FROM ${suspended} WHERE member_id = $1`, [event.data.workshopId]);
    }

    @OnEvent(service, 'MemberSuspended')
    async onMemberSuspended(@Payload() event: EventEnvelope<MemberSuspendedContract>, @Ctx() ctx: EventContext): Promise<void> {
      await ctx.manager.query(`INSERT INTO ${suspended} (member_id) VALUES ($1) ON CONFLICT (member_id) DO NOTHING`, [event.data.memberId]);
    }

    @OnEvent(service, 'MemberReinstated')
    async onMemberReinstated(@Payload() event: EventEnvelope<MemberReinstatedContract>, @Ctx() ctx: EventContext): Promise<void> {
      await ctx.manager.query(`DELETE FROM ${suspended} WHERE member_id = $1`, [event.data.memberId]);
    }
  }

  @Injectable()
  class RevokedTokens implements TokenRevocationCheck {
    private database?: ServiceDatabase;
    constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

    private db(): ServiceDatabase {
      this.database ??= this.moduleRef.get(ServiceDatabase, { strict: false, each: true }).find((db) => db.schema === schema);
      if (!this.database) throw new Error(`no database with schema ${schema} for the revocation list`);
      return this.database;
    }

    async isRevoked(principal: Principal): Promise<boolean> {
      const rows: unknown[] = await this.db().dataSource.query(`SELECT 1 FROM ${table} WHERE token_id = $1`, [principal.tokenId]);
      return rows.length > 0;
    }

    async isSuspended(principal: Principal): Promise<boolean> {
      const rows: unknown[] = await this.db().dataSource.query(`SELECT 1 FROM ${suspended} WHERE member_id = $1`, [principal.sub]);
      return rows.length > 0;
    }
  }

  @Module({})
  class RevokedTokensModule {}

  return {
    module: RevokedTokensModule,
    controllers: [RevokedTokensConsumer],
    providers: [RevokedTokens, { provide: TOKEN_REVOCATION, useExisting: RevokedTokens }],
    exports: [TOKEN_REVOCATION],
  };
}
