import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ServiceDatabase, type DeadLetter } from '#libs/eventsourcing';
import { Roles } from '#libs/platform';

export const HOSTED_SCHEMAS = Symbol('HOSTED_SCHEMAS');

/** The operator's view of messages the services of this process gave up on after their retries. */
@Controller('admin')
export class DeadLettersController {
  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(HOSTED_SCHEMAS) private readonly schemas: Record<string, string>,
  ) {}

  @Get('dead-letters')
  @Roles('operator')
  async list(@Query('limit') limit?: string): Promise<{ service: string; deadLetters: DeadLetter[] }[]> {
    const max = Math.min(Math.max(Number(limit ?? 100) || 100, 1), 1000);
    const databases = this.moduleRef.get(ServiceDatabase, { strict: false, each: true });
    return Promise.all(
      Object.entries(this.schemas).map(async ([service, schema]) => {
        const db = databases.find((d) => d.schema === schema);
        return { service, deadLetters: db ? await db.deadLetters.list(max) : [] };
      }),
    );
  }
}
