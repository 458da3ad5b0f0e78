import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CommandHandler, ServiceDatabase, type EventMetadata, type HandleResult } from '#libs/eventsourcing';
import type { QuoteCommand } from './domain/quote.commands.js';
import { quoteDecider, type QuoteState } from './domain/quote.decider.js';
import type { QuoteEvent } from './domain/quote.events.js';
import { QuoteSummaryProjection } from './quote-summary.projection.js';

export const quoteStream = (quoteId: string): string => `quote-${quoteId}`;
/** The reservations a quote's hold books are kept under this id (as a subtask's are under its own). */
export const holdId = (quoteId: string): string => `quote-hold-${quoteId}`;

/** The one write path of quote streams: load → decide → append, the `quotes` read model kept inline. */
@Injectable()
export class QuoteCommands {
  private readonly handler: CommandHandler<QuoteState, QuoteCommand, QuoteEvent>;
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase) {
    this.handler = new CommandHandler(db.dataSource, db.store, quoteDecider, { projections: [new QuoteSummaryProjection(db.schema)] });
  }

  handle(quoteId: string, command: QuoteCommand, metadata: EventMetadata, manager: EntityManager): Promise<HandleResult<QuoteState, QuoteEvent>> {
    return this.handler.handle(quoteStream(quoteId), command, { metadata, manager });
  }

  load(quoteId: string, manager?: EntityManager): Promise<{ state: QuoteState; version: number }> {
    return this.handler.load(quoteStream(quoteId), manager);
  }
}
