import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, CursorPageQueryDto, decodeCursor, DEFAULT_PAGE_LIMIT, Roles, type Principal } from '#libs/platform';
import { OrderPlanQuery } from './plan/order-plan.query.js';
import { CompleteSubtaskDto, CounterOfferDto, CounterOutcomeDto, DeclineOfferDto, OfferPageDto, ReportProgressDto, SubtaskViewDto } from './matching.dto.js';
import { SubtaskService } from './subtask/subtask.service.js';

@Controller('matching')
export class MatchingController {
  constructor(
    private readonly subtasks: SubtaskService,
    private readonly plans: OrderPlanQuery,
  ) {}

  /** The offers waiting for an answer, soonest expiry first, a page at a time: a workshop sees its own, an operator all. */
  @Get('offers')
  @Roles('workshop', 'operator')
  offers(@CurrentPrincipal() principal: Principal, @Query() query: CursorPageQueryDto): Promise<OfferPageDto> {
    return this.subtasks.listOffers(principal, { limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: decodeCursor(query.cursor, ['timestamp', 'id']) });
  }

  /** Accepts an offer: the workshop commits to make the lot at the offered price and dates. */
  @Post('offers/:id/accept')
  @HttpCode(200)
  @Roles('workshop')
  accept(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<SubtaskViewDto> {
    return this.subtasks.accept(id, principal);
  }

  /** Declines an offer with a reason; the lot is planned again at another workshop. */
  @Post('offers/:id/decline')
  @HttpCode(200)
  @Roles('workshop')
  decline(@Param('id') id: string, @Body() body: DeclineOfferDto, @CurrentPrincipal() principal: Principal): Promise<SubtaskViewDto> {
    return this.subtasks.decline(id, principal, body.reason);
  }

  /** Counters an offer with fewer units or a later end; the planner takes it or refuses it at once. */
  @Post('offers/:id/counter')
  @HttpCode(200)
  @Roles('workshop')
  counter(@Param('id') id: string, @Body() body: CounterOfferDto, @CurrentPrincipal() principal: Principal): Promise<CounterOutcomeDto> {
    return this.subtasks.counter(id, principal, { quantity: body.quantity, plannedEnd: body.plannedEnd === undefined ? undefined : new Date(body.plannedEnd) });
  }

  /** One subtask, as its workshop or an operator sees it. */
  @Get('subtasks/:id')
  @Roles('workshop', 'operator')
  subtask(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<SubtaskViewDto> {
    return this.subtasks.get(id, principal);
  }

  /** Starts work on an accepted subtask (422 until its step is released and its price funded). */
  @Post('subtasks/:id/start')
  @HttpCode(200)
  @Roles('workshop')
  start(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<SubtaskViewDto> {
    return this.subtasks.start(id, principal);
  }

  /** Reports how many units are done; the lot is flagged at risk when the pace misses its planned end. */
  @Post('subtasks/:id/progress')
  @HttpCode(200)
  @Roles('workshop')
  progress(@Param('id') id: string, @Body() body: ReportProgressDto, @CurrentPrincipal() principal: Principal): Promise<SubtaskViewDto> {
    return this.subtasks.progress(id, principal, body.doneQuantity);
  }

  /** Delivers the lot (good and scrap units); it goes to inspection. */
  @Post('subtasks/:id/complete')
  @HttpCode(200)
  @Roles('workshop')
  complete(@Param('id') id: string, @Body() body: CompleteSubtaskDto, @CurrentPrincipal() principal: Principal): Promise<SubtaskViewDto> {
    return this.subtasks.complete(id, principal, body.goodQuantity, body.scrapQuantity);
  }

  /** The order's plan: its steps' lots, workshops and dates, and why each workshop was chosen. */
  @Get('orders/:orderId/plan')
  @Roles('brand', 'operator')
  plan(@Param('orderId') orderId: string, @CurrentPrincipal() principal: Principal) {
    return this.plans.get(orderId, principal);
  }
}
