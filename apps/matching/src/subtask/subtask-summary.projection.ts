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
  readonly handles = ['SubtaskOffered', ...Object.keys(STATUS_BY_EVENT), 'SubtaskFailedInspection', 'SubtaskProgressed', 'LotAtRisk', 'SubtaskCounterRefused'];
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
    if (event.type === 'SubtaskProgressed') {
      await m.query(`UPDATE ${this.s}.subtasks SET done_quantity = $2, progress_at = $3, updated_at = $3 WHERE subtask_id = $1`, [d.subtaskId, d.doneQuantity, d.reportedAt]);
      return;
    }
    if (event.type === 'SubtaskCounterRefused') {
      await m.query(`UPDATE ${this.s}.subtasks SET status_reason = $2 WHERE subtask_id = $1`, [d.subtaskId, `counter-offer refused: ${String(d.reason)}`]);
      return;
    }
    if (event.type === 'LotAtRisk') {
      await m.query(`UPDATE ${this.s}.subtasks SET at_risk = $2 WHERE subtask_id = $1`, [d.subtaskId, d.reason]);
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

  /**
   * Many freshly offered subtasks at once, in one statement, with what the planner knows of each (why
   * it went where it went, which subtask it replaces) — the same rows `apply` writes, plus those.
   */
  async insertOffered(offers: readonly { event: StoredEvent; explanation: unknown; replaces: string | null }[], m: EntityManager): Promise<void> {
    if (offers.length === 0) return;
    const rows = offers.map(({ event, explanation, replaces }) => {
      const d = event.data as Data;
      const price = d.price as { amountMinor: number; currency: string };
      return [d.subtaskId, d.orderId, d.brandId, d.stepId, d.process, d.workshopId, d.quantity, price.amountMinor, price.currency, d.expiresAt, d.plannedStart, d.plannedEnd, event.occurredAt, JSON.stringify(explanation), replaces];
    });
    const column = (i: number) => rows.map((r) => r[i]);
    await m.query(
      `INSERT INTO ${this.s}.subtasks (subtask_id, order_id, brand_id, step_id, process, workshop_id, quantity, price_minor, currency, status, expires_at, planned_start, planned_end, updated_at, explanation, replaces)
       SELECT t.id, t.o, t.b, t.st, t.p, t.w, t.q, t.pm, t.c, 'offered', t.e, t.ps, t.pe, t.u, t.x, t.r
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
                   $13::timestamptz[], $14::jsonb[], $15::text[]) AS t(id, o, b, st, p, w, q, pm, c, e, ps, pe, u, x, r)
       ON CONFLICT (subtask_id) DO NOTHING`,
      Array.from({ length: 15 }, (_, i) => column(i)),
    );
  }

  async reset(m: EntityManager): Promise<void> {
    await m.query(`DELETE FROM ${this.s}.subtasks`);
  }
}
