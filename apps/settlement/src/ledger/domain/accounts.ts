/**
 * The chart of accounts. Every account holds one currency; its id names its purpose, its member and its
 * currency, e.g. `brand:b-1:funds:CNY`. Balances are signed: a member account's balance is what the
 * platform holds for (owes to) that member; the external bank/clearing account holds the mirror image
 * (negative while members have money on the platform), so the sum of all balances is always zero.
 *
 * `minBalance` is the floor the ledger enforces (null: no floor). Only the external clearing account may
 * go negative.
 */
export type AccountPurpose = 'brand_funds' | 'order_escrow' | 'workshop_payable' | 'workshop_payout_pending' | 'platform_fees' | 'bank_clearing';

export interface AccountSpec {
  id: string;
  purpose: AccountPurpose;
  /** The member (brand or workshop) the account belongs to; null for platform and external accounts. */
  memberId: string | null;
  /** The order for escrow accounts. */
  orderId: string | null;
  currency: string;
  minBalance: number | null;
}

/** The separator between a pooled account's id and its shard number: `platform:fees:CNY:s7`. */
export const SHARD_SEPARATOR = ':s';

/** Pooled accounts: one per currency, shared by every member (platform fees, bank clearing). */
export const isPooled = (account: Pick<AccountSpec, 'purpose'>): boolean => account.purpose === 'platform_fees' || account.purpose === 'bank_clearing';

const shardId = (id: string, shard: number): string => (shard === 0 ? id : `${id}${SHARD_SEPARATOR}${shard}`);

/**
 * A pooled account (platform fees, bank clearing: one per currency, touched by every release, deposit
 * or payout) would be a hot row that serialises every transfer of its currency. The ledger posts each
 * pooled leg to one of `shards` sub-accounts instead, chosen from the transfer id (FNV-1a), so a replay
 * lands on the same shard; reads sum the shards. Every shard keeps the account's purpose and floor.
 */
export function poolShard(account: AccountSpec, transferId: string, shards: number): AccountSpec {
  if (shards <= 1 || !isPooled(account)) return account;
  let h = 2166136261;
  for (let i = 0; i < transferId.length; i++) h = Math.imul(h ^ transferId.charCodeAt(i), 16777619) >>> 0;
  return { ...account, id: shardId(account.id, h % shards) };
}

export const Accounts = {
  brandFunds: (brandId: string, currency: string): AccountSpec => ({
    id: `brand:${brandId}:funds:${currency}`,
    purpose: 'brand_funds',
    memberId: brandId,
    orderId: null,
    currency,
    minBalance: 0,
  }),
  orderEscrow: (orderId: string, brandId: string, currency: string): AccountSpec => ({
    id: `order:${orderId}:escrow:${currency}`,
    purpose: 'order_escrow',
    memberId: brandId,
    orderId,
    currency,
    minBalance: 0,
  }),
  workshopPayable: (workshopId: string, currency: string): AccountSpec => ({
    id: `workshop:${workshopId}:payable:${currency}`,
    purpose: 'workshop_payable',
    memberId: workshopId,
    orderId: null,
    currency,
    minBalance: 0,
  }),
  workshopPayoutPending: (workshopId: string, currency: string): AccountSpec => ({
    id: `workshop:${workshopId}:payout-pending:${currency}`,
    purpose: 'workshop_payout_pending',
    memberId: workshopId,
    orderId: null,
    currency,
    minBalance: 0,
  }),
  /** Pooled: the ledger spreads postings over shards (see `poolShard`); shard 0 keeps the plain id. */
  platformFees: (currency: string, shard = 0): AccountSpec => ({
    id: shardId(`platform:fees:${currency}`, shard),
    purpose: 'platform_fees',
    memberId: null,
    orderId: null,
    currency,
    minBalance: 0,
  }),
  /** Pooled: the ledger spreads postings over shards (see `poolShard`); shard 0 keeps the plain id. */
  bankClearing: (currency: string, shard = 0): AccountSpec => ({
    id: shardId(`external:bank-clearing:${currency}`, shard),
    purpose: 'bank_clearing',
    memberId: null,
    orderId: null,
    currency,
    minBalance: null,
  }),
} as const;

/**
 * The one order in which any transaction locks account rows (plain code-unit order, the same as
 * PostgreSQL's `COLLATE "C"`). Every flow locks its accounts ascending, so no two flows can deadlock.
 */
export const lockOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether `id` is the plain id (shard 0) of a pooled account, i.e. one whose balance is spread over shards. */
export function isPooledAccountId(id: string): boolean {
  const currency = id.slice(id.lastIndexOf(':') + 1);
  return id === Accounts.platformFees(currency).id || id === Accounts.bankClearing(currency).id;
}
