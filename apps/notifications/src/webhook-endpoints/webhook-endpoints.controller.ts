import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { SUBSCRIBABLE } from '../member-events/domain/member-notices.js';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './webhook-endpoint.dto.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';

/** A member's webhook endpoints (brands and workshops): each sees and changes only its own. */
@Controller('notifications')
@Roles('brand', 'workshop')
export class WebhookEndpointsController {
  constructor(@Inject(WebhookEndpointsService) private readonly endpoints: WebhookEndpointsService) {}

  /** The event types the caller's role may subscribe to. */
  @Get('event-types')
  eventTypes(@CurrentPrincipal() principal: Principal) {
    return { items: principal.role === 'brand' || principal.role === 'workshop' ? SUBSCRIBABLE[principal.role] : [] };
  }

  /** Registers an endpoint; the answer carries its signing secret, shown this once. */
  @Post('webhook-endpoints')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateWebhookEndpointDto) {
    return this.endpoints.create(principal, dto);
  }

  @Get('webhook-endpoints')
  list(@CurrentPrincipal() principal: Principal) {
    return this.endpoints.list(principal);
  }

  @Get('webhook-endpoints/:id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.get(principal, id);
  }

  @Patch('webhook-endpoints/:id')
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() dto: UpdateWebhookEndpointDto) {
    return this.endpoints.update(principal, id, dto);
  }

  @Delete('webhook-endpoints/:id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.endpoints.remove(principal, id);
  }

  /** A new secret, shown once; the old one keeps signing beside it for 24 h. */
  @Post('webhook-endpoints/:id/rotate-secret')
  @HttpCode(200)
  rotate(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.rotateSecret(principal, id);
  }

  /** The delivery log, newest first: `?cursor=<nextCursor>&limit=&status=pending|delivered|failed`. */
  @Get('webhook-endpoints/:id/deliveries')
  deliveries(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query('cursor') cursor?: string, @Query('limit') limit?: string, @Query('status') status?: string) {
    return this.endpoints.deliveries(principal, id, { cursor, limit, status });
  }

  /** Sends a delivery again now (same webhook-id). */
  @Post('webhook-endpoints/:id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  redeliver(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('deliveryId') deliveryId: string) {
    return this.endpoints.redeliver(principal, id, deliveryId);
  }
}
