import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';
import { LOT_PAYMENT_EVENT_TYPES, type LotPaymentEvent } from './domain/lot-payment.decider.js';
import { ORDER_SETTLEMENT_EVENT_TYPES, type OrderSettlementEvent } from './domain/order-settlement.decider.js';
import { PAYOUT_EVENT_TYPES, type PayoutEvent } from './domain/payout.decider.js';

/**
 * Settlement's read models (`lots`, `orders`, `payouts`), kept from its own streams inline, in the
 * transaction that appends the events, and rebuildable from the log (`rebuildProjection`). The streams
 * are the truth; these tables answer queries (statements, waiting lots oldest first, payout lists).
 */
const typed = <E>(event: StoredEvent): E => ({ type: event.type, data: event.data }) as unknown as E;

export function lotsProjection(schema: string): Projection {
  const s = ident(schema);
  return {
    name: 'settlement-lots',
    handles: LOT_PAYMENT_EVENT_TYPES,
    async reset(m: EntityManager) {
      await m.query(`DELETE FROM ${s}.lots`);
    },
    async apply(stored: StoredEvent, m: EntityManager) {
      const e = typed<LotPaymentEvent>(stored);
      const at = stored.occurredAt;
      switch (e.type) {
        case 'LotAccepted': {
          const d = e.data;
          await m.query(
            `INSERT INTO ${s}.lots (subtask_id, order_id, brand_id, workshop_id, step_id, price_minor, currency, accepted_at, planned_end, status, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'awaiting_funds', $10)
             ON CONFLICT (subtask_id) DO UPDATE SET order_id = $2, brand_id = $3, workshop_id = $4, step_id = $5, price_minor = $6, currency = $7,
               accepted_at = $8, planned_end = $9, status = 'awaiting_funds', updated_at = $10`,
            [d.subtaskId, d.orderId, d.brandId, d.workshopId, d.stepId, String(d.price.amountMinor), d.price.currency, d.acceptedAt, d.plannedEnd, at],
          );
          return;
        }
        case 'LotDelivered': {
          const d = e.data;
          await m.query(
            `INSERT INTO ${s}.lots (subtask_id, order_id, brand_id, workshop_id, step_id, status, completed_at, due_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'awaiting_acceptance', $6, $7, $8)
             ON CONFLICT (subtask_id) DO UPDATE SET completed_at = greatest(${s}.lots.completed_at, $6::timestamptz), due_at = $7, updated_at = $8`,
            [d.subtaskId, d.orderId, d.brandId, d.workshopId, d.stepId, d.completedAt, d.dueAt, at],
          );
          return;
        }
        case 'LotPassed': {
          const d = e.data;
          await m.query(
            `INSERT INTO ${s}.lots (subtask_id, order_id, brand_id, workshop_id, step_id, status, passed_at, passed_quantity, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'awaiting_acceptance', $6, $7, $8)
             ON CONFLICT (subtask_id) DO UPDATE SET passed_at = $6, passed_quantity = $7, updated_at = $8`,
            [d.subtaskId, d.orderId, d.brandId, d.workshopId, d.stepId, d.passedAt, d.passedQuantity, at],
          );
          return;
        }
        case 'LotPaymentWithheld':
          await m.query(`UPDATE ${s}.lots SET failures = failures + 1, last_failure = $2, updated_at = $3 WHERE subtask_id = $1`, [e.data.subtaskId, e.data.disposition, at]);
          return;
        case 'FundsShort':
          await m.query(`UPDATE ${s}.lots SET status = 'awaiting_funds', updated_at = $2 WHERE subtask_id = $1`, [e.data.subtaskId, at]);
          return;
        case 'EscrowFunded':
          await m.query(`UPDATE ${s}.lots SET status = 'escrowed', fundings = fundings + 1, funds_held_until = $3, updated_at = $2 WHERE subtask_id = $1`, [
            e.data.subtaskId,
            at,
            e.data.fundsHeldUntil ?? null,
          ]);
          return;
        case 'PaymentReleased': {
          const d = e.data;
          await m.query(
            `UPDATE ${s}.lots SET status = 'paid', fee_minor = $2, penalty_minor = $3, net_minor = $4, days_late = $5, paid_at = $6, updated_at = $6, funds_available_on = $7 WHERE subtask_id = $1`,
            [d.subtaskId, String(d.platformFee.amountMinor), String(d.penalty.amountMinor), String(d.net.amountMinor), d.daysLate, d.releasedAt, d.availableOn ?? null],
          );
          return;
        }
        case 'EscrowRefunded':
          await m.query(`UPDATE ${s}.lots SET status = 'refunded', updated_at = $2 WHERE subtask_id = $1`, [e.data.subtaskId, at]);
          return;
        case 'LotPaymentCancelled':
          await m.query(`UPDATE ${s}.lots SET status = 'cancelled', updated_at = $2 WHERE subtask_id = $1`, [e.data.subtaskId, at]);
          return;
        case 'LotPassOverturned':
          await m.query(`UPDATE ${s}.lots SET passed_at = NULL, passed_quantity = NULL, updated_at = $2 WHERE subtask_id = $1`, [e.data.subtaskId, at]);
          return;
        case 'PaymentClawedBack':
          await m.query(`UPDATE ${s}.lots SET status = 'clawed_back', updated_at = $2 WHERE subtask_id = $1`, [e.data.subtaskId, at]);
          return;
      }
    },
  };
}

export function ordersProjection(schema: string): Projection {
  const s = ident(schema);
  return {
    name: 'settlement-orders',
    handles: ORDER_SETTLEMENT_EVENT_TYPES,
    async reset(m: EntityManager) {
      await m.query(`DELETE FROM ${s}.orders`);
    },
    async apply(stored: StoredEvent, m: EntityManager) {
      const e = typed<OrderSettlementEvent>(stored);
      switch (e.type) {
        case 'SettlementOrderOpened':
          await m.query(`INSERT INTO ${s}.orders (order_id, brand_id, currency, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING`, [
            e.data.orderId,
            e.data.brandId,
            e.data.currency,
            stored.occurredAt,
          ]);
          return;
        case 'SettlementOrderCurrencySet':
          await m.query(`UPDATE ${s}.orders SET currency = $2 WHERE order_id = $1`, [e.data.orderId, e.data.currency]);
          return;
        case 'SettlementOrderClosed':
          await m.query(`UPDATE ${s}.orders SET status = $2, closed_at = $3 WHERE order_id = $1`, [e.data.orderId, e.data.status, e.data.closedAt]);
          return;
        case 'OrderSettled':
          return;
      }
    },
  };
}

export function payoutsProjection(schema: string): Projection {
  const s = ident(schema);
  return {
    name: 'settlement-payouts',
    handles: PAYOUT_EVENT_TYPES,
    async reset(m: EntityManager) {
      await m.query(`DELETE FROM ${s}.payouts`);
    },
    async apply(stored: StoredEvent, m: EntityManager) {
      const e = typed<PayoutEvent>(stored);
      const id = e.data.payoutId;
      switch (e.type) {
        case 'PayoutRequested':
          await m.query(
            `INSERT INTO ${s}.payouts (payout_id, workshop_id, amount_minor, currency, status, requested_at, updated_at) VALUES ($1, $2, $3, $4, 'requested', $5, $5)
             ON CONFLICT (payout_id) DO NOTHING`,
            [id, e.data.workshopId, String(e.data.amount.amountMinor), e.data.amount.currency, e.data.requestedAt],
          );
          return;
        case 'PayoutHeld':
          await m.query(`UPDATE ${s}.payouts SET status = 'held', hold_reason = $2, updated_at = $3 WHERE payout_id = $1`, [id, e.data.reason, e.data.heldAt]);
          return;
        case 'PayoutHoldLifted':
          await m.query(`UPDATE ${s}.payouts SET status = 'requested', hold_reason = NULL, updated_at = $2 WHERE payout_id = $1`, [id, e.data.liftedAt]);
          return;
        case 'PayoutInstructed':
          await m.query(`UPDATE ${s}.payouts SET status = 'instructed', provider = $2, instruction_id = $3, updated_at = $4 WHERE payout_id = $1`, [
            id,
            e.data.provider,
            e.data.instructionId,
            e.data.instructedAt,
          ]);
          return;
        case 'PayoutPaid':
          await m.query(
            `UPDATE ${s}.payouts SET status = 'paid', paid_at = $2, confirmation_source = $3, confirmation_txid = $4, bank_reference = $5, confirmed_by = $6, updated_at = $2 WHERE payout_id = $1`,
            [id, e.data.paidAt, e.data.source, e.data.transactionId, e.data.bankReference, e.data.confirmedBy],
          );
          return;
        case 'PayoutFailed':
          await m.query(
            `UPDATE ${s}.payouts SET status = 'failed', failed_at = $2, confirmation_source = $3, confirmation_txid = $4, failure_reason = $5, updated_at = $2 WHERE payout_id = $1`,
            [id, e.data.failedAt, e.data.source, e.data.transactionId, e.data.reason],
          );
          return;
      }
    },
  };
}
