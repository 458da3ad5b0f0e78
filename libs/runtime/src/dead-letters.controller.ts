import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { IsString, Length } from 'class-validator';
import { DomainError } from '#libs/domain';
import type { DeadLetter, ParkedStream } from '#libs/eventsourcing';
import { DeadLetterNotResolvable, dispatcherOf, type Resolution } from '#libs/messaging';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { HOSTED_SCHEMAS, hostedDatabase } from './hosted-databases.js';

export class DiscardDeadLetterDto {
  /** Why the message is given up on for good: kept with the letter, for the audit. */
  @IsString() @Length(3, 500) reason!: string;
}

/** A letter as the operator sees it: its id names its service (`settlement-12`), so one id is enough to act on it. */
type PublicLetter = Omit<DeadLetter, 'id'> & { id: string; service: string };

/**
 * The operator's view of the messages the services of this process gave up on, and of the streams they
 * parked; replaying or discarding one is recorded on the letter (who, when, what came of it) and logged.
 */
@Controller('admin')
@Roles('operator')
export class DeadLettersController {
  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(HOSTED_SCHEMAS) private readonly schemas: Record<string, string>,
  ) {}

  /** The messages each hosted service gave up on, per service (`limit` per service). */
  @Get('dead-letters')
  async list(@Query('limit') limit?: string): Promise<{ service: string; deadLetters: PublicLetter[] }[]> {
    const max = Math.min(Math.max(Number(limit ?? 100) || 100, 1), 1000);
    return Promise.all(
      Object.keys(this.schemas).map(async (service) => {
        const db = this.databaseOf(service);
        const letters = db ? await db.deadLetters.list(max) : [];
        return { service, deadLetters: letters.map((l) => ({ ...l, id: `${service}-${l.id}`, service })) };
      }),
    );
  }

  /** The streams each hosted service stopped applying at a failing event, with the letter to resolve. */
  @Get('parked-streams')
  async parked(): Promise<{ service: string; parkedStreams: (ParkedStream & { parkedLetterId: string })[] }[]> {
    return Promise.all(
      Object.keys(this.schemas).map(async (service) => {
        const db = this.databaseOf(service);
        const streams = db ? await db.deadLetters.parkedStreams() : [];
        return { service, parkedStreams: streams.map((p) => ({ ...p, parkedLetterId: `${service}-${p.parkedLetterId}` })) };
      }),
    );
  }

  /** Handles the letter again (its cause fixed); a parked stream's held events follow in order. */
  @Post('dead-letters/:id/replay')
  @HttpCode(200)
  replay(@Param('id') id: string, @CurrentPrincipal() operator: Principal): Promise<Resolution> {
    return this.resolve(id, (dispatcher, letterId) => dispatcher.replay(letterId, operator.sub));
  }

  /** Gives the letter up for good, with a reason; a parked stream's held events follow in order. */
  @Post('dead-letters/:id/discard')
  @HttpCode(200)
  discard(@Param('id') id: string, @Body() body: DiscardDeadLetterDto, @CurrentPrincipal() operator: Principal): Promise<Resolution> {
    return this.resolve(id, (dispatcher, letterId) => dispatcher.discard(letterId, operator.sub, body.reason));
  }

  private async resolve(
    publicId: string,
    act: (dispatcher: NonNullable<ReturnType<typeof dispatcherOf>>, letterId: string) => Promise<Resolution>,
  ): Promise<Resolution> {
    const match = /^(.+)-(\d{1,18})$/.exec(publicId);
    const service = match?.[1];
    const db = service ? this.databaseOf(service) : undefined;
    const letter = db && match ? await db.deadLetters.get(match[2]) : undefined;
    const dispatcher = letter && db ? dispatcherOf(db.schema, letter.consumer) : undefined;
    if (!letter || !dispatcher) throw new DomainError('dead_letter_not_found', `dead letter ${publicId} does not exist`, 'not_found', { id: publicId });
    try {
      const resolution = await act(dispatcher, letter.id);
      return { ...resolution, letterId: publicId, ...(resolution.parkedAgain ? { parkedAgain: `${service}-${resolution.parkedAgain}` } : {}) };
    } catch (error) {
      if (!(error instanceof DeadLetterNotResolvable)) throw error;
      throw new DomainError(error.code, error.message.replace(`${letter.id}`, publicId), error.code === 'dead_letter_not_found' ? 'not_found' : 'conflict', { id: publicId });
    }
  }

  private databaseOf(service: string) {
    return hostedDatabase(this.moduleRef, this.schemas, service);
  }
}
