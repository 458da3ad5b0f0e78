import { DomainError, type Decider } from '#libs/domain';
import { Accounts } from '../../ledger/domain/accounts.js';
import type { Money } from '../../ledger/domain/money.js';
import { move, type TransferRequest } from '../../ledger/domain/transfer.js';
import type { ClosedOrderStatus } from './lot-payment.decider.js';

/**
 * Settlement's view of one order, stream `settlement-order-<orderId>`: whose it is, the currency its lots
 * are escrowed in (fixed by the first priced lot), and whether orders closed it. Closing it settles it
 * once (`OrderSettled`); its lots' own streams decide what each lot is owed (lot-payment.decider.ts).
 */
export type OrderSettlementStatus = 'open' | ClosedOrderStatus;

export type OrderSettlementEvent =
  | { type: 'SettlementOrderOpened'; data: { orderId: string; brandId: string; currency: string | null } }
  | { type: 'SettlementOrderCurrencySet'; data: { orderId: string; currency: string } }
  /** `leftover`: escrow beyond what the order's lots are still owed, back to the brand (`close:<order>:<currency>`). */
  | { type: 'SettlementOrderClosed'; data: { orderId: string; brandId: string; status: ClosedOrderStatus; closedAt: string; leftover: Money[] } }
  | { type: 'OrderSettled'; data: { orderId: string; brandId: string; paidToWorkshops: Money; refundedToBrand: Money; statementId: string } };

export const ORDER_SETTLEMENT_EVENT_TYPES: readonly OrderSettlementEvent['type'][] = ['SettlementOrderOpened', 'SettlementOrderCurrencySet', 'SettlementOrderClosed', 'OrderSettled'];

export type OrderSettlementCommand =
  /** A lot of the order was heard of; `currency` once it has a price. */
  | { type: 'TrackOrder'; orderId: string; brandId: string; currency: string | null }
  /** Totals as they will stand once `leftover` is refunded (the caller reads them from the ledger). */
  | {
      type: 'CloseOrder';
      orderId: string;
      brandId: string;
      status: ClosedOrderStatus;
      now: Date;
      leftover: Money[];
      paidToWorkshopsMinor: number;
      refundedToBrandMinor: number;
      fallbackCurrency: string;
    };

export interface OrderSettlementState {
  exists: boolean;
  brandId: string | null;
  currency: string | null;
  status: OrderSettlementStatus;
}

export class OrderBrandMismatch extends DomainError {
  constructor(orderId: string, owner: string, claimed: string) {
    super('order_brand_mismatch', `order ${orderId} belongs to ${owner}, not ${claimed}`, 'conflict', { orderId });
  }
}

export class OrderCurrencyMismatch extends DomainError {
  constructor(orderId: string, settledIn: string, priced: string) {
    super('currency_mismatch', `order ${orderId} is settled in ${settledIn}; a lot priced in ${priced} cannot be escrowed`, 'rejected', { orderId });
  }
}

const initialState = (): OrderSettlementState => ({ exists: false, brandId: null, currency: null, status: 'open' });

function evolve(state: OrderSettlementState, event: OrderSettlementEvent): OrderSettlementState {
  switch (event.type) {
    case 'SettlementOrderOpened':
      return { exists: true, brandId: event.data.brandId, currency: event.data.currency, status: 'open' };
    case 'SettlementOrderCurrencySet':
      return { ...state, currency: event.data.currency };
    case 'SettlementOrderClosed':
      return { ...state, status: event.data.status };
    case 'OrderSettled':
      return state;
  }
}

function opened(command: { orderId: string; brandId: string; currency: string | null }, state: OrderSettlementState): OrderSettlementEvent[] {
  if (!state.exists) return [{ type: 'SettlementOrderOpened', data: { orderId: command.orderId, brandId: command.brandId, currency: command.currency } }];
  if (state.brandId !== command.brandId) throw new OrderBrandMismatch(command.orderId, state.brandId!, command.brandId);
  if (command.currency === null || state.currency === command.currency) return [];
  if (state.currency !== null) throw new OrderCurrencyMismatch(command.orderId, state.currency, command.currency);
  return [{ type: 'SettlementOrderCurrencySet', data: { orderId: command.orderId, currency: command.currency } }];
}

function decide(command: OrderSettlementCommand, state: OrderSettlementState): OrderSettlementEvent[] {
  switch (command.type) {
    case 'TrackOrder':
      return opened(command, state);
    case 'CloseOrder': {
      const events = opened({ ...command, currency: null }, state);
      if (state.status !== 'open') return events; // closed once: a redelivered or second closing changes nothing
      const currency = state.currency ?? command.fallbackCurrency;
      const { orderId, brandId } = command;
      return [
        ...events,
        { type: 'SettlementOrderClosed', data: { orderId, brandId, status: command.status, closedAt: command.now.toISOString(), leftover: command.leftover } },
        {
          type: 'OrderSettled',
          data: {
            orderId,
            brandId,
            paidToWorkshops: { amountMinor: command.paidToWorkshopsMinor, currency },
            refundedToBrand: { amountMinor: command.refundedToBrandMinor, currency },
            statementId: `statement:${orderId}`,
          },
        },
      ];
    }
  }
}

export const orderSettlementDecider: Decider<OrderSettlementState, OrderSettlementCommand, OrderSettlementEvent> = { decide, evolve, initialState };

/** The leftover-escrow refunds a closing stands for (see `SettlementOrderClosed`). */
export function orderPostings(event: OrderSettlementEvent): TransferRequest[] {
  if (event.type !== 'SettlementOrderClosed') return [];
  const { orderId, brandId, status } = event.data;
  return event.data.leftover
    .filter((m) => m.amountMinor > 0)
    .map((m) => ({
      transferId: `close:${orderId}:${m.currency}`,
      kind: 'order_refund' as const,
      currency: m.currency,
      orderId,
      legs: move(Accounts.orderEscrow(orderId, brandId, m.currency), Accounts.brandFunds(brandId, m.currency), m.amountMinor),
      memo: `leftover escrow of ${status} order`,
    }));
}

export const orderStream = (orderId: string): string => `settlement-order-${orderId}`;
