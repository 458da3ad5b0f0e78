import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { IsInt, IsString, Length, Min } from 'class-validator';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { OrderPlanQuery } from './plan/order-plan.query.js';
import { SubtaskService } from './subtask/subtask.service.js';

export class DeclineOfferDto {
  @IsString() @Length(1, 500) reason!: string;
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
