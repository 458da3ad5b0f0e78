import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CommandHandler, ServiceDatabase, type EventMetadata, type HandleResult } from '#libs/eventsourcing';
import type { SubtaskCommand } from './domain/subtask.commands.js';
import { subtaskDecider, type SubtaskState } from './domain/subtask.decider.js';
import type { SubtaskEvent } from './domain/subtask.events.js';
import { SubtaskSummaryProjection } from './subtask-summary.projection.js';

export const subtaskStream = (subtaskId: string): string => `subtask-${subtaskId}`;

/** load → decide → append for subtask streams, with the `subtasks` read model kept inline. */
@Injectable()
export class SubtaskCommands {
  private readonly handler: CommandHandler<SubtaskState, SubtaskCommand, SubtaskEvent>;
  constructor(@Inject(ServiceDatabase) db: ServiceDatabase) {
    this.handler = new CommandHandler(db.dataSource, db.store, subtaskDecider, { projections: [new SubtaskSummaryProjection(db.schema)] });
  }

  handle(subtaskId: string, command: SubtaskCommand, metadata: EventMetadata, manager: EntityManager): Promise<HandleResult<SubtaskState, SubtaskEvent>> {
    return this.handler.handle(subtaskStream(subtaskId), command, { metadata, manager });
  }

  load(subtaskId: string, manager?: EntityManager): Promise<{ state: SubtaskState; version: number }> {
    return this.handler.load(subtaskStream(subtaskId), manager);
  }
}
