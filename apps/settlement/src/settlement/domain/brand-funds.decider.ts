import { ValidationFailed, type Decider } from '#libs/domain';
import { toJsonMinor, type Money } from '../../ledger/domain/money.js';

/**
 * A brand's funds, stream `settlement-brand-<brandId>`: every confirmed credit (a provider's payment, a
 * reconciled statement line, an approved manual credit) as `FundsDeposited`, with the brand's available
 * balance after it. The state keeps the total credited per currency, which the audit compares with the
 * ledger's deposits and with the confirmed receipts.
 */
export type BrandFundsEvent = { type: 'FundsDeposited'; data: { brandId: string; depositId: string; amount: Money; available: Money } };

export type BrandFundsCommand = { type: 'CreditFunds'; brandId: string; depositId: string; amount: Money; available: bigint };

export interface BrandFundsState {
  /** Per currency, exact (decimal strings: the state is plain JSON). */
  creditedMinor: Record<string, string>;
}

const initialState = (): BrandFundsState => ({ creditedMinor: {} });

function evolve(state: BrandFundsState, event: BrandFundsEvent): BrandFundsState {
  const { currency, amountMinor } = event.data.amount;
  const before = BigInt(state.creditedMinor[currency] ?? '0');
  return { creditedMinor: { ...state.creditedMinor, [currency]: String(before + BigInt(amountMinor)) } };
}

function decide(command: BrandFundsCommand): BrandFundsEvent[] {
  const { brandId, depositId, amount } = command;
  if (!Number.isSafeInteger(amount.amountMinor) || amount.amountMinor <= 0) throw new ValidationFailed('amountMinor', 'a credit is a positive whole number of minor units');
  return [{ type: 'FundsDeposited', data: { brandId, depositId, amount, available: { amountMinor: toJsonMinor(command.available), currency: amount.currency } } }];
}

export const brandFundsDecider: Decider<BrandFundsState, BrandFundsCommand, BrandFundsEvent> = { decide, evolve, initialState };

export const brandFundsStream = (brandId: string): string => `settlement-brand-${brandId}`;
