import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { ValidationFailed } from '#libs/domain';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../config.js';
import { SUBSCRIBABLE } from './domain/member-notices.js';
import { MemberEventsService, messageBody } from './member-events.service.js';

type Position = { txId: string; seq: string };

const parsePosition = (id: string): Position => {
  const match = /^(\d{1,19})\.(\d{1,18})$/.exec(id);
  if (!match) throw new ValidationFailed('Last-Event-ID', 'must be the id of an event this stream sent');
  return { txId: match[1], seq: match[2] };
};

/**
 * Server-Sent Events for dashboards: the caller's events (the same a webhook endpoint would get),
 * live. Reconnect with `Last-Event-ID` (or `?lastEventId=`) to get what was missed, from the log of
 * what the member was told; `?types=A,B` narrows it. A comment line every heartbeat keeps it open.
 */
@Controller()
@Roles('brand', 'workshop')
export class EventStreamController {
  constructor(
    @Inject(MemberEventsService) private readonly events: MemberEventsService,
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
  ) {}

  /**
   * The caller's events live, as Server-Sent Events (`id: <position>`, `event: <type>`, `data: { id, type,
   * timestamp, data }`); heartbeats as comment lines. Resume with the `Last-Event-ID` header (or
   * `?lastEventId=`) to get what was missed, in commit order. Without it the stream starts with what commits
   * from now on (a few events that committed just before may come too; none is skipped). The stream ends
   * after 30 min; reconnect.
   */
  @Get(['events/stream', 'notifications/events/stream'])
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'A text/event-stream of the caller\'s events (the bodies webhooks carry), until the client closes it or the stream ends after MESHFAB_NOTIFICATIONS_STREAM_MAX_MS.',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 7431.12\nevent: SubtaskOffered\ndata: {"id":"msg_…","type":"SubtaskOffered","timestamp":"2026-01-01T00:00:00.000Z","data":{}}\n\n' } } },
  })
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Headers('last-event-id') lastEventIdHeader?: string,
    @Query('lastEventId') lastEventIdQuery?: string,
    @Query('types') typesQuery?: string,
  ): Promise<void> {
    const resumeFrom = lastEventIdHeader || lastEventIdQuery;
    let position: Position | null = resumeFrom ? parsePosition(resumeFrom) : null;
    const role = principal.role === 'brand' ? 'brand' : 'workshop';
    const types = typesQuery ? typesQuery.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    const unknown = (types ?? []).filter((t) => !SUBSCRIBABLE[role].includes(t));
    if (unknown.length > 0) throw new ValidationFailed('types', `a ${role} cannot receive ${unknown.join(', ')}`);
    if (!position) position = await this.events.startOfNow();

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\n\n`);
    let open = true;
    req.on('close', () => {
      open = false;
    });
    const endAt = Date.now() + this.config.MESHFAB_NOTIFICATIONS_STREAM_MAX_MS;
    try {
      await this.pump(principal.sub, position, types, res, () => open && !res.destroyed && Date.now() < endAt);
    } catch {
      // The database went away (shutting down, or down): the stream ends and the client resumes with Last-Event-ID.
    }
    res.end();
  }

  private async pump(memberId: string, from: Position | null, types: string[] | undefined, res: ServerResponse, going: () => boolean): Promise<void> {
    let position = from;
    let lastWrite = Date.now();
    while (going()) {
      const rows = await this.events.after(memberId, position, 200, types);
      for (const row of rows) {
        position = { txId: row.tx_id, seq: row.seq };
        res.write(`id: ${row.tx_id}.${row.seq}\nevent: ${row.type}\ndata: ${JSON.stringify(messageBody(row))}\n\n`);
        lastWrite = Date.now();
      }
      if (rows.length === 200) continue;
      if (Date.now() - lastWrite >= this.config.MESHFAB_NOTIFICATIONS_HEARTBEAT_MS) {
        res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
        lastWrite = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, this.config.MESHFAB_NOTIFICATIONS_STREAM_POLL_MS));
    }
  }
}
