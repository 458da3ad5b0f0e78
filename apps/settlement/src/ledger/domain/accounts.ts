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
  platformFees: (currency: string): AccountSpec => ({
    id: `platform:fees:${currency}`,
    purpose: 'platform_fees',
    memberId: null,
    orderId: null,
    currency,
    minBalance: 0,
  }),
  bankClearing: (currency: string): AccountSpec => ({
    id: `external:bank-clearing:${currency}`,
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
