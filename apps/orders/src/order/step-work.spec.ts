import { fold } from '#libs/domain';
import { orderDecider } from './domain/order.decider.js';
import type { OrderEvent, OrderSubmittedData } from './domain/order.events.js';
import { toOrderView, type OrderView } from './order-view.js';
import { stepWork } from './step-work.js';

const NOW = '2030-01-01T00:00:00.000Z';
const price = { amountMinor: 123_456, currency: 'CNY' as const };
const step = (stepId: string, process: string, dependsOn: string[] = [], parameters: Record<string, unknown> = {}) => ({
  stepId,
  process,
  parameters,
  workContentHoursPerUnit: 0.25,
  inspection: { level: 'II' as const, aql: 1.0 },
  dependsOn,
});
const order: OrderSubmittedData = {
  orderId: 'o-1',
  brandId: 'brand-secret-id',
  sku: 'CASE-01',
  productName: 'Aluminium case',
  designFiles: ['s3://lumen/case-01.step'],
  quantity: 100,
  unit: 'pcs',
  dueDate: '2030-03-01T00:00:00.000Z',
  delivery: { lat: 29.87, lng: 121.54, city: 'Ningbo' },
  route: [
    step('body', 'cnc-milling', [], { material: 'AL6061', tolerance: '0.05' }),
    step('lid', 'cnc-milling', [], { material: 'AL5052' }),
    step('assemble', 'assembly', ['body', 'lid'], { torque: '2Nm' }),
  ],
  splitPolicy: { maxWorkshopsPerStep: 3 },
  budget: { amountMinor: 9_876_543, currency: 'CNY' },
  submittedAt: NOW,
};
const planned = (subtaskId: string, stepId: string, workshopId: string, quantity: number) => ({
  subtaskId,
  stepId,
  workshopId,
  quantity,
  plannedStart: '2030-01-02T00:00:00.000Z',
  plannedEnd: '2030-01-09T00:00:00.000Z',
  price,
});
const facts = (subtaskId: string, stepId: string, workshopId: string, quantity: number) => ({ subtaskId, stepId, workshopId, quantity });
const plan: OrderEvent = {
  type: 'PlanRecorded',
  data: {
    sourceEventId: 'ev-plan',
    lots: [planned('b-1', 'body', 'ws-a', 60), planned('b-2', 'body', 'ws-b', 40), planned('l-1', 'lid', 'ws-a', 100), planned('asm', 'assemble', 'ws-c', 100)],
    plannedCompletion: '2030-02-01T00:00:00.000Z',
    at: NOW,
  },
};
const released = (stepId: string): OrderEvent => ({ type: 'StepReleased', data: { orderId: 'o-1', stepId, releasedAt: NOW } });
const history: OrderEvent[] = [{ type: 'OrderSubmitted', data: order }, plan, released('body'), released('lid')];
const viewOf = (...events: OrderEvent[]): OrderView => toOrderView(fold(orderDecider, [...history, ...events]), history.length + events.length);
const ws = (workshopId: string) => ({ kind: 'workshop' as const, workshopId });

describe('a step’s work as a workshop sees it', () => {
  it('shows an offered lot’s workshop the product, its step’s spec, design files and the quantity of its own lots', () => {
    const work = stepWork(viewOf(), 'body', ws('ws-a'), 'Lumen Apparel')!;
    expect(work).toEqual({
      orderId: 'o-1',
      stepId: 'body',
      product: { sku: 'CASE-01', name: 'Aluminium case', unit: 'pcs' },
      brand: { displayName: 'Lumen Apparel' },
      step: { process: 'cnc-milling', parameters: { material: 'AL6061', tolerance: '0.05' }, workContentHoursPerUnit: 0.25, inspection: { level: 'II', aql: 1.0 }, final: false, handoff: 'per_step', status: 'released', releasedAt: NOW },
      quantity: 60,
      designFiles: ['s3://lumen/case-01.step'],
      lots: [expect.objectContaining({ subtaskId: 'b-1', workshopId: 'ws-a', status: 'planned', quantity: 60, plannedStart: '2030-01-02T00:00:00.000Z' })],
    });
  });

  it('withholds other steps, other workshops, prices, the budget and the brand’s id', () => {
    const json = JSON.stringify(stepWork(viewOf(), 'body', ws('ws-a'), 'Lumen Apparel'));
    for (const secret of ['ws-b', 'ws-c', 'lid', 'assemble', 'AL5052', '2Nm', '123456', '9876543', 'brand-secret-id', 'Ningbo', 'maxWorkshopsPerStep', '2030-03-01']) {
      expect(json).not.toContain(secret);
    }
  });

  it('gives the delivery location only for a final step', () => {
    const accepted: OrderEvent = { type: 'LotAccepted', data: { sourceEventId: 'ev-acc', ...facts('asm', 'assemble', 'ws-c', 100), acceptedAt: NOW, plannedEnd: '2030-01-20T00:00:00.000Z' } };
    const work = stepWork(viewOf(accepted), 'assemble', ws('ws-c'), null)!;
    expect(work.step.final).toBe(true);
    expect(work.delivery).toEqual({ lat: 29.87, lng: 121.54, city: 'Ningbo' });
    expect(work.lots.map((l) => [l.subtaskId, l.status])).toEqual([['asm', 'accepted']]);
    expect(stepWork(viewOf(), 'lid', ws('ws-a'), null)).not.toHaveProperty('delivery');
  });

  it('answers nothing to a workshop without a lot of the step, or whose offer was declined, expired or cancelled', () => {
    expect(stepWork(viewOf(), 'lid', ws('ws-b'), null)).toBeUndefined();
    expect(stepWork(viewOf(), 'body', ws('ws-z'), null)).toBeUndefined();
    expect(stepWork(viewOf(), 'no-such-step', ws('ws-a'), null)).toBeUndefined();
    const declined: OrderEvent = { type: 'LotDeclined', data: { sourceEventId: 'ev-d', ...facts('b-2', 'body', 'ws-b', 40), reason: 'busy', at: NOW } };
    expect(stepWork(viewOf(declined), 'body', ws('ws-b'), null)).toBeUndefined();
    const expired: OrderEvent = { type: 'LotExpired', data: { sourceEventId: 'ev-e', ...facts('b-2', 'body', 'ws-b', 40), at: NOW } };
    expect(stepWork(viewOf(expired), 'body', ws('ws-b'), null)).toBeUndefined();
    const cancelled: OrderEvent = { type: 'LotCancelled', data: { sourceEventId: 'ev-c', ...facts('b-2', 'body', 'ws-b', 40), reason: 'order cancelled', at: NOW } };
    expect(stepWork(viewOf(cancelled), 'body', ws('ws-b'), null)).toBeUndefined();
  });

  it('lets the new workshop of a re-planned lot see the work as soon as it is offered, and the old one no more', () => {
    const failed: OrderEvent = {
      type: 'LotFailed',
      data: { sourceEventId: 'ev-f', inspectionLotId: 'il-1', subtaskId: 'b-2', stepId: 'body', workshopId: 'ws-b', lotSize: 40, disposition: 'replan', criticalDefects: 1, majorDefects: 0, minorDefects: 0, inspectedAt: NOW },
    };
    const offered: OrderEvent = {
      type: 'LotOffered',
      data: { sourceEventId: 'ev-o', ...facts('b-3', 'body', 'ws-d', 40), plannedStart: NOW, plannedEnd: '2030-01-15T00:00:00.000Z', expiresAt: '2030-01-02T00:00:00.000Z', price, at: NOW },
    };
    const view = viewOf(failed, offered);
    expect(stepWork(view, 'body', ws('ws-b'), null)).toBeUndefined();
    expect(stepWork(view, 'body', ws('ws-d'), null)).toMatchObject({ quantity: 40, lots: [{ subtaskId: 'b-3', status: 'planned', quantity: 40 }] });
  });

  it('keeps the work visible to a workshop through production and after its lot passed', () => {
    const started: OrderEvent = { type: 'LotStarted', data: { sourceEventId: 'ev-s', ...facts('b-1', 'body', 'ws-a', 60), startedAt: NOW } };
    const passed: OrderEvent = {
      type: 'LotPassed',
      data: { sourceEventId: 'ev-p', inspectionLotId: 'il-2', subtaskId: 'b-1', stepId: 'body', workshopId: 'ws-a', lotSize: 60, passedQuantity: 60, inspectedAt: NOW },
    };
    expect(stepWork(viewOf(started), 'body', ws('ws-a'), null)?.lots[0].status).toBe('in_progress');
    expect(stepWork(viewOf(started, passed), 'body', ws('ws-a'), null)?.lots[0]).toMatchObject({ status: 'passed', passedQuantity: 60 });
  });

  it('shows the owner every held lot of the step and their total quantity', () => {
    const work = stepWork(viewOf(), 'body', { kind: 'owner' }, 'Lumen Apparel')!;
    expect(work.quantity).toBe(100);
    expect(work.lots.map((l) => [l.subtaskId, l.workshopId])).toEqual([
      ['b-1', 'ws-a'],
      ['b-2', 'ws-b'],
    ]);
    expect(stepWork(viewOf(), 'no-such-step', { kind: 'owner' }, null)).toBeUndefined();
  });
});
