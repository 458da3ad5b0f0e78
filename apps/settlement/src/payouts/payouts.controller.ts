import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { ValidationFailed } from '#libs/domain';
import { ApiIdempotencyKey, CurrentPrincipal, decodeCursor, DEFAULT_PAGE_LIMIT, Roles, type Principal } from '#libs/platform';
import { idempotencyKey, markReplay } from '../idempotent-request.js';
import { MarkPayoutPaidDto, PayoutRequestDto, PayoutsQueryDto } from '../settlement/settlement.dto.js';
import { SETTLEMENT_SETTINGS, type SettlementSettings } from '../settlement/settlement-settings.js';
import { PayoutDispatcher } from './payout-dispatcher.js';
import { PayoutService } from './payout.service.js';

@Controller('settlement/payouts')
export class PayoutsController {
  constructor(
    @Inject(PayoutService) private readonly payouts: PayoutService,
    @Inject(PayoutDispatcher) private readonly dispatcher: PayoutDispatcher,
    @Inject(SETTLEMENT_SETTINGS) private readonly settings: SettlementSettings,
  ) {}

  /**
   * A workshop asks for its available balance (or part of it) to be paid out; the payout provider pays it (or the operator reconciles it with the bank).
   * With `MESHFAB_SETTLEMENT_INSTANT_FUNDS_HOLD_DAYS` > 0, money released for a lot its brand paid by an instant method (card, wallet) is on hold
   * until that payment's hold ends: asking for more than the balance not on hold answers 422 `funds_on_hold` with `heldMinor`, `payableNowMinor` and
   * `availableOn` (from when the amount asked for can be paid out); `{currency}` alone asks for all that is not on hold.
   */
  @Post()
  @Roles('workshop')
  @ApiIdempotencyKey(true)
  @HttpCode(201)
  async request(
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Body() body: PayoutRequestDto,
    @Res({ passthrough: true }) res: ServerResponse,
  ) {
    const key = idempotencyKey(rawKey);
    if (body.amount && body.currency && body.amount.currency !== body.currency) {
      throw new ValidationFailed('currency', 'differs from amount.currency');
    }
    const currency = body.amount?.currency ?? body.currency ?? this.settings.currency;
    const result = await this.payouts.request(principal.sub, currency, body.amount?.amountMinor, key, body);
    markReplay(res, result.replayed);
    this.dispatcher.kick();
    return result.body;
  }

  /** Payouts, newest first, a page at a time (`limit`, `cursor` = the previous page's `nextCursor`); a workshop sees its own. */
  @Get()
  @Roles('workshop', 'operator')
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PayoutsQueryDto) {
    const workshopId = principal.role === 'workshop' ? principal.sub : query.workshopId;
    return this.payouts.list(workshopId, { limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: decodeCursor(query.cursor, ['timestamp', 'id']) });
  }

  @Get(':payoutId')
  @Roles('workshop', 'operator')
  async get(@CurrentPrincipal() principal: Principal, @Param('payoutId') payoutId: string) {
    return this.payouts.get(payoutId, principal.role === 'workshop' ? principal.sub : undefined);
  }

  /** Reconciliation: the operator names the bank transaction that paid this payout (no provider confirmed it). */
  @Post(':payoutId/paid')
  @Roles('operator')
  @HttpCode(200)
  async markPaid(@CurrentPrincipal() principal: Principal, @Param('payoutId') payoutId: string, @Body() body: MarkPayoutPaidDto) {
    return this.payouts.reconcileWithBank(payoutId, body.bankTransactionId, body.bankReference, principal.sub);
  }
}
