import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { orderRequestOf } from '#libs/contracts';
import { DomainError, ValidationFailed } from '#libs/domain';
import { IdempotencyKeys, ServiceDatabase } from '#libs/eventsourcing';
import { CurrentPrincipal, decodeCursor, DEFAULT_PAGE_LIMIT, Roles, currentCorrelationId, type Principal } from '#libs/platform';
import { OrderCommands } from './order-commands.service.js';
import { OrderQueries } from './order-queries.service.js';
import { OrderAcceptedDto, OrderPageDto, OrderViewDto, TimelineEntryDto } from './order-responses.dto.js';
import type { StepWork } from './step-work.js';
import { CancelOrderDto, ListOrdersQuery, SubmitOrderDto } from './submit-order.dto.js';

const IDEMPOTENCY_KEY = /^[\w.:-]{1,200}$/;

@Controller('orders')
@Roles('brand', 'operator')
export class OrdersController {
  private readonly idempotency: IdempotencyKeys;

  constructor(
    @Inject(OrderCommands) private readonly commands: OrderCommands,
    @Inject(OrderQueries) private readonly queries: OrderQueries,
    @Inject(ServiceDatabase) db: ServiceDatabase,
  ) {
    this.idempotency = db.idempotency;
  }

  /** Submits an order: 202, the order is accepted and planning starts. `Idempotency-Key` makes a resubmission return the same order. */
  @Post()
  @HttpCode(202)
  async submit(
    @Body() dto: SubmitOrderDto,
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') key?: string,
  ): Promise<OrderAcceptedDto> {
    const brandId = this.brandOf(principal, dto.brandId);
    const order = { brandId, ...orderRequestOf(dto) };
    const causation = currentCorrelationId() ?? 'POST /orders';
    if (key === undefined) return this.commands.submit(order, causation);
    if (!IDEMPOTENCY_KEY.test(key)) throw new ValidationFailed('Idempotency-Key', 'must be 1-200 letters, digits or ._:-');
    const response = await this.idempotency.run(`submit-order:${principal.sub}`, key, dto, async (manager) => ({
      status: 202,
      body: await this.commands.submit(order, causation, manager),
    }));
    return response.body;
  }

  /** Lists orders, newest first: a brand its own, an operator all (or one brand's). */
  @Get()
  async list(@Query() query: ListOrdersQuery, @CurrentPrincipal() principal: Principal): Promise<OrderPageDto> {
    return this.queries.list(principal, { status: query.status, brandId: query.brandId, limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: decodeCursor(query.cursor, ['timestamp', 'id']) });
  }

  /** One order with its steps and lots: its brand or an operator. */
  @Get(':id')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<OrderViewDto> {
    return this.queries.get(principal, id);
  }

  /** The order's timeline: every event of its stream, oldest first. */
  @Get(':id/events')
  async timeline(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<TimelineEntryDto[]> {
    return this.queries.timeline(principal, id);
  }

  /** The work of one step for those making it. A workshop holding a lot of the step (offered or accepted), the owner brand or an operator; anyone else 404. */
  @Get(':id/steps/:stepId/work')
  @Roles('workshop', 'brand', 'operator')
  async stepWork(@Param('id') id: string, @Param('stepId') stepId: string, @CurrentPrincipal() principal: Principal): Promise<StepWork> {
    return this.queries.stepWork(principal, id, stepId);
  }

  /** Cancels an order: lots not yet passed are cancelled and their escrow goes back to the brand. */
  @Post(':id/cancel')
  @HttpCode(202)
  async cancel(@Param('id') id: string, @Body() dto: CancelOrderDto, @CurrentPrincipal() principal: Principal): Promise<OrderAcceptedDto> {
    await this.queries.get(principal, id);
    const status = await this.commands.cancel(id, principal.sub, dto.reason ?? `cancelled by ${principal.role}`, currentCorrelationId() ?? 'POST /orders/:id/cancel');
    return { orderId: id, status };
  }

  private brandOf(principal: Principal, requested: string | undefined): string {
    if (principal.role === 'operator') {
      if (requested === undefined) throw new ValidationFailed('brandId', 'is required when an operator submits an order on behalf of a brand');
      return requested;
    }
    if (requested !== undefined && requested !== principal.sub) {
      throw new DomainError('brand_mismatch', 'a brand may submit orders only for itself', 'forbidden');
    }
    return principal.sub;
  }
}
