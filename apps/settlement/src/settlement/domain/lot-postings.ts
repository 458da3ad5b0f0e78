import { Accounts } from '../../ledger/domain/accounts.js';
import { move, type Leg, type TransferRequest } from '../../ledger/domain/transfer.js';
import type { LotPaymentEvent, LotPaymentState } from './lot-payment.decider.js';

/**
 * The ledger transfer a lot payment event stands for, given the lot's state just before it (null: the
 * event moves no money). Posted in the transaction that appends the event; the ids are stable, so a
 * replay posts nothing twice (the ledger refuses a reused id with other content).
 *
 * - EscrowFunded: brand funds → order escrow, `escrow:<subtask>:<n>` (n-th funding of the lot);
 * - PaymentReleased: order escrow → workshop payable (net) + platform fees (fee) + brand funds (late penalty), `release:<subtask>`;
 * - EscrowRefunded: order escrow → brand funds, `refund:<subtask>:<n>` (refund of the n-th funding).
 * A zero price moves nothing (the events still record the lot's progress).
 */
export function lotPosting(before: LotPaymentState, event: LotPaymentEvent): TransferRequest | null {
  const lot = before.lot;
  if (!lot) return null;
  switch (event.type) {
    case 'EscrowFunded': {
      const { amount } = event.data;
      if (amount.amountMinor <= 0) return null;
      return {
        transferId: `escrow:${lot.subtaskId}:${before.fundings + 1}`,
        kind: 'escrow_funding',
        currency: amount.currency,
        orderId: lot.orderId,
        subtaskId: lot.subtaskId,
        legs: move(Accounts.brandFunds(lot.brandId, amount.currency), Accounts.orderEscrow(lot.orderId, lot.brandId, amount.currency), amount.amountMinor),
      };
    }
    case 'PaymentReleased': {
      const { gross, platformFee, penalty, net, daysLate } = event.data;
      if (gross.amountMinor <= 0) return null;
      const currency = gross.currency;
      const legs: Leg[] = [{ account: Accounts.orderEscrow(lot.orderId, lot.brandId, currency), amountMinor: -gross.amountMinor }];
      if (net.amountMinor > 0) legs.push({ account: Accounts.workshopPayable(lot.workshopId, currency), amountMinor: net.amountMinor });
      if (platformFee.amountMinor > 0) legs.push({ account: Accounts.platformFees(currency), amountMinor: platformFee.amountMinor });
      if (penalty.amountMinor > 0) legs.push({ account: Accounts.brandFunds(lot.brandId, currency), amountMinor: penalty.amountMinor });
      return {
        transferId: `release:${lot.subtaskId}`,
        kind: 'lot_release',
        currency,
        orderId: lot.orderId,
        subtaskId: lot.subtaskId,
        legs,
        memo: daysLate > 0 ? `${daysLate} day(s) late` : undefined,
      };
    }
    case 'EscrowRefunded': {
      const { amount, reason } = event.data;
      if (amount.amountMinor <= 0) return null;
      return {
        transferId: `refund:${lot.subtaskId}:${before.fundings}`,
        kind: 'lot_refund',
        currency: amount.currency,
        orderId: lot.orderId,
        subtaskId: lot.subtaskId,
        legs: move(Accounts.orderEscrow(lot.orderId, lot.brandId, amount.currency), Accounts.brandFunds(lot.brandId, amount.currency), amount.amountMinor),
        memo: reason,
      };
    }
    case 'LotAccepted':
    case 'LotDelivered':
    case 'LotPassed':
    case 'LotPaymentWithheld':
    case 'FundsShort':
    case 'LotPaymentCancelled':
      return null;
  }
}
