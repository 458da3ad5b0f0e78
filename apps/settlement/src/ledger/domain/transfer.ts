import { DomainError, ValidationFailed } from '#libs/domain';
import { lockOrder, type AccountSpec } from './accounts.js';
import { assertMinorUnits } from './money.js';

export type TransferKind =
  | 'deposit'
  | 'escrow_funding'
  | 'lot_release'
  | 'lot_refund'
  | 'order_refund'
  | 'payout_request'
  | 'payout_paid';

/** One line of a transfer: positive credits (increases) the account's balance, negative debits it. */
export interface Leg {
  account: AccountSpec;
  amountMinor: number;
}

export interface TransferRequest {
  /** Idempotency: the same id with the same content is a no-op; with other content, a conflict. */
  transferId: string;
  kind: TransferKind;
  currency: string;
  legs: Leg[];
  orderId?: string;
  subtaskId?: string;
  memo?: string;
}

/** Refuses a transfer that is not a balanced set of non-zero legs in one currency on distinct accounts. */
export function validateTransfer(t: TransferRequest): void {
  if (!t.transferId.trim()) throw new ValidationFailed('transferId', 'must not be empty');
  if (t.legs.length < 2) throw new ValidationFailed('legs', 'a transfer needs at least two legs');
  const seen = new Set<string>();
  let sum = 0n;
  t.legs.forEach((leg, i) => {
    assertMinorUnits(leg.amountMinor, `legs.${i}.amountMinor`);
    if (leg.amountMinor === 0) throw new ValidationFailed(`legs.${i}.amountMinor`, 'must not be zero');
    if (leg.account.currency !== t.currency) {
      throw new ValidationFailed(`legs.${i}.account`, `account ${leg.account.id} holds ${leg.account.currency}, not ${t.currency}`);
    }
    if (seen.has(leg.account.id)) throw new ValidationFailed(`legs.${i}.account`, `account ${leg.account.id} appears twice`);
    seen.add(leg.account.id);
    sum += BigInt(leg.amountMinor);
  });
  if (sum !== 0n) throw new ValidationFailed('legs', `debits and credits differ by ${sum} minor units`);
}

/** The content that decides whether a repeated transfer id is the same transfer: canonical, order-free. */
export function transferFingerprint(t: TransferRequest): string {
  const legs = [...t.legs].sort((a, b) => lockOrder(a.account.id, b.account.id)).map((l) => [l.account.id, l.amountMinor]);
  return JSON.stringify([t.kind, t.currency, t.orderId ?? null, t.subtaskId ?? null, legs]);
}

export class InsufficientFunds extends DomainError {
  constructor(accountId: string, balanceMinor: number, requiredMinor: number, currency: string) {
    super(
      'insufficient_funds',
      `account ${accountId} holds ${balanceMinor} ${currency} minor units; ${requiredMinor} are needed`,
      'rejected',
      { accountId, balanceMinor, requiredMinor, currency },
    );
  }
}

/** Throws InsufficientFunds when a leg would take an account below its floor. */
export function assertFloors(t: TransferRequest, balances: ReadonlyMap<string, number>): void {
  for (const leg of t.legs) {
    const floor = leg.account.minBalance;
    if (floor === null || leg.amountMinor >= 0) continue;
    const balance = balances.get(leg.account.id) ?? 0;
    if (balance + leg.amountMinor < floor) {
      throw new InsufficientFunds(leg.account.id, balance, -leg.amountMinor, t.currency);
    }
  }
}

/** Builds a two-legged transfer moving `amountMinor` from one account to another. */
export function move(from: AccountSpec, to: AccountSpec, amountMinor: number): Leg[] {
  return [
    { account: from, amountMinor: -amountMinor },
    { account: to, amountMinor },
  ];
}
