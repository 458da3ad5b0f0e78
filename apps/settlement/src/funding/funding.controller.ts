import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { DomainError, ValidationFailed } from '#libs/domain';
import { ApiIdempotencyKey, CurrentPrincipal, CursorPageQueryDto, decodeCursor, DEFAULT_PAGE_LIMIT, Public, Roles, type Principal, type RawBodyRequest } from '#libs/platform';
import { idempotencyKey, markReplay } from '../idempotent-request.js';
import { FundingIntentDto, FundingIntentPageDto } from './funding-responses.dto.js';
import { CreateFundingIntentDto, FundingIntentsQueryDto, RejectManualCreditDto, RequestManualCreditDto } from './funding.dto.js';
import { FundingService } from './funding.service.js';

/**
 * Money in (issue 16): a brand announces a payment (funding intent); funds are credited only from a
 * provider's signed webhook, a reconciled bank-statement line, or a manual credit two operators agree on.
 */
@Controller('settlement')
export class FundingController {
  constructor(@Inject(FundingService) private readonly funding: FundingService) {}

  /** A brand announces a payment: a reference to quote, the amount, an expiry. Credits nothing. */
  @Post('funding-intents')
  @Roles('brand')
  @HttpCode(201)
  @ApiIdempotencyKey(true)
  async createIntent(
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Body() body: CreateFundingIntentDto,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<FundingIntentDto> {
    const result = await this.funding.createIntent(principal.sub, { amountMinor: body.amount.amountMinor, currency: body.amount.currency }, idempotencyKey(rawKey), body);
    markReplay(res, result.replayed);
    return result.body;
  }

  /** Lists funding intents, newest first: a brand its own, an operator all (or one brand's). */
  @Get('funding-intents')
  @Roles('brand', 'operator')
  async intents(@CurrentPrincipal() principal: Principal, @Query() query: FundingIntentsQueryDto): Promise<FundingIntentPageDto> {
    return this.funding.listIntents(principal.role === 'brand' ? principal.sub : query.brandId, { limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: decodeCursor(query.cursor, ['timestamp', 'id']) });
  }

  /** One funding intent with the payments received for it. */
  @Get('funding-intents/:intentId')
  @Roles('brand', 'operator')
  async intent(@CurrentPrincipal() principal: Principal, @Param('intentId') intentId: string): Promise<FundingIntentDto> {
    return this.funding.intent(intentId, principal.role === 'brand' ? principal.sub : undefined);
  }

  /**
   * A payment provider confirms a payment. No bearer token: the Standard Webhooks signature over the raw body authenticates it.
   * `data.method` (`card`, `wallet`, `bank_transfer`; absent: taken as instant) says whether it is instant money, held
   * `MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS` before what it pays for can be paid out.
   */
  @Post('webhooks/:provider')
  @Public()
  @HttpCode(200)
  async webhook(@Param('provider') provider: string, @Req() req: RawBodyRequest) {
    return this.funding.receiveWebhook(provider, req.headers, req.rawBody, req.socket.remoteAddress);
  }

  /** The operator uploads the bank's statement (text/csv); see apps/settlement/README.md for the format. */
  @Post('bank-statements')
  @Roles('operator')
  @HttpCode(201)
  async uploadStatement(@CurrentPrincipal() principal: Principal, @Req() req: RawBodyRequest, @Res({ passthrough: true }) res: ServerResponse) {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/csv' || !req.rawBody) throw new DomainError('statement_invalid', 'send the bank statement as a text/csv body', 'invalid');
    const result = await this.funding.uploadStatement(req.rawBody.toString('utf8'), principal.sub);
    markReplay(res, result.replayed);
    if (result.replayed) res.statusCode = 200;
    return result.statement;
  }

  @Get('bank-statements/:statementId')
  @Roles('operator')
  async statement(@Param('statementId') statementId: string) {
    return this.funding.statement(statementId);
  }

  /** Confirmed money whose reference names no intent: credited to no one until the operator resolves it. */
  @Get('unmatched-payments')
  @Roles('operator')
  async unmatched(@Query() query: CursorPageQueryDto) {
    const after = decodeCursor(query.cursor, ['id'])?.[0];
    if (after !== undefined && !/^\d{1,18}$/.test(after)) throw new ValidationFailed('cursor', 'is not a cursor this list gave (pass nextCursor from the previous page as is)');
    return this.funding.unmatchedPayments({ limit: query.limit ?? DEFAULT_PAGE_LIMIT, after });
  }

  @Post('manual-credits')
  @Roles('operator')
  @ApiIdempotencyKey(true)
  @HttpCode(201)
  async requestManualCredit(
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Body() body: RequestManualCreditDto,
    @Res({ passthrough: true }) res: ServerResponse,
  ) {
    const amount = { amountMinor: body.amount.amountMinor, currency: body.amount.currency };
    const result = await this.funding.requestManualCredit(principal.sub, { brandId: body.brandId, amount, reason: body.reason }, idempotencyKey(rawKey));
    markReplay(res, result.replayed);
    return result.body;
  }

  @Get('manual-credits')
  @Roles('operator')
  async manualCredits(@Query() query: CursorPageQueryDto) {
    return this.funding.manualCredits({ limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: decodeCursor(query.cursor, ['timestamp', 'id']) });
  }

  /** A second operator (another principal id than the requester's) approves: the credit is posted once. */
  @Post('manual-credits/:creditId/approve')
  @Roles('operator')
  @HttpCode(200)
  async approve(@CurrentPrincipal() principal: Principal, @Param('creditId') creditId: string) {
    return this.funding.decideManualCredit(creditId, principal.sub, { approve: true });
  }

  @Post('manual-credits/:creditId/reject')
  @Roles('operator')
  @HttpCode(200)
  async reject(@CurrentPrincipal() principal: Principal, @Param('creditId') creditId: string, @Body() body: RejectManualCreditDto) {
    return this.funding.decideManualCredit(creditId, principal.sub, { approve: false, reason: body.reason });
  }
}
