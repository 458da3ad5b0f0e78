import { orderStatus, passedQuantity, type LotState, type OrderState, type OrderStatus } from './domain/order.decider.js';
import type { Location, Money } from './domain/order.events.js';
import type { SplitPolicy, StepInspection } from './domain/route.js';

/** What the brand (or an operator) sees of one order: GET /orders/:id. */
export interface OrderView {
  orderId: string;
  brandId: string;
  status: OrderStatus;
  sku: string;
  productName: string;
  designFiles: string[];
  quantity: number;
  unit: string;
  dueDate: string;
  delivery: Location;
  splitPolicy: SplitPolicy;
  budget?: Money;
  submittedAt: string;
  plannedCompletion?: string;
  planningIssue?: string;
  atRisk?: { reason: string; at: string };
  cancelReason?: string;
  failureReason?: string;
  completedAt?: string;
  steps: {
    stepId: string;
    process: string;
    parameters: Record<string, unknown>;
    workContentHoursPerUnit: number;
    inspection: StepInspection;
    dependsOn: string[];
    handoff?: 'per_step' | 'per_lot';
    status: 'waiting' | 'released' | 'passed';
    releasedAt?: string;
    neededQuantity: number;
    /** Units whose lots may start: the whole quantity once released, else the lots released one by one (`per_lot`). */
    releasedQuantity: number;
    plannedQuantity: number;
    goodQuantity: number;
    scrapQuantity: number;
    passedQuantity: number;
    failedQuantity: number;
    inspectionFailures: number;
  }[];
  lots: OrderState['lots'];
  version: number;
}

export function toOrderView(state: OrderState, version: number): OrderView {
  const order = state.order!;
  const sum = (stepId: string, key: 'plannedQuantity' | 'goodQuantity' | 'scrapQuantity' | 'failedQuantity', and: (lot: LotState) => boolean = () => true) =>
    state.lots
      .filter((l) => l.stepId === stepId && l.status !== 'cancelled' && l.status !== 'declined' && l.status !== 'expired' && and(l))
      .reduce((n, l) => n + l[key], 0);
  return {
    orderId: order.orderId,
    brandId: order.brandId,
    status: orderStatus(state),
    sku: order.sku,
    productName: order.productName,
    designFiles: order.designFiles ?? [],
    quantity: order.quantity,
    unit: order.unit,
    dueDate: order.dueDate,
    delivery: order.delivery,
    splitPolicy: order.splitPolicy,
    ...(order.budget ? { budget: order.budget } : {}),
    submittedAt: order.submittedAt,
    plannedCompletion: state.plannedCompletion,
    planningIssue: state.planningIssue,
    atRisk: state.atRisk,
    cancelReason: state.cancelReason,
    failureReason: state.failureReason,
    completedAt: state.completedAt,
    steps: order.route.map((routeStep) => {
      const step = state.steps.find((s) => s.stepId === routeStep.stepId)!;
      const passed = passedQuantity(state, step.stepId);
      return {
        ...routeStep,
        status: passed >= order.quantity ? 'passed' : step.released ? 'released' : 'waiting',
        releasedAt: step.releasedAt,
        neededQuantity: order.quantity,
        releasedQuantity: step.released ? order.quantity : sum(step.stepId, 'plannedQuantity', (l) => l.releasedAt !== undefined),
        plannedQuantity: sum(step.stepId, 'plannedQuantity'),
        goodQuantity: sum(step.stepId, 'goodQuantity'),
        scrapQuantity: sum(step.stepId, 'scrapQuantity'),
        passedQuantity: passed,
        failedQuantity: state.lots.filter((l) => l.stepId === step.stepId).reduce((n, l) => n + l.failedQuantity, 0),
        inspectionFailures: step.inspectionFailures,
      };
    }),
    lots: state.lots,
    version,
  };
}
