import type { EntityManager } from 'typeorm';
import { ident, type Projection, type StoredEvent } from '#libs/eventsourcing';

type Data = Record<string, unknown>;

const STATUS_BY_EVENT: Record<string, string> = {
  SubtaskAccepted: 'accepted',
  SubtaskDeclined: 'declined',
  SubtaskExpired: 'expired',
  SubtaskStarted: 'started',
  SubtaskCompleted: 'completed',
  SubtaskCancelled: 'cancelled',
};

/** The `subtasks` read model: one row per subtask with its status, kept inline with every append. */
export class SubtaskSummaryProjection implements Projection {
  readonly name = 'subtask-summary';
  readonly handles = ['SubtaskOffered', ...Object.keys(STATUS_BY_EVENT), 'SubtaskFailedInspection'];
  private readonly s: string;

  constructor(schema: string) {
    this.s = ident(schema);
  }

  async apply(event: StoredEvent, m: EntityManager): Promise<void> {
    const d = event.data as Data;
    if (event.type === 'SubtaskOffered') {
      const price = d.price as { amountMinor: number; currency: string };
      await m.query(
        `INSERT INTO ${this.s}.subtasks (subtask_id, order_id, brand_id, step_id, process, workshop_id, quantity, price_minor, currency, status, expires_at, planned_start, planned_end, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'offered', $10, $11, $12, $13) ON CONFLICT (subtask_id) DO NOTHING`,
        [d.subtaskId, d.orderId, d.brandId, d.stepId, d.process, d.workshopId, d.quantity, price.amountMinor, price.currency, d.expiresAt, d.plannedStart, d.plannedEnd, event.occurredAt],
      );
      return;
    }
    if (event.type === 'SubtaskFailedInspection') {
      const status = d.disposition === 'rework' ? 'rework' : 'replanned';
      await m.query(`UPDATE ${this.s}.subtasks SET status = $2, status_reason = 'failed inspection', updated_at = $3 WHERE subtask_id = $1`, [d.subtaskId, status, event.occurredAt]);
      return;
    }
    const status = STATUS_BY_EVENT[event.type];
    if (event.type === 'SubtaskCompleted') {
      await m.query(
        `UPDATE ${this.s}.subtasks SET status = $2, completions = completions + 1, good_quantity = $3, scrap_quantity = $4, updated_at = $5 WHERE subtask_id = $1`,
        [d.subtaskId, status, d.goodQuantity, d.scrapQuantity, event.occurredAt],
      );
      return;
    }
    await m.query(`UPDATE ${this.s}.subtasks SET status = $2, status_reason = $3, updated_at = $4 WHERE subtask_id = $1`, [
      d.subtaskId,
      status,
      typeof d.reason === 'string' ? d.reason : null,
      event.occurredAt,
    ]);
  }

  async reset(m: EntityManager): Promise<void> {
    await m.query(`DELETE FROM ${this.s}.subtasks`);
  }
}
