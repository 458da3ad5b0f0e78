import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { orderRequestOf } from '#libs/contracts';
import { DomainError, ValidationFailed } from '#libs/domain';
import { IdempotencyKeys, ServiceDatabase } from '#libs/eventsourcing';
import { ApiIdempotencyKey, CurrentPrincipal, Roles, currentCorrelationId, type Principal } from '#libs/platform';
import { AcceptQuoteDto, AcceptQuoteOutcomeDto, ListQuotesQuery, QuoteViewDto, RequestQuoteDto } from './quote.dto.js';
import { QuoteService } from './quote.service.js';

const IDEMPOTENCY_KEY = /^[\w.:-]{1,200}$/;

/** Instant quotes (matching): price and dates of an order before it is placed; accept to place it. */
@Controller('quotes')
export class QuotesController {
  private readonly idempotency: IdempotencyKeys;
  constructor(
    @Inject(QuoteService) private readonly quotes: QuoteService,
    @Inject(ServiceDatabase) private readonly db: ServiceDatabase,
  ) {
    this.idempotency = db.idempotency;
  }

  /** Quotes an order body (the body of `POST /orders`): per step the lots, prices and dates; up to three options; confidence; validity. With `hold`, that option's capacity is held for a while. */
  @Post()
  @HttpCode(201)
  @Roles('brand')
  quote(@Body() dto: RequestQuoteDto, @CurrentPrincipal() principal: Principal): Promise<QuoteViewDto> {
    if (dto.brandId !== undefined && dto.brandId !== principal.sub) throw new DomainError('brand_mismatch', 'a brand may ask quotes only for itself', 'forbidden');
    return this.quotes.quote(principal.sub, orderRequestOf(dto), dto.hold, currentCorrelationId() ?? 'POST /quotes');
  }

  /** The brand's quotes, newest first (an operator: all, or one brand's). */
  @Get()
  @Roles('brand', 'operator')
  list(@Query() query: ListQuotesQuery, @CurrentPrincipal() principal: Principal): Promise<QuoteViewDto[]> {
    return this.quotes.list(principal, query.limit ?? 20, query.brandId);
  }

  /** One quote: its brand or an operator. */
  @Get(':id')
  @Roles('brand', 'operator')
  get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<QuoteViewDto> {
    return this.quotes.get(id, principal);
  }

  /** Places the order at the quoted plan and price while the quote is valid; when capacity moved, a re-quote with the reason. A repeat answers the same. `Idempotency-Key` honoured. */
  @Post(':id/accept')
  @HttpCode(200)
  @Roles('brand')
  @ApiIdempotencyKey(false)
  async accept(@Param('id') id: string, @Body() dto: AcceptQuoteDto, @CurrentPrincipal() principal: Principal, @Headers('idempotency-key') key?: string): Promise<AcceptQuoteOutcomeDto> {
    const correlation = currentCorrelationId() ?? `POST /quotes/${id}/accept`;
    if (key === undefined) return this.db.dataSource.transaction((m) => this.quotes.accept(id, principal, dto.option, m, correlation));
    if (!IDEMPOTENCY_KEY.test(key)) throw new ValidationFailed('Idempotency-Key', 'must be 1-200 letters, digits or ._:-');
    const response = await this.idempotency.run(`accept-quote:${principal.sub}:${id}`, key, dto, async (m) => ({ status: 200, body: await this.quotes.accept(id, principal, dto.option, m, correlation) }));
    return response.body;
  }
}
