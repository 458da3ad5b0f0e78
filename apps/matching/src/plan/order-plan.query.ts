import { Inject, Injectable } from '@nestjs/common';
import { NotFound } from '#libs/domain';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { assertOwnership, type Principal } from '#libs/platform';
import { subtaskRows, subtaskView, type SubtaskRow } from '../subtask/subtask.service.js';

/** `GET /matching/orders/:orderId/plan`: the plan with every lot, its status and why it went where it went. */
@Injectable()
export class OrderPlanQuery {
  private readonly s: string;
  constructor(@Inject(ServiceDatabase) private readonly db: ServiceDatabase) {
    this.s = ident(db.schema);
  }

  async get(orderId: string, principal: Principal) {
    const plans: { order_id: string; brand_id: string; status: string; reason: string | null; completion_day: string | null; mode: string | null; updated_at: Date }[] =
      await this.db.dataSource.query(`SELECT order_id, brand_id, status, reason, completion_day::text, mode, updated_at FROM ${this.s}.order_plans WHERE order_id = $1`, [orderId]);
    if (plans.length === 0) throw new NotFound('plan', orderId);
    const plan = plans[0];
    assertOwnership(principal, plan.brand_id, 'plan', orderId);
    const lots: SubtaskRow[] = await this.db.dataSource.query(`${subtaskRows(this.s)} WHERE t.order_id = $1 ORDER BY t.step_id, t.planned_start, t.subtask_id`, [orderId]);
    const pending: { step_id: string; quantity: number; reason: string; replaces: string }[] = await this.db.dataSource.query(
      `SELECT step_id, quantity, reason, replaces FROM ${this.s}.pending_lots WHERE order_id = $1 ORDER BY id`,
      [orderId],
    );
    return {
      orderId: plan.order_id,
      brandId: plan.brand_id,
      status: plan.status,
      reason: plan.reason,
      plannedCompletionDay: plan.completion_day,
      mode: plan.mode,
      updatedAt: new Date(plan.updated_at).toISOString(),
      lots: lots.map((l) => subtaskView(l, principal)),
      waitingLots: pending.map((p) => ({ stepId: p.step_id, quantity: p.quantity, reason: p.reason, replaces: p.replaces })),
    };
  }
}
