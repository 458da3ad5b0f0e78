import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CommandHandler, ServiceDatabase, STREAM_STATE_CACHE_STREAMS, type EventMetadata, type HandleResult } from '#libs/eventsourcing';
import type { SubtaskCommand } from './domain/subtask.commands.js';
import { subtaskDecider, type SubtaskState } from './domain/subtask.decider.js';
import type { SubtaskEvent } from './domain/subtask.events.js';
import { SubtaskSummaryProjection } from './subtask-summary.projection.js';

export const subtaskStream = (subtaskId: string): string => `subtask-${subtaskId}`;

/** load → decide → append for subtask streams, with the `subtasks` read model kept inline. */
@Injectable()
export class SubtaskCommands {
  private readonly handler: CommandHandler<SubtaskState, SubtaskCommand, SubtaskEvent>;
  private readonly summary: SubtaskSummaryProjection;
  constructor(@Inject(ServiceDatabase) private readonly db: ServiceDatabase) {
    this.summary = new SubtaskSummaryProjection(db.schema);
    this.handler = new CommandHandler(db.dataSource, db.store, subtaskDecider, { projections: [this.summary], cache: { name: 'subtask', streams: STREAM_STATE_CACHE_STREAMS } });
  }

  handle(subtaskId: string, command: SubtaskCommand, metadata: EventMetadata, manager: EntityManager): Promise<HandleResult<SubtaskState, SubtaskEvent>> {
    return this.handler.handle(subtaskStream(subtaskId), command, { metadata, manager });
  }

  /**
   * Offers lots under freshly drawn subtask ids: each stream is new, so there is nothing to load — the
   * decider decides from the initial state and the streams are started together, in one statement
   * (`startStreams`: an existing stream makes it fail, never overwrite). The read model gets all the
   * offers, with the planner's explanation, in one statement.
   */
  async offerNew(
    offers: readonly { command: Extract<SubtaskCommand, { type: 'OfferSubtask' }>; explanation: unknown; replaces: string | null }[],
    metadata: EventMetadata,
    manager: EntityManager,
  ): Promise<void> {
    const streams = offers.map((offer) => ({ streamId: subtaskStream(offer.command.facts.subtaskId), events: subtaskDecider.decide(offer.command, subtaskDecider.initialState()) }));
    const started = await this.db.store.startStreams(streams, { metadata, manager });
    const rows = started.flatMap(({ events }, i) => events.map((event) => ({ event, explanation: offers[i].explanation, replaces: offers[i].replaces })));
    await this.summary.insertOffered(rows, manager);
  }

  load(subtaskId: string, manager?: EntityManager): Promise<{ state: SubtaskState; version: number }> {
    return this.handler.load(subtaskStream(subtaskId), manager);
  }
}
