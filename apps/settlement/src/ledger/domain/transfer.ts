import { DomainError, ValidationFailed } from '#libs/domain';
import { lockOrder, type AccountSpec } from './accounts.js';
import { toJsonMinor, toMinor, type MinorUnits } from './money.js';

export type TransferKind =
  | 'deposit'
  | 'escrow_funding'
  | 'lot_release'
  | 'lot_refund'
  | 'order_refund'
  | 'payout_request'
  | 'payout_paid'
  /** A payout the provider or the bank could not pay: the money goes back to the workshop's available balance. */
  | 'payout_returned'
  /** A release undone: a dispute overturned the lot's pass. */
  | 'lot_clawback';

/**
 * One line of a transfer: positive credits (increases) the account's balance, negative debits it. A
 * `number` must be a safe integer; the ledger works on the exact `bigint`.
 */
export interface Leg {
  account: AccountSpec;
  amountMinor: number | bigint;
}

/** A leg with its amount exact. */
export interface ExactLeg {
  account: AccountSpec;
  amountMinor: MinorUnits;
}

/** The legs of a transfer with exact amounts; refuses a number that is not a safe integer. */
export const exactLegs = (legs: readonly Leg[]): ExactLeg[] =>
  legs.map((leg, i) => ({ account: leg.account, amountMinor: toMinor(leg.amountMinor, `legs.${i}.amountMinor`) }));

export interface TransferRequest {
  /** Idempotency: the same id with the same content is a no-op; with other content, a conflict. */
  transferId: string;
  kind: TransferKind;
  currency: string;
  legs: Leg[];
  orderId?: string;
  subtaskId?: string;
  memo?: string;
  /**
   * Which shard of a pooled account (platform fees, bank clearing) the legs on it take: by default the
   * one `transferId` hashes to; a transfer that undoes another names that one's id, so it takes back from
   * the shard the first one credited (a clawback of a release's fee).
   */
  shardKey?: string;
}

/**
 * The most legs one transfer may have (a release has at most four). Its ledger lines are numbered from the
 * transfer's first entry id, drawn from a sequence that steps by 16 (SettlementLedgerLegsOnTransfers, which
 * ledger_post also enforces): raising this needs a migration that widens that step first.
 */
export const MAX_TRANSFER_LEGS = 16;

/** Refuses a transfer that is not a balanced set of non-zero legs in one currency on distinct accounts. */
export function validateTransfer(t: TransferRequest): void {
  if (!t.transferId.trim()) throw new ValidationFailed('transferId', 'must not be empty');
  if (t.legs.length < 2) throw new ValidationFailed('legs', 'a transfer needs at least two legs');
  if (t.legs.length > MAX_TRANSFER_LEGS) throw new ValidationFailed('legs', `a transfer has at most ${MAX_TRANSFER_LEGS} legs, not ${t.legs.length}`);
  const seen = new Set<string>();
  let sum = 0n;
  exactLegs(t.legs).forEach((leg, i) => {
    if (leg.amountMinor === 0n) throw new ValidationFailed(`legs.${i}.amountMinor`, 'must not be zero');
    if (leg.account.currency !== t.currency) {
      throw new ValidationFailed(`legs.${i}.account`, `account ${leg.account.id} holds ${leg.account.currency}, not ${t.currency}`);
    }
    if (seen.has(leg.account.id)) throw new ValidationFailed(`legs.${i}.account`, `account ${leg.account.id} appears twice`);
    seen.add(leg.account.id);
    sum += leg.amountMinor;
  });
  if (sum !== 0n) throw new ValidationFailed('legs', `debits and credits differ by ${sum} minor units`);
}

/** The content that decides whether a repeated transfer id is the same transfer: canonical, order-free. */
export function transferFingerprint(t: TransferRequest): string {
  // The JSON text of [kind, currency, orderId, subtaskId, [[account, amount], …]] with the amounts as
  // exact integers: the same text JSON.stringify gave when amounts were numbers, so old ids still replay.
  const legs = exactLegs(t.legs)
    .sort((a, b) => lockOrder(a.account.id, b.account.id))
    .map((l) => `[${JSON.stringify(l.account.id)},${l.amountMinor.toString()}]`);
  const head = JSON.stringify([t.kind, t.currency, t.orderId ?? null, t.subtaskId ?? null]).slice(0, -1);
  return `${head},[${legs.join(',')}]]`;
}

export class InsufficientFunds extends DomainError {
  constructor(accountId: string, balanceMinor: number | bigint, requiredMinor: number | bigint, currency: string) {
    super(
      'insufficient_funds',
      `account ${accountId} holds ${balanceMinor} ${currency} minor units; ${requiredMinor} are needed`,
      'rejected',
      { accountId, balanceMinor: toJsonMinor(toMinor(balanceMinor)), requiredMinor: toJsonMinor(toMinor(requiredMinor)), currency },
    );
  }
}

/** Throws InsufficientFunds when a leg would take an account below its floor. */
export function assertFloors(t: TransferRequest, balances: ReadonlyMap<string, number | bigint>): void {
  for (const leg of exactLegs(t.legs)) {
    const floor = leg.account.minBalance;
    if (floor === null || leg.amountMinor >= 0n) continue;
    const balance = toMinor(balances.get(leg.account.id) ?? 0n);
    if (balance + leg.amountMinor < BigInt(floor)) {
      throw new InsufficientFunds(leg.account.id, balance, -leg.amountMinor, t.currency);
    }
  }
}

/** Builds a two-legged transfer moving `amountMinor` from one account to another. */
export function move(from: AccountSpec, to: AccountSpec, amountMinor: number | bigint): Leg[] {
  return [
    { account: from, amountMinor: -amountMinor },
    { account: to, amountMinor },
  ];
}
