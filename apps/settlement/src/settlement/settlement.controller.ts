import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { assertOwnership, CurrentPrincipal, CursorPageQueryDto, decodeCursor, DEFAULT_PAGE_LIMIT, Roles, type Principal } from '#libs/platform';
import { FundingService } from '../funding/funding.service.js';
import { Ledger } from '../ledger/ledger.js';
import { PayoutService } from '../payouts/payout.service.js';
import { TransfersQueryDto } from './settlement.dto.js';
import { SettlementService } from './settlement.service.js';


@Controller('settlement')
export class SettlementController {
  constructor(
    @Inject(SettlementService) private readonly settlement: SettlementService,
    @Inject(Ledger) private readonly ledger: Ledger,
    @Inject(FundingService) private readonly funding: FundingService,
    @Inject(PayoutService) private readonly payouts: PayoutService,
  ) {}

  /**
   * Retired (issue 16): a member's say-so credits nothing. Brands fund through a funding intent
   * (POST /settlement/funding-intents) paid through a payment provider or a bank transfer; operators credit
   * by hand only with a second operator's approval (POST /settlement/manual-credits). Kept so that old
   * clients get a clear answer instead of a 404. See apps/settlement/README.md.
   */
  @Post('deposits')
  @Roles('brand', 'operator')
  @HttpCode(201)
  deposit(@CurrentPrincipal() principal: Principal): never {
    throw new DomainError(
      'deposits_retired',
      principal.role === 'brand'
        ? 'funds are credited only from a confirmed payment: create a funding intent (POST /settlement/funding-intents) and pay quoting its reference'
        : 'operators credit funds only through a manual credit a second operator approves (POST /settlement/manual-credits), or by uploading the bank statement (POST /settlement/bank-statements)',
      'forbidden',
      { fundingIntents: '/settlement/funding-intents' },
    );
  }

  @Get('accounts/me')
  @Roles('brand', 'workshop')
  async myAccounts(@CurrentPrincipal() principal: Principal) {
    return this.accountsOf(principal.sub, principal.role);
  }

  @Get('accounts/:memberId')
  async memberAccounts(@CurrentPrincipal() principal: Principal, @Param('memberId') memberId: string) {
    assertOwnership(principal, memberId, 'account', memberId);
    return this.accountsOf(memberId, undefined);
  }

  @Get('accounts/:memberId/entries')
  async memberEntries(@CurrentPrincipal() principal: Principal, @Param('memberId') memberId: string, @Query() query: CursorPageQueryDto) {
    assertOwnership(principal, memberId, 'account', memberId);
    return { memberId, ...(await this.ledger.entriesOfMember(memberId, { limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: sequenceCursor(query.cursor) })) };
  }

  @Get('orders/:orderId/statement')
  @Roles('brand', 'operator')
  async statement(@CurrentPrincipal() principal: Principal, @Param('orderId') orderId: string) {
    const order = await this.settlement.order(orderId);
    if (!order) throw new NotFound('order', orderId);
    assertOwnership(principal, order.brand_id, 'order', orderId);
    return this.settlement.statement(order);
  }

  @Get('ledger/transfers')
  @Roles('operator')
  async transfers(@Query() query: TransfersQueryDto) {
    return this.ledger.transferPage({ accountId: query.account, limit: query.limit ?? DEFAULT_PAGE_LIMIT, after: sequenceCursor(query.cursor) });
  }

  /** Trial balance: per currency the balances sum to zero and every balance equals the sum of its entries. */
  @Get('ledger/check')
  @Roles('operator')
  async check() {
    return this.ledger.trialBalance();
  }

  /** The trial balance plus settlement's own invariants: each passed lot paid once, closed orders hold no escrow, money in = confirmed payments, paid out = confirmed payouts. */
  @Get('audit')
  @Roles('operator')
  async audit() {
    const [trialBalance, settlement, moneyIn, moneyOut] = await Promise.all([this.ledger.trialBalance(), this.settlement.audit(), this.funding.audit(), this.payouts.audit()]);
    const ok =
      trialBalance.balanced &&
      settlement.lotsPaidMoreThanOnce.length === 0 &&
      settlement.paidLotsWithoutRelease.length === 0 &&
      settlement.closedOrdersWithEscrow.length === 0 &&
      moneyIn.ok &&
      moneyOut.ok;
    return { ok, trialBalance, ...settlement, moneyIn, moneyOut };
  }

  private async accountsOf(memberId: string, role: string | undefined) {
    const accounts = await this.ledger.accountsOfMember(memberId);
    const byCurrency = new Map<string, { currency: string; availableMinor: number; inEscrowMinor: number; payoutPendingMinor: number }>();
    for (const a of accounts) {
      const t = byCurrency.get(a.currency) ?? { currency: a.currency, availableMinor: 0, inEscrowMinor: 0, payoutPendingMinor: 0 };
      if (a.purpose === 'brand_funds' || a.purpose === 'workshop_payable') t.availableMinor += a.balanceMinor;
      if (a.purpose === 'order_escrow') t.inEscrowMinor += a.balanceMinor;
      if (a.purpose === 'workshop_payout_pending') t.payoutPendingMinor += a.balanceMinor;
      byCurrency.set(a.currency, t);
    }
    return { memberId, role, totals: [...byCurrency.values()], accounts };
  }
}

/** The ledger's lists page by their append order (entries' id, transfers' seq): the cursor holds that number. */
function sequenceCursor(cursor: string | undefined): string | undefined {
  const key = decodeCursor(cursor, ['id']);
  if (key && !/^\d{1,18}$/.test(key[0])) throw new ValidationFailed('cursor', 'is not a cursor this list gave (pass nextCursor from the previous page as is)');
  return key?.[0];
}
