import { DomainError, ValidationFailed } from '#libs/domain';
import { isPooled, type AccountSpec } from './accounts.js';
import { toJsonMinor, type MinorUnits } from './money.js';

/**
 * The caps that keep every amount exact at the edge: no single credit, funding intent or balance may
 * grow past a configured limit, so no member can push any account (least of all a shared one such as
 * `external:bank-clearing:<cur>`) beyond what a JSON number carries exactly.
 *
 * - `maxDepositMinor`: one deposit / confirmed credit to a member's funds.
 * - `maxFundingIntentMinor`: one funding intent (checked by the funding flow with `assertWithinCap`).
 * - `maxBalanceMinor`: the magnitude of any member account's balance (funds, escrow, payable, …).
 * - `maxPooledBalanceMinor`: the magnitude of each shard of a pooled account (platform fees, bank
 *   clearing); `pooledShards × maxPooledBalanceMinor ≤ Number.MAX_SAFE_INTEGER`, so even their sum
 *   is a safe integer.
 */
export interface LedgerLimits {
  maxDepositMinor: MinorUnits;
  maxFundingIntentMinor: MinorUnits;
  maxBalanceMinor: MinorUnits;
  maxPooledBalanceMinor: MinorUnits;
  /** How many sub-accounts each pooled account is spread over (see Accounts / Ledger.post). */
  pooledShards: number;
}

/** The configuration variables behind each cap, named in the refusals. */
export const LIMIT_SETTINGS = {
  maxDepositMinor: 'MESHFAB_SETTLEMENT_MAX_DEPOSIT_MINOR',
  maxFundingIntentMinor: 'MESHFAB_SETTLEMENT_MAX_FUNDING_INTENT_MINOR',
  maxBalanceMinor: 'MESHFAB_SETTLEMENT_MAX_BALANCE_MINOR',
  maxPooledBalanceMinor: 'MESHFAB_SETTLEMENT_MAX_POOLED_BALANCE_MINOR',
  pooledShards: 'MESHFAB_SETTLEMENT_POOLED_ACCOUNT_SHARDS',
} as const;

export const DEFAULT_LEDGER_LIMITS: LedgerLimits = {
  maxDepositMinor: 1_000_000_000_000n,
  maxFundingIntentMinor: 1_000_000_000_000n,
  maxBalanceMinor: 1_000_000_000_000n,
  maxPooledBalanceMinor: 100_000_000_000_000n,
  pooledShards: 32,
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Refuses limits that could let an amount leave the safe-integer range. Run at start-up. */
export function assertLimits(limits: LedgerLimits): void {
  for (const field of ['maxDepositMinor', 'maxFundingIntentMinor', 'maxBalanceMinor', 'maxPooledBalanceMinor'] as const) {
    const v = limits[field];
    if (v < 1n || v > MAX_SAFE) throw new ValidationFailed(LIMIT_SETTINGS[field], `must be from 1 to ${MAX_SAFE} minor units`);
  }
  if (!Number.isInteger(limits.pooledShards) || limits.pooledShards < 1 || limits.pooledShards > 1024) {
    throw new ValidationFailed(LIMIT_SETTINGS.pooledShards, 'must be an integer from 1 to 1024');
  }
  if (limits.maxPooledBalanceMinor * BigInt(limits.pooledShards) > MAX_SAFE) {
    throw new ValidationFailed(
      LIMIT_SETTINGS.maxPooledBalanceMinor,
      `× ${LIMIT_SETTINGS.pooledShards} (${limits.pooledShards}) must not exceed ${MAX_SAFE}, so a pooled account's total stays exact`,
    );
  }
  if (limits.maxBalanceMinor > limits.maxPooledBalanceMinor) {
    throw new ValidationFailed(LIMIT_SETTINGS.maxBalanceMinor, `must not exceed ${LIMIT_SETTINGS.maxPooledBalanceMinor}: one member must not fill a pooled account`);
  }
}

/** A single amount above its cap (a deposit, a credit, a funding intent). 422 `amount_over_cap`. */
export class AmountOverCap extends DomainError {
  constructor(what: string, amountMinor: MinorUnits, limit: keyof typeof LIMIT_SETTINGS, limitMinor: MinorUnits, currency: string) {
    super(
      'amount_over_cap',
      `${what} of ${amountMinor} ${currency} minor units exceeds the limit of ${limitMinor} per ${what} (${LIMIT_SETTINGS[limit]})`,
      'rejected',
      { amountMinor: amountMinor.toString(), limit: LIMIT_SETTINGS[limit], limitMinor: toJsonMinor(limitMinor), currency },
    );
  }
}

/** A posting that would take an account's balance past its cap. 422 `balance_over_cap`; nothing is stored. */
export class BalanceOverCap extends DomainError {
  constructor(account: AccountSpec, balanceMinor: MinorUnits, amountMinor: MinorUnits, limit: 'maxBalanceMinor' | 'maxPooledBalanceMinor', limitMinor: MinorUnits) {
    super(
      'balance_over_cap',
      `account ${account.id} holds ${balanceMinor} ${account.currency} minor units; moving ${amountMinor} more would take it past the limit of ${limitMinor} (${LIMIT_SETTINGS[limit]})`,
      'rejected',
      { accountId: account.id, limit: LIMIT_SETTINGS[limit], limitMinor: toJsonMinor(limitMinor), currency: account.currency },
    );
  }
}

/** Throws AmountOverCap when `amountMinor` exceeds the cap `limit` (e.g. the funding flow: `'maxFundingIntentMinor'`). */
export function assertWithinCap(limits: LedgerLimits, limit: 'maxDepositMinor' | 'maxFundingIntentMinor', what: string, amountMinor: number | bigint, currency: string): void {
  const amount = BigInt(amountMinor);
  if (amount > limits[limit]) throw new AmountOverCap(what, amount, limit, limits[limit], currency);
}

/**
 * Throws BalanceOverCap when a leg would take an account's balance (either sign) past its cap. A leg that
 * moves a balance already over the cap (a lowered cap, old data) back towards zero is allowed.
 */
export function assertBalanceCaps(
  legs: readonly { account: AccountSpec; amountMinor: MinorUnits }[],
  balances: ReadonlyMap<string, MinorUnits>,
  limits: LedgerLimits,
): void {
  const abs = (v: bigint) => (v < 0n ? -v : v);
  for (const leg of legs) {
    const limit = isPooled(leg.account) ? 'maxPooledBalanceMinor' : 'maxBalanceMinor';
    const before = balances.get(leg.account.id) ?? 0n;
    const after = before + leg.amountMinor;
    if (abs(after) > limits[limit] && abs(after) > abs(before)) throw new BalanceOverCap(leg.account, before, leg.amountMinor, limit, limits[limit]);
  }
}
