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
    spec.given([offered, accepted]).when({ type: 'StartSubtask', workshopId: 'ws-2', at, stepReleased: true, funded: true }).thenThrows(NotFound);
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
    const error = spec.given([offered, accepted]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: false, funded: true }).thenThrows(DomainError);
    expect(error.code).toBe('inputs_not_released');
    spec.given([offered]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: true, funded: true }).thenThrows(DomainError);
    spec.given([offered, accepted]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: true, funded: true }).then([started]);
  });

  it('starts no lot whose price is not in escrow: the workshop is not asked to work unpaid', () => {
    const error = spec.given([offered, accepted]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: true, funded: false }).thenThrows(DomainError);
    expect(error.code).toBe('lot_not_funded');
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('st-1');
    // Once started, a repeated start is a no-op whatever the funding says (a refund only follows a cancellation).
    spec.given([offered, accepted, started]).when({ type: 'StartSubtask', workshopId: 'ws-1', at, stepReleased: true, funded: false }).then([]);
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
    const cancelled: SubtaskEvent = { type: 'SubtaskCancelled', data: { ...facts, reason: 'order cancelled', cause: 'order_cancelled' } };
    spec.given([offered]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).then([cancelled]);
    spec.given([offered, accepted, started]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).then([cancelled]);
    spec.given([offered, { type: 'SubtaskDeclined', data: { ...facts, reason: 'x' } }]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).thenNothing();
    spec.given([offered, accepted, started, completed(0)]).when({ type: 'CancelSubtask', reason: 'order cancelled' }).thenNothing();
  });

  describe('withdrawing a lot from its workshop (suspension, capacity withdrawn, upstream moved)', () => {
    const withdraw = { type: 'WithdrawSubtask' as const, reason: 'workshop ws-1 suspended: quality audit', cause: 'workshop_suspended' as const };
    const cancelled: SubtaskEvent = { type: 'SubtaskCancelled', data: { ...facts, reason: withdraw.reason, cause: 'workshop_suspended' } };

    it('given an open offer, when withdrawn, then it is cancelled with the reason and the cause', () => {
      spec.given([offered]).when(withdraw).then([cancelled]);
    });

    it('given an accepted lot not yet started, when withdrawn, then it is cancelled too', () => {
      spec.given([offered, accepted]).when({ ...withdraw, cause: 'capacity_withdrawn' }).then([{ ...cancelled, data: { ...cancelled.data, cause: 'capacity_withdrawn' } }]);
    });

    it('given work under way (started, completed, in rework), when withdrawn, then nothing changes', () => {
      spec.given([offered, accepted, started]).when(withdraw).thenNothing();
      spec.given([offered, accepted, started, completed(0)]).when(withdraw).thenNothing();
      const rework: SubtaskEvent = { type: 'SubtaskFailedInspection', data: { subtaskId: 'st-1', disposition: 'rework', failedAt: at.toISOString() } };
      spec.given([offered, accepted, started, completed(0), rework]).when(withdraw).thenNothing();
    });

    it('given a closed or unknown subtask, when withdrawn, then nothing changes (a repeat is harmless)', () => {
      spec.given([]).when(withdraw).thenNothing();
      spec.given([offered, cancelled]).when(withdraw).thenNothing();
      spec.given([offered, { type: 'SubtaskDeclined', data: { ...facts, reason: 'x' } }]).when(withdraw).thenNothing();
    });

    it('refuses a withdrawal without a reason', () => {
      spec.given([offered]).when({ ...withdraw, reason: ' ' }).thenThrows(ValidationFailed);
    });
  });

  describe('progress and risk', () => {
    // Planned to end 2030-01-05T00:00; started 2030-01-01T08:00 (at): 88 h.
    const report = (hoursAfterStart: number, doneQuantity: number) => ({
      type: 'ReportProgress' as const,
      workshopId: 'ws-1',
      at: new Date(at.getTime() + hoursAfterStart * 3_600_000),
      doneQuantity,
    });
    const progressed = (hoursAfterStart: number, doneQuantity: number): SubtaskEvent => ({
      type: 'SubtaskProgressed',
      data: { ...facts, doneQuantity, reportedAt: new Date(at.getTime() + hoursAfterStart * 3_600_000).toISOString(), plannedEnd: '2030-01-05T00:00:00.000Z' },
    });

    it('given a started lot on track, when progress is reported, then it is recorded and nothing is at risk', () => {
      // 40 of 100 in 24 h: the remaining 60 need 36 h more → 2030-01-03T20:00, before the planned end.
      spec.given([offered, accepted, started]).when(report(24, 40)).then([progressed(24, 40)]);
    });

    it('given a started lot, when the rate so far misses the planned end, then LotAtRisk says when it would end', () => {
      // 20 of 100 in 24 h: 80 more need 96 h → 2030-01-06T08:00, after 2030-01-05.
      spec
        .given([offered, accepted, started])
        .when(report(24, 20))
        .then([
          progressed(24, 20),
          {
            type: 'LotAtRisk',
            data: {
              ...facts,
              doneQuantity: 20,
              reportedAt: '2030-01-02T08:00:00.000Z',
              plannedEnd: '2030-01-05T00:00:00.000Z',
              projectedEnd: '2030-01-06T08:00:00.000Z',
              reason: '20 of 100 units done: at this rate the lot ends 2030-01-06T08:00:00.000Z, after its planned end 2030-01-05T00:00:00.000Z',
            },
          },
        ]);
    });

    it('given nothing done, then it is at risk only once more than half the time to the planned end is gone', () => {
      spec.given([offered, accepted, started]).when(report(30, 0)).then([progressed(30, 0)]);
      spec.given([offered, accepted, started]).when(report(43, 0)).then([progressed(43, 0)]);
      spec.given([offered, accepted, started]).when(report(45, 0)).then([
        progressed(45, 0),
        {
          type: 'LotAtRisk',
          data: { ...facts, doneQuantity: 0, reportedAt: '2030-01-03T05:00:00.000Z', plannedEnd: '2030-01-05T00:00:00.000Z', reason: 'nothing of 100 units done with more than half the time to 2030-01-05T00:00:00.000Z gone' },
        },
      ]);
    });

    it('given a lot already at risk, when it reports again, then only the progress is recorded', () => {
      const atRisk: SubtaskEvent = {
        type: 'LotAtRisk',
        data: { ...facts, doneQuantity: 20, reportedAt: '2030-01-02T08:00:00.000Z', plannedEnd: '2030-01-05T00:00:00.000Z', reason: 'late' },
      };
      spec.given([offered, accepted, started, progressed(24, 20), atRisk]).when(report(30, 21)).then([progressed(30, 21)]);
    });

    it('refuses progress on a lot not started, from another workshop, or beyond its quantity', () => {
      spec.given([offered, accepted]).when(report(1, 10)).thenThrows(DomainError);
      spec.given([offered, accepted, started]).when({ ...report(1, 10), workshopId: 'ws-2' }).thenThrows(NotFound);
      spec.given([offered, accepted, started]).when(report(1, 101)).thenThrows(ValidationFailed);
      spec.given([offered, accepted, started]).when(report(1, -1)).thenThrows(ValidationFailed);
    });
  });

  describe('counter-offers', () => {
    const counter = { type: 'CounterOffer' as const, workshopId: 'ws-1', at };

    it('given an open offer, when its workshop counters with fewer units and/or a later end, then the proposal is recorded', () => {
      spec
        .given([offered])
        .when({ ...counter, quantity: 60 })
        .then([{ type: 'SubtaskCountered', data: { subtaskId: 'st-1', workshopId: 'ws-1', quantity: 60, plannedEnd: '2030-01-05T00:00:00.000Z', counteredAt: at.toISOString() } }]);
      spec
        .given([offered])
        .when({ ...counter, plannedEnd: new Date('2030-01-07T00:00:00Z') })
        .then([{ type: 'SubtaskCountered', data: { subtaskId: 'st-1', workshopId: 'ws-1', quantity: 100, plannedEnd: '2030-01-07T00:00:00.000Z', counteredAt: at.toISOString() } }]);
    });

    it('refuses a counter that asks for nothing, for as many units or more, or for an end not later', () => {
      spec.given([offered]).when(counter).thenThrows(ValidationFailed);
      spec.given([offered]).when({ ...counter, quantity: 100 }).thenThrows(ValidationFailed);
      spec.given([offered]).when({ ...counter, quantity: 0 }).thenThrows(ValidationFailed);
      spec.given([offered]).when({ ...counter, plannedEnd: new Date('2030-01-05T00:00:00Z') }).thenThrows(ValidationFailed);
    });

    it('refuses a counter on an accepted or expired offer, or from another workshop', () => {
      spec.given([offered, accepted]).when({ ...counter, quantity: 60 }).thenThrows(DomainError);
      spec.given([offered]).when({ ...counter, quantity: 60, at: new Date('2030-01-02T08:00:00Z') }).thenThrows(DomainError);
      spec.given([offered]).when({ ...counter, quantity: 60, workshopId: 'ws-2' }).thenThrows(NotFound);
    });

    it('given a counter the planner cannot take, then the refusal is recorded and the offer still stands', () => {
      const countered: SubtaskEvent = { type: 'SubtaskCountered', data: { subtaskId: 'st-1', workshopId: 'ws-1', quantity: 60, plannedEnd: '2030-01-05T00:00:00.000Z', counteredAt: at.toISOString() } };
      const refused: SubtaskEvent = { type: 'SubtaskCounterRefused', data: { subtaskId: 'st-1', reason: 'no room' } };
      spec.given([offered, countered]).when({ type: 'RefuseCounter', reason: 'no room' }).then([refused]);
      spec.given([offered, countered, refused]).when({ type: 'AcceptOffer', workshopId: 'ws-1', at }).then([accepted]);
      spec.given([offered, accepted]).when({ type: 'RefuseCounter', reason: 'late' }).thenNothing();
    });
  });
});
