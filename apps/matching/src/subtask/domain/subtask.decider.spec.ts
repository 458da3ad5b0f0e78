import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { subtaskDecider } from './subtask.decider.js';
import type { SubtaskEvent, SubtaskFacts } from './subtask.events.js';

const facts: SubtaskFacts = {
  subtaskId: 'st-1',
  orderId: 'o-1',
  brandId: 'b-1',
  stepId: 'sew',
  process: 'sewing',
  workshopId: 'ws-1',
  quantity: 100,
  price: { amountMinor: 50000, currency: 'CNY' },
};
const at = new Date('2030-01-01T08:00:00Z');
const offered: SubtaskEvent = {
  type: 'SubtaskOffered',
  data: { ...facts, expiresAt: '2030-01-02T08:00:00.000Z', plannedStart: '2030-01-03T00:00:00.000Z', plannedEnd: '2030-01-05T00:00:00.000Z' },
};
const accepted: SubtaskEvent = { type: 'SubtaskAccepted', data: { ...facts, acceptedAt: at.toISOString(), plannedEnd: '2030-01-05T00:00:00.000Z' } };
const started: SubtaskEvent = { type: 'SubtaskStarted', data: { ...facts, startedAt: at.toISOString() } };
const inspection = { level: 'II' as const, aql: 1.0 };
const due = new Date('2030-02-01T00:00:00Z');
const completed = (round: number): SubtaskEvent => ({
  type: 'SubtaskCompleted',
  data: { ...facts, goodQuantity: 98, scrapQuantity: 2, completedAt: at.toISOString(), dueAt: due.toISOString(), inspection, reworkRound: round },
});

const spec = DeciderSpecification.for(subtaskDecider);

describe('subtask decider', () => {
  it('offers a new subtask with its expiry', () => {
    spec
      .given([])
      .when({ type: 'OfferSubtask', facts, expiresAt: new Date('2030-01-02T08:00:00Z'), plannedStart: new Date('2030-01-03T00:00:00Z'), plannedEnd: new Date('2030-01-05T00:00:00Z') })
      .then([offered]);
  });

  it('lets its own workshop accept before the expiry, and a repeat changes nothing', () => {
    spec.given([offered]).when({ type: 'AcceptOffer', workshopId: 'ws-1', at }).then([accepted]);
    spec.given([offered, accepted]).when({ type: 'AcceptOffer', workshopId: 'ws-1', at }).thenNothing();
  });

  it('answers another workshop as if the offer did not exist', () => {
    spec.given([offered]).when({ type: 'AcceptOffer', workshopId: 'ws-2', at }).thenThrows(NotFound);
    spec.given([offered]).when({ type: 'DeclineOffer', workshopId: 'ws-2', reason: 'busy' }).thenThrows(NotFound);
    spec.given([offered, accepted]).when({ type: 'StartSubtask', workshopId: 'ws-2', at, stepReleased: true }).thenThrows(NotFound);
  });

  it('refuses an accept after the expiry', () => {
    const error = spec.given([offered]).when({ type: 'AcceptOffer', workshopId: 'ws-1', at: new Date('2030-01-02T08:00:00Z') }).thenThrows(DomainError);
    expect(error.code).toBe('offer_expired');
  });

  it('declines with a reason; cannot decline once accepted', () => {
    spec.given([offered]).when({ type: 'DeclineOffer', workshopId: 'ws-1', reason: 'machine down' }).then([{ type: 'SubtaskDeclined', data: { ...facts, reason: 'machine down' } }]);
    spec.given([offered, accepted]).when({ type: 'DeclineOffer', workshopId: 'ws-1', reason: 'x' }).thenThrows(DomainError);
  });

  it('expires only an open offer and only at or after its expiry', () => {
    spec.given([offered]).when({ type: 'ExpireOffer', at: new Date('2030-01-02T07:59:59Z') }).thenNothing();
    spec.given([offered]).when({ type: 'ExpireOffer', at: new Date('2030-01-02T08:00:00Z') }).then([{ type: 'SubtaskExpired', data: facts }]);
    spec.given([offered, accepted]).when({ type: 'ExpireOffer', at: new Date('2031-01-01T00:00:00Z') }).thenNothing();
  });

  it('starts only an accepted subtask whose step is released', () => {
    const error = spec.given([offered, accepted]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: false }).thenThrows(DomainError);
    expect(error.code).toBe('inputs_not_released');
    spec.given([offered]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: true }).thenThrows(DomainError);
    spec.given([offered, accepted]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: true }).then([started]);
  });

  it('completes a started subtask with the inspection spec and due date; rework allows a second completion', () => {
    const complete = { type: 'CompleteSubtask' as const, workshopId: 'ws-1', at, goodQuantity: 98, scrapQuantity: 2, dueAt: due, inspection };
    spec.given([offered, accepted, started]).when(complete).then([completed(0)]);
    spec.given([offered, accepted, started, completed(0)]).when(complete).thenThrows(DomainError);
    const rework: SubtaskEvent = { type: 'SubtaskFailedInspection', data: { subtaskId: 'st-1', disposition: 'rework', failedAt: at.toISOString() } };
    spec.given([offered, accepted, started, completed(0)]).when({ type: 'FailInspection', disposition: 'rework', at }).then([rework]);
    spec.given([offered, accepted, started, completed(0), rework]).when(complete).then([completed(1)]);
  });

  it('refuses more good + scrap than the lot holds', () => {
    spec
      .given([offered, accepted, started])
      .when({ type: 'CompleteSubtask', workshopId: 'ws-1', at, goodQuantity: 100, scrapQuantity: 1, dueAt: due, inspection })
      .thenThrows(ValidationFailed);
  });

  it('cancels open subtasks only', () => {
    const cancelled: SubtaskEvent = { type: 'SubtaskCancelled', data: { ...facts, reason: 'order cancelled' } };
    spec.given([offered]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).then([cancelled]);
    spec.given([offered, accepted, started]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).then([cancelled]);
    spec.given([offered, { type: 'SubtaskDeclined', data: { ...facts, reason: 'x' } }]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).thenNothing();
    spec.given([offered, accepted, started, completed(0)]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).thenNothing();
  });
});
