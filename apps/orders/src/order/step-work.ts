import type { LotStatus } from './domain/order.decider.js';
import type { StepInspection } from './domain/route.js';
import type { OrderView } from './order-view.js';

/**
 * Lots a workshop holds: offered to it (`planned`: every planned lot is offered to its workshop) or
 * accepted, and every state that follows acceptance while the lot stays with it. A declined, expired or
 * cancelled offer, and a lot moved elsewhere after a failed inspection (`replanning`), are not held.
 */
export const HELD_LOT_STATUSES: readonly LotStatus[] = ['planned', 'accepted', 'in_progress', 'completed', 'rework', 'passed'];

export interface StepWorkLot {
  subtaskId: string;
  workshopId: string;
  status: LotStatus;
  quantity: number;
  plannedStart?: string;
  plannedEnd?: string;
  acceptedAt?: string;
  startedAt?: string;
  completedAt?: string;
  inspectedAt?: string;
  /** The lot alone was released (a `per_lot` step before the whole step was). */
  releasedAt?: string;
  goodQuantity: number;
  scrapQuantity: number;
  passedQuantity: number;
  failedQuantity: number;
  reworkRound: number;
}

/**
 * What a workshop needs to do its lots of one step — and nothing else of the order: the product, the
 * step's own specification, the design files, the quantity of the lots shown, and the delivery location
 * only when the step is a final step (its output goes to the brand). Other steps, other workshops,
 * prices, the budget and the brand's identity beyond a display name are left out.
 */
export interface StepWork {
  orderId: string;
  stepId: string;
  product: { sku: string; name: string; unit: string };
  brand: { displayName: string | null };
  step: {
    process: string;
    parameters: Record<string, unknown>;
    workContentHoursPerUnit: number;
    inspection: StepInspection;
    /** A final step delivers to the brand; other steps hand their output on to the next step. */
    final: boolean;
    handoff: 'per_step' | 'per_lot';
    status: 'waiting' | 'released' | 'passed';
    releasedAt?: string;
  };
  /** Units of the lots below (the workshop's own lots; all held lots of the step for the brand). */
  quantity: number;
  designFiles: string[];
  delivery?: unknown;
  lots: StepWorkLot[];
}

/** Who asks: a workshop sees only its own held lots; the order's brand and operators see every held lot. */
export type StepWorkViewer = { kind: 'workshop'; workshopId: string } | { kind: 'owner' };

/** The step's work as `viewer` may see it, or undefined when the step does not exist or the workshop holds no lot of it. */
export function stepWork(view: OrderView, stepId: string, viewer: StepWorkViewer, brandDisplayName: string | null): StepWork | undefined {
  const step = view.steps.find((s) => s.stepId === stepId);
  if (!step) return undefined;
  const lots = view.lots.filter(
    (l) => l.stepId === stepId && HELD_LOT_STATUSES.includes(l.status) && (viewer.kind === 'owner' || l.workshopId === viewer.workshopId),
  );
  if (viewer.kind === 'workshop' && lots.length === 0) return undefined;
  const final = !view.steps.some((s) => s.dependsOn.includes(stepId));
  return {
    orderId: view.orderId,
    stepId,
    product: { sku: view.sku, name: view.productName, unit: view.unit },
    brand: { displayName: brandDisplayName },
    step: {
      process: step.process,
      parameters: step.parameters,
      workContentHoursPerUnit: step.workContentHoursPerUnit,
      inspection: step.inspection,
      final,
      handoff: step.handoff ?? 'per_step',
      status: step.status,
      ...(step.releasedAt ? { releasedAt: step.releasedAt } : {}),
    },
    quantity: lots.reduce((sum, l) => sum + l.plannedQuantity, 0),
    designFiles: [...view.designFiles],
    ...(final ? { delivery: view.delivery } : {}),
    lots: lots.map((l) => ({
      subtaskId: l.subtaskId,
      workshopId: l.workshopId,
      status: l.status,
      quantity: l.plannedQuantity,
      plannedStart: l.plannedStart,
      plannedEnd: l.plannedEnd,
      acceptedAt: l.acceptedAt,
      startedAt: l.startedAt,
      completedAt: l.completedAt,
      inspectedAt: l.inspectedAt,
      releasedAt: l.releasedAt,
      goodQuantity: l.goodQuantity,
      scrapQuantity: l.scrapQuantity,
      passedQuantity: l.passedQuantity,
      failedQuantity: l.failedQuantity,
      reworkRound: l.reworkRound,
    })),
  };
}
