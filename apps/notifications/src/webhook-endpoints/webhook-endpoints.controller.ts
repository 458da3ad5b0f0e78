import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { SUBSCRIBABLE } from '../member-events/domain/member-notices.js';
import {
  CreatedWebhookEndpointDto,
  CreateWebhookEndpointDto,
  EventTypeListDto,
  RotatedWebhookEndpointDto,
  UpdateWebhookEndpointDto,
  WebhookDeliveryPageDto,
  WebhookDeliveryViewDto,
  WebhookEndpointListDto,
  WebhookEndpointViewDto,
} from './webhook-endpoint.dto.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';

/** A member's webhook endpoints (brands and workshops): each sees and changes only its own. */
@Controller('notifications')
@Roles('brand', 'workshop')
export class WebhookEndpointsController {
  constructor(@Inject(WebhookEndpointsService) private readonly endpoints: WebhookEndpointsService) {}

  /** The event types the caller's role may subscribe to. */
  @Get('event-types')
  eventTypes(@CurrentPrincipal() principal: Principal): EventTypeListDto {
    return { items: principal.role === 'brand' || principal.role === 'workshop' ? [...SUBSCRIBABLE[principal.role]] : [] };
  }

  /** Registers an endpoint; the answer carries its signing secret, shown this once. */
  @Post('webhook-endpoints')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointDto> {
    return this.endpoints.create(principal, dto);
  }

  /** The caller's webhook endpoints. */
  @Get('webhook-endpoints')
  list(@CurrentPrincipal() principal: Principal): Promise<WebhookEndpointListDto> {
    return this.endpoints.list(principal);
  }

  /** One of the caller's endpoints (another member's is a 404). */
  @Get('webhook-endpoints/:id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<WebhookEndpointViewDto> {
    return this.endpoints.get(principal, id);
  }

  /** Changes an endpoint's URL, types or description, pauses it, or enables it again after the service disabled it. */
  @Patch('webhook-endpoints/:id')
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointViewDto> {
    return this.endpoints.update(principal, id, dto);
  }

  /** Deletes an endpoint with its delivery log; nothing more is sent to it. */
  @Delete('webhook-endpoints/:id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.endpoints.remove(principal, id);
  }

  /** A new secret, shown once; the old one keeps signing beside it for 24 h. */
  @Post('webhook-endpoints/:id/rotate-secret')
  @HttpCode(200)
  rotate(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<RotatedWebhookEndpointDto> {
    return this.endpoints.rotateSecret(principal, id);
  }

  /** The delivery log, newest first: `?cursor=<nextCursor>&limit=&status=pending|delivered|failed`. */
  @Get('webhook-endpoints/:id/deliveries')
  deliveries(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query('cursor') cursor?: string, @Query('limit') limit?: string, @Query('status') status?: string): Promise<WebhookDeliveryPageDto> {
    return this.endpoints.deliveries(principal, id, { cursor, limit, status });
  }

  /** Sends a delivery again now (same webhook-id). */
  @Post('webhook-endpoints/:id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  redeliver(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<WebhookDeliveryViewDto> {
    return this.endpoints.redeliver(principal, id, deliveryId);
  }
}
