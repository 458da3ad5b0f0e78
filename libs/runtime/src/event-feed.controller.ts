import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { EventEnvelope } from '#libs/contracts';
import { DomainError } from '#libs/domain';
import { decodeFeedCursor, encodeFeedCursor, InvalidFeedCursor, readEventFeed } from '#libs/messaging';
import { Roles } from '#libs/platform';
import { HOSTED_SCHEMAS, hostedDatabase } from './hosted-databases.js';

/** Stored events read per page when the caller names no limit, and at most. */
const DEFAULT_LIMIT = 500;
const MAX_LIMIT = 1000;

export interface EventFeedResponse {
  service: string;
  /** The integration events of the page, exactly as the outbox relay publishes them to Kafka, in the log's order. */
  events: EventEnvelope[];
  /** Pass as `after` for the next page. */
  next: string;
  /** True when nothing after `next` was committed and published when the page was read. */
  end: boolean;
}

/**
 * The integration-event feed of each service of this process, read-only, for the operator and the network's service
 * credentials (role `service`, MESHFAB_SERVICE_TOKEN of the reading host): a consumer
 * whose Kafka topic lost its early records rebuilds them from here (see KafkaEventConsumer). Each page
 * reads up to `limit` stored events after the cursor; the internal ones are left out, as the relay
 * leaves them out, so a page may hold fewer events (even none) without being the end.
 */
@Controller('admin')
@Roles('operator', 'service')
export class EventFeedController {
  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(HOSTED_SCHEMAS) private readonly schemas: Record<string, string>,
  ) {}

  /** A hosted service's integration events in the order its relay published them, after the cursor `after` (`limit` per page). */
  @Get('event-feed/:service')
  async feed(@Param('service') service: string, @Query('after') after?: string, @Query('limit') limit?: string): Promise<EventFeedResponse> {
    const database = hostedDatabase(this.moduleRef, this.schemas, service);
    if (!database) throw new DomainError('service_not_hosted', `no service ${service.slice(0, 100)} is hosted here`, 'not_found', { service: service.slice(0, 100) });
    let position;
    try {
      if (after !== undefined && typeof after !== 'string') throw new InvalidFeedCursor(String(after));
      position = decodeFeedCursor(after);
    } catch (error) {
      if (!(error instanceof InvalidFeedCursor)) throw error;
      throw new DomainError('invalid_cursor', error.message, 'invalid', { field: 'after' });
    }
    const max = Math.min(Math.max(Math.trunc(Number(limit ?? DEFAULT_LIMIT)) || DEFAULT_LIMIT, 1), MAX_LIMIT);
    const page = await readEventFeed(database, position, max);
    return { service, events: page.events, next: encodeFeedCursor(page.next), end: page.end };
  }
}
