import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { IsDateString, IsInt, IsOptional, IsString, Length, Min } from 'class-validator';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { OrderPlanQuery } from './plan/order-plan.query.js';
import { SubtaskService } from './subtask/subtask.service.js';

export class DeclineOfferDto {
  @IsString() @Length(1, 500) reason!: string;
}

export class CounterOfferDto {
  /** Fewer units than offered. */
  @IsOptional() @IsInt() @Min(1) quantity?: number;
  /** A later end than offered (ISO 8601; the lot is done before this instant). */
  @IsOptional() @IsDateString() plannedEnd?: string;
}

export class ReportProgressDto {
  @IsInt() @Min(0) doneQuantity!: number;
}

export class CompleteSubtaskDto {
  @IsInt() @Min(0) goodQuantity!: number;
  @IsInt() @Min(0) scrapQuantity!: number;
}

@Controller('matching')
export class MatchingController {
  constructor(
    private readonly subtasks: SubtaskService,
    private readonly plans: OrderPlanQuery,
  ) {}

  @Get('offers')
  @Roles('workshop', 'operator')
  offers(@CurrentPrincipal() principal: Principal) {
    return this.subtasks.listOffers(principal);
  }

  @Post('offers/:id/accept')
  @HttpCode(200)
  @Roles('workshop')
  accept(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.subtasks.accept(id, principal);
  }

  @Post('offers/:id/decline')
  @HttpCode(200)
  @Roles('workshop')
  decline(@Param('id') id: string, @Body() body: DeclineOfferDto, @CurrentPrincipal() principal: Principal) {
    return this.subtasks.decline(id, principal, body.reason);
  }

  @Post('offers/:id/counter')
  @HttpCode(200)
  @Roles('workshop')
  counter(@Param('id') id: string, @Body() body: CounterOfferDto, @CurrentPrincipal() principal: Principal) {
    return this.subtasks.counter(id, principal, { quantity: body.quantity, plannedEnd: body.plannedEnd === undefined ? undefined : new Date(body.plannedEnd) });
  }

  @Get('subtasks/:id')
  @Roles('workshop', 'operator')
  subtask(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.subtasks.get(id, principal);
  }

  @Post('subtasks/:id/start')
  @HttpCode(200)
  @Roles('workshop')
  start(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.subtasks.start(id, principal);
  }

  @Post('subtasks/:id/progress')
  @HttpCode(200)
  @Roles('workshop')
  progress(@Param('id') id: string, @Body() body: ReportProgressDto, @CurrentPrincipal() principal: Principal) {
    return this.subtasks.progress(id, principal, body.doneQuantity);
  }

  @Post('subtasks/:id/complete')
  @HttpCode(200)
  @Roles('workshop')
  complete(@Param('id') id: string, @Body() body: CompleteSubtaskDto, @CurrentPrincipal() principal: Principal) {
    return this.subtasks.complete(id, principal, body.goodQuantity, body.scrapQuantity);
  }

  @Get('orders/:orderId/plan')
  @Roles('brand', 'operator')
  plan(@Param('orderId') orderId: string, @CurrentPrincipal() principal: Principal) {
    return this.plans.get(orderId, principal);
  }
}
