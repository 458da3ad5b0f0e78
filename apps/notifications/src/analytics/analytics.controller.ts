import { Controller, Get, Inject, Query } from '@nestjs/common';
import { DomainError } from '#libs/domain';
import { CurrentPrincipal, Roles, type Principal } from '#libs/platform';
import { AnalyticsFiguresDto, AnalyticsScopeQueryDto, ScheduleDto, UtilisationDto, UtilisationQueryDto } from './analytics.dto.js';
import { AnalyticsQueries } from './analytics.queries.js';
import { analyticsScope, AnalyticsScopeRefused, type AnalyticsScope } from './domain/analytics-scope.js';

function scopeOf(principal: Principal, query: AnalyticsScopeQueryDto): AnalyticsScope {
  try {
    return analyticsScope(principal, query);
  } catch (error) {
    if (error instanceof AnalyticsScopeRefused) throw new DomainError(error.code, error.message, error.code === 'not_your_figures' ? 'forbidden' : 'invalid');
    throw error;
  }
}

/** The network's figures for operators, a brand's and a workshop's own for them (from read models, never the event store). */
@Controller('analytics')
@Roles('operator', 'brand', 'workshop')
export class AnalyticsController {
  constructor(@Inject(AnalyticsQueries) private readonly queries: AnalyticsQueries) {}

  /** On-time rate, lead time p50/p90 from submission to completion, orders by status and at risk, defect rates per process and per workshop, money flows. */
  @Get('figures')
  figures(@CurrentPrincipal() principal: Principal, @Query() query: AnalyticsScopeQueryDto): Promise<AnalyticsFiguresDto> {
    return this.queries.figures(scopeOf(principal, query));
  }

  /** Hours shared and booked by region × process × week (a brand sees the hours its lots booked). */
  @Get('utilisation')
  utilisation(@CurrentPrincipal() principal: Principal, @Query() query: UtilisationQueryDto): Promise<UtilisationDto> {
    return this.queries.utilisation(scopeOf(principal, query), query);
  }

  /** The booked lots by planned start: a workshop's schedule, a brand's lots across its workshops (an operator names one). */
  @Get('schedule')
  schedule(@CurrentPrincipal() principal: Principal, @Query() query: AnalyticsScopeQueryDto): Promise<ScheduleDto> {
    return this.queries.schedule(scopeOf(principal, query));
  }
}
