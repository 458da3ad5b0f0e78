import { Controller, Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope, MemberTokenRevokedContract } from '#libs/contracts';
import { ServiceDatabase, ident } from '#libs/eventsourcing';
import { OnEvent, type EventContext } from '#libs/messaging';
import { TOKEN_REVOCATION, type Principal, type TokenRevocationCheck } from '#libs/platform';

/**
 * For a service running without the registry in its process: it hears the registry's
 * `MemberTokenRevoked` events (through its own inbox, like any other event) into its own
 * `revoked_tokens` table, and refuses those tokens — so a revoked token is refused everywhere,
 * while every service still verifies tokens locally.
 */
export function revokedTokensModule(service: string, schema: string): DynamicModule {
  const table = `${ident(schema)}.revoked_tokens`;

  @Controller()
  class RevokedTokensConsumer {
    @OnEvent(service, 'MemberTokenRevoked')
    async onRevoked(@Payload() event: EventEnvelope<MemberTokenRevokedContract>, @Ctx() ctx: EventContext): Promise<void> {
      await ctx.manager.query(`INSERT INTO ${table} (token_id, member_id) VALUES ($1, $2) ON CONFLICT (token_id) DO NOTHING`, [
        event.data.tokenId,
        event.data.memberId,
      ]);
    }
  }

  @Injectable()
  class RevokedTokens implements TokenRevocationCheck {
    private database?: ServiceDatabase;
    constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

    async isRevoked(principal: Principal): Promise<boolean> {
      this.database ??= this.moduleRef.get(ServiceDatabase, { strict: false, each: true }).find((db) => db.schema === schema);
      if (!this.database) throw new Error(`no database with schema ${schema} for the revocation list`);
      const rows: unknown[] = await this.database.dataSource.query(`SELECT 1 FROM ${table} WHERE token_id = $1`, [principal.tokenId]);
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
