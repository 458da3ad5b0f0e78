import { DomainError } from '#libs/domain';
import { Accounts } from './accounts.js';
import { assertBalanceCaps, assertLimits, assertWithinCap, DEFAULT_LEDGER_LIMITS, type LedgerLimits } from './limits.js';

const limits: LedgerLimits = { ...DEFAULT_LEDGER_LIMITS, maxDepositMinor: 1000n, maxBalanceMinor: 1000n, maxPooledBalanceMinor: 1500n, pooledShards: 4 };
const funds = Accounts.brandFunds('b-1', 'CNY');
const bank = Accounts.bankClearing('CNY');

const refusal = (fn: () => unknown): DomainError | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  return undefined;
};

describe('ledger limits', () => {
  it('accepts the defaults and refuses limits that could leave the safe-integer range', () => {
    expect(() => assertLimits(DEFAULT_LEDGER_LIMITS)).not.toThrow();
    expect(refusal(() => assertLimits({ ...DEFAULT_LEDGER_LIMITS, maxBalanceMinor: 0n }))?.message).toContain('MESHFAB_SETTLEMENT_MAX_BALANCE_MINOR');
    expect(refusal(() => assertLimits({ ...DEFAULT_LEDGER_LIMITS, maxDepositMinor: BigInt(Number.MAX_SAFE_INTEGER) + 1n }))?.message).toContain(
      'MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR',
    );
    // 32 shards × 10^15 > 2^53: the pooled total could not be read exactly.
    expect(refusal(() => assertLimits({ ...DEFAULT_LEDGER_LIMITS, maxPooledBalanceMinor: 10n ** 15n }))?.message).toContain('MESHFAB_SETTLEMENT_POOLED_ACCOUNT_SHARDS');
    expect(refusal(() => assertLimits({ ...DEFAULT_LEDGER_LIMITS, maxBalanceMinor: 10n ** 14n + 1n }))?.message).toContain('MESHFAB_SETTLEMENT_MAX_POOLED_BALANCE_MINOR');
  });

  it('refuses a single amount over its cap with 422 amount_over_cap naming the limit', () => {
    expect(() => assertWithinCap(limits, 'maxDepositMinor', 'deposit', 1000, 'CNY')).not.toThrow();
    const e = refusal(() => assertWithinCap(limits, 'maxFundingIntentMinor', 'funding intent', 10n ** 13n, 'CNY'));
    expect(e).toMatchObject({ code: 'amount_over_cap', kind: 'rejected', details: { limit: 'MESHFAB_SETTLEMENT_MAX_FUNDING_INTENT_MINOR' } });
    expect(refusal(() => assertWithinCap(limits, 'maxDepositMinor', 'deposit', 1001n, 'CNY'))?.message).toBe(
      'deposit of 1001 CNY minor units exceeds the limit of 1000 per deposit (MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR)',
    );
  });

  it('caps member balances and each pooled shard in both directions, and lets an over-cap balance shrink', () => {
    const deposit = (amount: bigint) => [
      { account: bank, amountMinor: -amount },
      { account: funds, amountMinor: amount },
    ];
    expect(() => assertBalanceCaps(deposit(1000n), new Map(), limits)).not.toThrow();
    expect(refusal(() => assertBalanceCaps(deposit(1n), new Map([[funds.id, 1000n]]), limits))).toMatchObject({
      code: 'balance_over_cap',
      details: { accountId: funds.id, limit: 'MESHFAB_SETTLEMENT_MAX_BALANCE_MINOR' },
    });
    // The clearing account is negative: its magnitude is capped by the pooled limit.
    expect(refusal(() => assertBalanceCaps(deposit(1n), new Map([[bank.id, -1500n]]), limits))).toMatchObject({
      code: 'balance_over_cap',
      details: { accountId: bank.id, limit: 'MESHFAB_SETTLEMENT_MAX_POOLED_BALANCE_MINOR' },
    });
    // A balance already beyond the cap (old data, a lowered cap) may only move back towards zero.
    expect(() => assertBalanceCaps(deposit(-5n), new Map([[funds.id, 5000n], [bank.id, -5000n]]), limits)).not.toThrow();
  });
});
