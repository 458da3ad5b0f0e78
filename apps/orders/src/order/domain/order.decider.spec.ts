import { DomainError, ValidationFailed } from '#libs/domain';
import { deepFreeze, DeciderSpecification } from '#libs/testing';
import type { OrderCommand, RecordCommand, SagaPolicy, SubmissionPolicy, SubmitOrder } from './order.commands.js';
import { orderDecider, orderStatus, passedQuantity, SEEN_WINDOW, type OrderState } from './order.decider.js';
import type { LotFacts, OrderEvent, OrderSubmittedData } from './order.events.js';
import { fold } from '#libs/domain';

const spec = DeciderSpecification.for(orderDecider);
const NOW = '2030-01-01T00:00:00.000Z';
const DUE = '2030-03-01T00:00:00.000Z';
const policy: SubmissionPolicy = { maxSteps: 50, maxDependenciesPerStep: 20, maxParameterChars: 4096, maxParallelWorkshops: 10, shopHoursPerDay: 8, maxQuantity: 1_000_000, maxWorkHoursPerProcess: 10_000_000 };
const sagaPolicy: SagaPolicy = { maxInspectionFailuresPerStep: 2 };

const step = (stepId: string, dependsOn: string[] = [], process = 'cnc-milling') => ({
  stepId,
  process,
  parameters: { material: 'AL6061' },
  workContentHoursPerUnit: 0.5,
  inspection: { level: 'II' as const, aql: 1.0 },
  dependsOn,
});

// Two components made in parallel, then assembled, then packed.
const order: Omit<OrderSubmittedData, 'submittedAt'> = {
  orderId: 'o-1',
  brandId: 'brand-1',
  sku: 'CASE-01',
  productName: 'Aluminium case',
  quantity: 100,
  unit: 'pcs',
  dueDate: DUE,
  delivery: { lat: 29.87, lng: 121.54, city: 'Ningbo' },
  route: [step('body'), step('lid'), step('assemble', ['body', 'lid'], 'assembly'), step('pack', ['assemble'], 'packing')],
  splitPolicy: {},
};
const submit = (changes: Partial<Omit<OrderSubmittedData, 'submittedAt'>> = {}): SubmitOrder => ({ type: 'SubmitOrder', order: { ...order, ...changes }, now: NOW, policy });
const submitted: OrderEvent = { type: 'OrderSubmitted', data: { ...order, submittedAt: NOW } };

const lot = (subtaskId: string, stepId: string, quantity = 100, workshopId = 'ws-1'): LotFacts => ({ subtaskId, stepId, workshopId, quantity });
const price = { amountMinor: 10_000, currency: 'CNY' as const };
const planCommand = (plannedCompletion = '2030-02-20T00:00:00.000Z'): RecordCommand => ({
  type: 'RecordPlan',
  sourceEventId: 'ev-plan',
  lots: [
    { ...lot('st-body-1', 'body', 60), plannedStart: NOW, plannedEnd: '2030-01-10T00:00:00.000Z', price },
    { ...lot('st-body-2', 'body', 40, 'ws-2'), plannedStart: NOW, plannedEnd: '2030-01-10T00:00:00.000Z', price },
    { ...lot('st-lid', 'lid'), plannedStart: NOW, plannedEnd: '2030-01-10T00:00:00.000Z', price },
  ],
  plannedCompletion,
  at: NOW,
});

/** Runs commands through the decider, returning every event in order (the saga's history). */
function run(commands: OrderCommand[], history: OrderEvent[] = []): OrderEvent[] {
  const events = [...history];
  for (const command of commands) events.push(...orderDecider.decide(command, fold(orderDecider, events)));
  return events;
}
const stateOf = (events: OrderEvent[]): OrderState => fold(orderDecider, events);
const types = (events: OrderEvent[]) => events.map((e) => e.type);
const released = (events: OrderEvent[]) => events.flatMap((e) => (e.type === 'StepReleased' ? [e.data.stepId] : []));

const passed = (id: string, subtaskId: string, stepId: string, passedQuantity: number, inspectionLotId = `il-${id}`): RecordCommand => ({
  type: 'RecordInspectionPassed',
  sourceEventId: id,
  inspectionLotId,
  subtaskId,
  stepId,
  workshopId: 'ws-1',
  lotSize: passedQuantity,
  passedQuantity,
  inspectedAt: '2030-01-12T00:00:00.000Z',
});
const failed = (id: string, subtaskId: string, stepId: string, disposition: 'rework' | 'replan', reworkRound?: number): RecordCommand => ({
  type: 'RecordInspectionFailed',
  sourceEventId: id,
  inspectionLotId: `il-${id}`,
  subtaskId,
  stepId,
  workshopId: 'ws-1',
  lotSize: 60,
  disposition,
  criticalDefects: 0,
  majorDefects: 4,
  minorDefects: 1,
  inspectedAt: '2030-01-12T00:00:00.000Z',
  reworkRound,
  policy: sagaPolicy,
});

describe('submitting an order', () => {
  it('records a valid order as OrderSubmitted with the submission time', () => {
    spec.given([]).when(submit()).then([submitted]);
  });

  it.each<[string, Partial<Omit<OrderSubmittedData, 'submittedAt'>>, string]>([
    ['zero quantity', { quantity: 0 }, 'quantity'],
    ['negative quantity', { quantity: -5 }, 'quantity'],
    ['quantity over the limit', { quantity: 2_000_000 }, 'quantity'],
    ['a due date in the past', { dueDate: '2029-12-31T00:00:00.000Z' }, 'dueDate'],
    ['an unknown process', { route: [step('a', [], 'alchemy')] }, 'route.0.process'],
    ['a cycle', { route: [step('a', ['b']), step('b', ['a'])] }, 'route'],
    ['an unknown step reference', { route: [step('a', ['nope'])] }, 'route.0.dependsOn.0'],
    ['duplicate step ids', { route: [step('a'), step('a')] }, 'route.1.stepId'],
    ['a min lot size above the quantity', { splitPolicy: { minLotSize: 500 } }, 'splitPolicy.minLotSize'],
  ])('refuses %s, naming the field', (_name, changes, field) => {
    const error = spec.given([]).when(submit(changes)).thenThrows(ValidationFailed);
    expect(error.field).toBe(field);
  });

  it('refuses a due date sooner than the critical path allows, saying the earliest one', () => {
    // 100 units × 0.5 h on 3 chained steps (body → assemble → pack) over 10 workshops = 15 shop hours ≈ 1.9 days.
    const error = spec.given([]).when(submit({ dueDate: '2030-01-02T00:00:00.000Z' })).thenThrows(ValidationFailed);
    expect(error.field).toBe('dueDate');
    expect(error.details?.criticalPath).toEqual(['body', 'assemble', 'pack']);
    expect(error.details?.earliestDueDate).toBe('2030-01-02T21:00:00.000Z');
    spec.given([]).when(submit({ dueDate: '2030-01-02T21:00:00.000Z' })).then([{ type: 'OrderSubmitted', data: { ...order, dueDate: '2030-01-02T21:00:00.000Z', submittedAt: NOW } }]);
  });

  it('refuses an order whose hours of one process cannot be planned (10,000 h per unit × 1,000,000 units), naming the limit', () => {
    const huge = { ...step('body'), workContentHoursPerUnit: 10_000 };
    const error = spec.given([]).when(submit({ quantity: 1_000_000, route: [huge], dueDate: '9999-12-31T00:00:00.000Z' })).thenThrows(ValidationFailed);
    expect(error.field).toBe('quantity');
    expect(error.message).toMatch(/10000000000 shop hours of cnc-milling .* at most 10000000 hours of one process \(ORDERS_MAX_WORK_HOURS_PER_PROCESS\)/);
    expect(error.details).toMatchObject({ limit: 10_000_000, process: 'cnc-milling', hours: 10_000_000_000 });
    // The hours of a process add up over its steps: body and lid (both cnc-milling) at 5,000,000 h each are still planable.
    const half = { quantity: 1_000_000, dueDate: '9999-12-31T00:00:00.000Z' };
    const at = (wc: number) => submit({ ...half, route: [{ ...step('body'), workContentHoursPerUnit: wc }, { ...step('lid'), workContentHoursPerUnit: wc }] });
    expect(orderDecider.decide(at(5), orderDecider.initialState())).toHaveLength(1);
    expect(spec.given([]).when(at(5.000001)).thenThrows(ValidationFailed).details).toMatchObject({ process: 'cnc-milling' });
  });

  it('refuses the same order id twice', () => {
    const error = spec.given([submitted]).when(submit()).thenThrows(DomainError);
    expect(error.code).toBe('order_exists');
  });
});

describe('the order saga', () => {
  it('releases only the steps without predecessors when the order is planned', () => {
    const events = run([planCommand()], [submitted]);
    expect(types(events.slice(1))).toEqual(['PlanRecorded', 'StepReleased', 'StepReleased']);
    expect(released(events)).toEqual(['body', 'lid']);
    expect(orderStatus(stateOf(events))).toBe('planning');
  });

  it('never changes a state it evolves from (each state and event deep-frozen as it is folded)', () => {
    const history = run(
      [planCommand(), passed('p1', 'st-body-1', 'body', 60), passed('p2', 'st-lid', 'lid', 100), failed('f1', 'st-body-2', 'body', 'rework')],
      [structuredClone(submitted)],
    );
    const frozen = history.reduce((state, event) => deepFreeze(orderDecider.evolve(state, deepFreeze(event))), deepFreeze(orderDecider.initialState()));
    expect(frozen).toEqual(stateOf(history));
    expect(orderStatus(frozen)).toBe('in_production');
  });

  it('never changes the state it evolves from, for every event type', () => {
    const state = stateOf(run([planCommand(), passed('p1', 'st-body-1', 'body', 60)], [structuredClone(submitted)]));
    // One data object with every field any event's evolve reads; frozen state, fresh data per event.
    const data = () => ({
      ...lot('st-lid', 'lid'),
      plannedStart: NOW, plannedEnd: '2030-01-10T00:00:00.000Z', price, acceptedAt: NOW, startedAt: NOW, completedAt: NOW, releasedAt: NOW,
      reworkRound: 0, goodQuantity: 100, scrapQuantity: 0, passedQuantity: 100, lotSize: 100, inspectionLotId: 'il-any', inspectedAt: NOW,
      disposition: 'rework', reason: 'any', at: NOW, sourceEventId: 'src-any', lots: [], plannedCompletion: DUE, route: order.route,
    });
    const everyType = ['OrderSubmitted', 'PlanRecorded', 'PlanningStalled', 'PlanningAbandoned', 'LotReleased', 'StepReleased', 'LotOffered', 'LotAccepted', 'LotDeclined', 'LotExpired', 'LotStarted', 'LotCompleted', 'LotCancelled', 'LotPassed', 'LotFailed', 'LotFunded', 'LotFundsShort', 'OrderAtRisk', 'OrderCancelled', 'OrderCompleted', 'OrderFailed'];
    for (const type of everyType) {
      const before = structuredClone(state);
      const after = orderDecider.evolve(deepFreeze(structuredClone(state)), { type, data: data() } as unknown as OrderEvent);
      expect(after).toBeDefined();
      expect(state).toEqual(before);
    }
  });

  it('moves to in_production when a lot starts', () => {
    const events = run([planCommand(), { type: 'RecordLotAccepted', sourceEventId: 'e1', lot: lot('st-lid', 'lid'), acceptedAt: NOW, plannedEnd: '2030-01-10T00:00:00.000Z' }, { type: 'RecordLotStarted', sourceEventId: 'e2', lot: lot('st-lid', 'lid'), startedAt: NOW }], [submitted]);
    const state = stateOf(events);
    expect(orderStatus(state)).toBe('in_production');
    expect(state.lots.find((l) => l.subtaskId === 'st-lid')).toMatchObject({ status: 'in_progress', startedAt: NOW, acceptedAt: NOW });
  });

  it('hands off partial quantities: assembly waits until both branches passed the full quantity', () => {
    const afterPlan = run([planCommand()], [submitted]);
    const partial = run([passed('p1', 'st-body-1', 'body', 60), passed('p2', 'st-lid', 'lid', 100)], afterPlan);
    expect(released(partial)).toEqual(['body', 'lid']);
    expect(passedQuantity(stateOf(partial), 'body')).toBe(60);
    const full = orderDecider.decide(passed('p3', 'st-body-2', 'body', 40), stateOf(partial));
    expect(full).toEqual([
      expect.objectContaining({ type: 'LotPassed' }),
      { type: 'StepReleased', data: { orderId: 'o-1', stepId: 'assemble', releasedAt: '2030-01-12T00:00:00.000Z' } },
    ]);
  });

  describe('per-lot hand-off (route step handoff: per_lot)', () => {
    const perLot: Omit<OrderSubmittedData, 'submittedAt'> = { ...order, route: order.route.map((s) => (s.stepId === 'assemble' ? { ...s, handoff: 'per_lot' as const } : s)) };
    const submittedPerLot: OrderEvent = { type: 'OrderSubmitted', data: { ...perLot, submittedAt: NOW } };
    const asm = (subtaskId: string, quantity: number, plannedStart: string, workshopId = 'ws-3') => ({
      ...lot(subtaskId, 'assemble', quantity, workshopId),
      plannedStart,
      plannedEnd: '2030-01-20T00:00:00.000Z',
      price,
    });
    const planWithAssembly = (): RecordCommand => {
      const base = planCommand() as Extract<RecordCommand, { type: 'RecordPlan' }>;
      return { ...base, lots: [...base.lots, asm('st-asm-1', 50, '2030-01-12T00:00:00.000Z'), asm('st-asm-2', 30, '2030-01-13T00:00:00.000Z'), asm('st-asm-3', 20, '2030-01-14T00:00:00.000Z')] };
    };
    const lotReleased = (subtaskId: string, quantity: number, workshopId = 'ws-3'): OrderEvent => ({
      type: 'LotReleased',
      data: { orderId: 'o-1', stepId: 'assemble', subtaskId, workshopId, quantity, releasedAt: '2030-01-12T00:00:00.000Z' },
    });
    const lotIds = (events: OrderEvent[]) => events.flatMap((e) => (e.type === 'LotReleased' ? [e.data.subtaskId] : []));

    it('releases the downstream lots that the quantity passed by every predecessor covers, in planned order (first fit)', () => {
      const planned = run([planWithAssembly()], [submittedPerLot]);
      // body 60 passed, lid nothing yet: the assembly has no complete input.
      const bodyOnly = run([passed('p1', 'st-body-1', 'body', 60)], planned);
      expect(lotIds(bodyOnly)).toEqual([]);
      // lid 100 passed: 60 complete sets → asm-1 (50) fits, asm-2 (30) does not, asm-3 (20) does not either (70 > 60).
      spec
        .given(bodyOnly)
        .when(passed('p2', 'st-lid', 'lid', 100))
        .then([expect.objectContaining({ type: 'LotPassed' }) as OrderEvent, lotReleased('st-asm-1', 50)]);
      const sixty = run([passed('p2', 'st-lid', 'lid', 100)], bodyOnly);
      const state = stateOf(sixty);
      expect(state.lots.find((l) => l.subtaskId === 'st-asm-1')?.releasedAt).toBe('2030-01-12T00:00:00.000Z');
      expect(state.steps.find((s) => s.stepId === 'assemble')?.released).toBe(false);
    });

    it('releases the whole step (StepReleased, no more lot releases) once every predecessor passed the order quantity', () => {
      const sixty = run([planWithAssembly(), passed('p1', 'st-body-1', 'body', 60), passed('p2', 'st-lid', 'lid', 100)], [submittedPerLot]);
      spec
        .given(sixty)
        .when(passed('p3', 'st-body-2', 'body', 40))
        .then([expect.objectContaining({ type: 'LotPassed' }) as OrderEvent, { type: 'StepReleased', data: { orderId: 'o-1', stepId: 'assemble', releasedAt: '2030-01-12T00:00:00.000Z' } }]);
    });

    it('never releases a lot twice: a re-published pass and a duplicated event change nothing', () => {
      const sixty = run([planWithAssembly(), passed('p1', 'st-body-1', 'body', 60), passed('p2', 'st-lid', 'lid', 100)], [submittedPerLot]);
      spec.given(sixty).when(passed('p2', 'st-lid', 'lid', 100)).thenNothing();
      spec.given(sixty).when(passed('p2-again', 'st-lid', 'lid', 100, 'il-p2')).thenNothing();
      expect(lotIds(sixty)).toEqual(['st-asm-1']);
    });

    it('frees the quantity of a released lot its workshop declined, for its replacement when offered', () => {
      const sixty = run([planWithAssembly(), passed('p1', 'st-body-1', 'body', 60), passed('p2', 'st-lid', 'lid', 100)], [submittedPerLot]);
      const declined = run([{ type: 'RecordLotDeclined', sourceEventId: 'd1', lot: lot('st-asm-1', 'assemble', 50, 'ws-3'), reason: 'no operators', at: NOW }], sixty);
      // Declined: 60 units free again → asm-2 (30) and asm-3 (20) now fit.
      expect(lotIds(declined.slice(sixty.length))).toEqual(['st-asm-2', 'st-asm-3']);
      const offered = run(
        [{ type: 'RecordLotOffered', sourceEventId: 'o1', lot: lot('st-asm-4', 'assemble', 50, 'ws-4'), plannedStart: NOW, plannedEnd: DUE, expiresAt: NOW, price, at: NOW }],
        declined,
      );
      // 50 of 60 used by asm-2 and asm-3: the replacement (50) waits for more passed quantity.
      expect(lotIds(offered.slice(declined.length))).toEqual([]);
      const more = run([passed('p3', 'st-body-2', 'body', 40)], offered);
      expect(released(more.slice(offered.length))).toEqual(['assemble']);
    });

    it('leaves a route step without handoff (per_step) as before: no lot is released early', () => {
      const base = planWithAssembly();
      const sixty = run([base, passed('p1', 'st-body-1', 'body', 60), passed('p2', 'st-lid', 'lid', 100)], [submitted]);
      expect(lotIds(sixty)).toEqual([]);
      expect(released(sixty)).toEqual(['body', 'lid']);
    });
  });

  it('completes the order when every final step has passed the whole quantity, and only then', () => {
    const events = run(
      [planCommand(), passed('p1', 'st-body-1', 'body', 60), passed('p2', 'st-body-2', 'body', 40), passed('p3', 'st-lid', 'lid', 100), passed('p4', 'st-asm', 'assemble', 100), passed('p5', 'st-pack-1', 'pack', 99)],
      [submitted],
    );
    expect(released(events)).toEqual(['body', 'lid', 'assemble', 'pack']);
    expect(types(events)).not.toContain('OrderCompleted');
    const last = orderDecider.decide(passed('p6', 'st-pack-2', 'pack', 1), stateOf(events));
    expect(last[1]).toEqual({ type: 'OrderCompleted', data: { orderId: 'o-1', brandId: 'brand-1', completedAt: '2030-01-12T00:00:00.000Z' } });
    expect(orderStatus(stateOf([...events, ...last]))).toBe('completed');
    // A late result after completion is recorded but changes no status.
    const late = orderDecider.decide(passed('p7', 'st-pack-3', 'pack', 5), stateOf([...events, ...last]));
    expect(types(late)).toEqual(['LotPassed']);
  });

  it('ignores a duplicated event (same source id) and a re-published inspection result (same inspection lot)', () => {
    const events = run([planCommand(), passed('p1', 'st-body-1', 'body', 60)], [submitted]);
    spec.given(events).when(passed('p1', 'st-body-1', 'body', 60)).thenNothing();
    spec.given(events).when(passed('p1-again', 'st-body-1', 'body', 60, 'il-p1')).thenNothing();
    spec.given(events).when(planCommand()).thenNothing();
  });

  it('tolerates events in another order across topics: an inspection pass before the completion it follows', () => {
    const events = run(
      [
        planCommand(),
        passed('p1', 'st-lid', 'lid', 100),
        { type: 'RecordLotCompleted', sourceEventId: 'c1', lot: lot('st-lid', 'lid'), goodQuantity: 100, scrapQuantity: 2, completedAt: '2030-01-09T00:00:00.000Z', dueAt: '2030-01-10T00:00:00.000Z', reworkRound: 0 },
        { type: 'RecordLotStarted', sourceEventId: 's1', lot: lot('st-lid', 'lid'), startedAt: NOW },
      ],
      [submitted],
    );
    const lid = stateOf(events).lots.find((l) => l.subtaskId === 'st-lid');
    expect(lid).toMatchObject({ status: 'passed', passedQuantity: 100, goodQuantity: 100, scrapQuantity: 2, startedAt: NOW });
  });

  it('records a lot that matching re-planned after the plan (unknown subtask) from its own facts', () => {
    const events = run([planCommand(), passed('p1', 'st-new', 'lid', 100)], [submitted]);
    expect(stateOf(events).lots.find((l) => l.subtaskId === 'st-new')).toMatchObject({ stepId: 'lid', status: 'passed', passedQuantity: 100 });
  });

  it('records an offer of a lot the plan did not name (re-planned elsewhere) as LotOffered, and nothing for a planned lot', () => {
    const plannedHistory = run([planCommand()], [submitted]);
    const offer = (subtaskId: string, workshopId: string, sourceEventId = `offer-${subtaskId}`): RecordCommand => ({
      type: 'RecordLotOffered',
      sourceEventId,
      lot: lot(subtaskId, 'body', 60, workshopId),
      plannedStart: NOW,
      plannedEnd: '2030-01-20T00:00:00.000Z',
      expiresAt: '2030-01-02T00:00:00.000Z',
      price,
      at: NOW,
    });
    spec
      .given(plannedHistory)
      .when(offer('st-body-9', 'ws-9'))
      .then([
        {
          type: 'LotOffered',
          data: {
            sourceEventId: 'offer-st-body-9',
            subtaskId: 'st-body-9',
            stepId: 'body',
            workshopId: 'ws-9',
            quantity: 60,
            plannedStart: NOW,
            plannedEnd: '2030-01-20T00:00:00.000Z',
            expiresAt: '2030-01-02T00:00:00.000Z',
            price,
            at: NOW,
          },
        },
      ]);
    spec.given(plannedHistory).when(offer('st-body-1', 'ws-1')).thenNothing();
    const offered = run([offer('st-body-9', 'ws-9')], plannedHistory);
    expect(stateOf(offered).lots.find((l) => l.subtaskId === 'st-body-9')).toMatchObject({ stepId: 'body', workshopId: 'ws-9', status: 'planned', plannedQuantity: 60, price });
    // The same offer again (a redelivery under another id) is nothing new.
    spec.given(offered).when(offer('st-body-9', 'ws-9', 'offer-again')).thenNothing();
  });

  it('keeps an accepted lot accepted when its offer arrives late, and fills in a lot settlement spoke of first', () => {
    const accepted = run([{ type: 'RecordLotAccepted', sourceEventId: 'a1', lot: lot('st-x', 'lid', 100, 'ws-7'), acceptedAt: NOW, plannedEnd: '2030-01-20T00:00:00.000Z' }], [submitted]);
    spec
      .given(accepted)
      .when({ type: 'RecordLotOffered', sourceEventId: 'o1', lot: lot('st-x', 'lid', 100, 'ws-7'), plannedStart: NOW, plannedEnd: '2030-01-20T00:00:00.000Z', expiresAt: NOW, price, at: NOW })
      .thenNothing();
    const short = run([{ type: 'RecordFundsShort', sourceEventId: 'fs', subtaskId: 'st-y', required: price, available: { amountMinor: 0, currency: 'CNY' }, at: NOW }], [submitted]);
    const filled = run([{ type: 'RecordLotOffered', sourceEventId: 'o2', lot: lot('st-y', 'lid', 100, 'ws-8'), plannedStart: NOW, plannedEnd: '2030-01-20T00:00:00.000Z', expiresAt: NOW, price, at: NOW }], short);
    expect(types(filled).slice(-1)).toEqual(['LotOffered']);
    expect(stateOf(filled).lots.find((l) => l.subtaskId === 'st-y')).toMatchObject({ stepId: 'lid', workshopId: 'ws-8', fundsShort: true });
  });

  it('sends a failed lot to rework by the same shop, then counts the reworked pass', () => {
    const events = run(
      [
        planCommand(),
        { type: 'RecordLotCompleted', sourceEventId: 'c1', lot: lot('st-body-1', 'body', 60), goodQuantity: 60, scrapQuantity: 0, completedAt: NOW, dueAt: DUE, reworkRound: 0 },
        failed('f1', 'st-body-1', 'body', 'rework'),
      ],
      [submitted],
    );
    expect(stateOf(events).lots.find((l) => l.subtaskId === 'st-body-1')).toMatchObject({ status: 'rework', failedQuantity: 60 });
    const after = run(
      [
        { type: 'RecordLotCompleted', sourceEventId: 'c2', lot: lot('st-body-1', 'body', 60), goodQuantity: 59, scrapQuantity: 1, completedAt: NOW, dueAt: DUE, reworkRound: 1 },
        passed('p1', 'st-body-1', 'body', 59),
      ],
      events,
    );
    expect(stateOf(after).lots.find((l) => l.subtaskId === 'st-body-1')).toMatchObject({ status: 'passed', reworkRound: 1, goodQuantity: 59, scrapQuantity: 1, passedQuantity: 59 });
  });

  it('keeps a lot in rework when the completion of the failed round arrives after the failure', () => {
    const events = run(
      [
        planCommand(),
        { type: 'RecordLotStarted', sourceEventId: 's1', lot: lot('st-body-1', 'body', 60), startedAt: NOW },
        failed('f1', 'st-body-1', 'body', 'rework', 0),
        { type: 'RecordLotCompleted', sourceEventId: 'c1', lot: lot('st-body-1', 'body', 60), goodQuantity: 60, scrapQuantity: 0, completedAt: NOW, dueAt: DUE, reworkRound: 0 },
      ],
      [submitted],
    );
    expect(stateOf(events).lots.find((l) => l.subtaskId === 'st-body-1')).toMatchObject({ status: 'rework', reworkRound: 1 });
  });

  it('marks a lot failed with replan as replanning, and a replacement lot carries the step', () => {
    const events = run([planCommand(), failed('f1', 'st-body-1', 'body', 'replan'), passed('p1', 'st-body-1b', 'body', 60), passed('p2', 'st-body-2', 'body', 40), passed('p3', 'st-lid', 'lid', 100)], [submitted]);
    const state = stateOf(events);
    expect(state.lots.find((l) => l.subtaskId === 'st-body-1')?.status).toBe('replanning');
    expect(released(events)).toContain('assemble');
  });

  it('fails the order when a step fails inspection more often than allowed', () => {
    const events = run([planCommand(), failed('f1', 'st-lid', 'lid', 'rework'), failed('f2', 'st-lid', 'lid', 'rework')], [submitted]);
    expect(types(events)).not.toContain('OrderFailed');
    const third = orderDecider.decide(failed('f3', 'st-lid', 'lid', 'replan'), stateOf(events));
    expect(third[1]).toEqual({ type: 'OrderFailed', data: { orderId: 'o-1', brandId: 'brand-1', reason: 'step lid failed inspection 3 times (at most 2 allowed)', failedAt: '2030-01-12T00:00:00.000Z' } });
    expect(orderStatus(stateOf([...events, ...third]))).toBe('failed');
  });

  it('allows a step split over several shops as many failed inspections per lot', () => {
    // body is made in two lots: 2 failures per lot, 4 for the step.
    const events = run(
      [planCommand(), failed('f1', 'st-body-1', 'body', 'rework'), failed('f2', 'st-body-2', 'body', 'rework'), failed('f3', 'st-body-1', 'body', 'rework'), failed('f4', 'st-body-2', 'body', 'rework')],
      [submitted],
    );
    expect(types(events)).not.toContain('OrderFailed');
    const fifth = orderDecider.decide(failed('f5', 'st-body-1', 'body', 'rework'), stateOf(events));
    expect(fifth[1]).toEqual({
      type: 'OrderFailed',
      data: { orderId: 'o-1', brandId: 'brand-1', reason: 'step body failed inspection 5 times (at most 4 allowed: 2 per lot, 2 lots)', failedAt: '2030-01-12T00:00:00.000Z' },
    });
  });

  it('waits for funds on FundsShort and returns when the escrow is funded', () => {
    const short: RecordCommand = { type: 'RecordFundsShort', sourceEventId: 'fs1', subtaskId: 'st-lid', required: price, available: { amountMinor: 0, currency: 'CNY' }, at: NOW };
    const events = run([planCommand(), short], [submitted]);
    expect(orderStatus(stateOf(events))).toBe('awaiting_funds');
    const funded = run([{ type: 'RecordEscrowFunded', sourceEventId: 'ef1', subtaskId: 'st-lid', amount: price, at: NOW }], events);
    expect(orderStatus(stateOf(funded))).toBe('planning');
    // A FundsShort that arrives after the lot was funded is stale.
    spec.given(funded).when({ ...short, sourceEventId: 'fs-late' }).thenNothing();
  });

  it('flags the order at risk once when a lot is planned to end after the due date', () => {
    const accepted: RecordCommand = { type: 'RecordLotAccepted', sourceEventId: 'a1', lot: lot('st-lid', 'lid'), acceptedAt: NOW, plannedEnd: '2030-03-05T00:00:00.000Z' };
    const events = run([planCommand(), accepted], [submitted]);
    expect(types(events).filter((t) => t === 'OrderAtRisk')).toHaveLength(1);
    expect(orderStatus(stateOf(events))).toBe('at_risk');
    const again = orderDecider.decide({ ...accepted, sourceEventId: 'a2', lot: lot('st-body-1', 'body', 60) }, stateOf(events));
    expect(types(again)).toEqual(['LotAccepted']);
  });

  it('flags at risk when the plan itself ends after the due date', () => {
    const events = run([planCommand('2030-03-02T00:00:00.000Z')], [submitted]);
    expect(types(events)).toContain('OrderAtRisk');
  });

  it('shows planning with the reason while matching cannot plan yet', () => {
    const events = run([{ type: 'RecordPlanningFailure', sourceEventId: 'pf', reason: 'no capacity for anodizing', at: NOW }], [submitted]);
    expect(orderStatus(stateOf(events))).toBe('planning');
    expect(stateOf(events).planningIssue).toBe('no capacity for anodizing');
    expect(released(events)).toEqual([]);
  });

  it('closes as planning_failed with the reason when matching gives up planning, and refuses a later cancel', () => {
    const abandoned: RecordCommand = { type: 'RecordPlanningAbandoned', sourceEventId: 'pa', reason: 'planning took more than its CPU budget', at: NOW };
    spec.given([submitted]).when(abandoned).then([{ type: 'PlanningAbandoned', data: { sourceEventId: 'pa', reason: 'planning took more than its CPU budget', at: NOW } }]);
    const events = run([abandoned], [submitted]);
    const state = stateOf(events);
    expect(orderStatus(state)).toBe('planning_failed');
    expect(state.failureReason).toBe('the order cannot be planned: planning took more than its CPU budget');
    expect(spec.given(events).when({ type: 'CancelOrder', reason: 'x', cancelledBy: 'brand-1', now: NOW }).thenThrows(DomainError).code).toBe('order_planning_failed');
    spec.given(events).when({ ...abandoned, sourceEventId: 'pa-2' }).thenNothing();
  });

  it('remembers a bounded window of source event ids however long the stream grows', () => {
    const offers = Array.from({ length: SEEN_WINDOW + 50 }, (_, i): OrderEvent => ({
      type: 'LotDeclined',
      data: { sourceEventId: `d-${i}`, ...lot(`st-${i}`, 'body', 1), reason: 'busy', at: NOW },
    }));
    const state = stateOf([submitted, ...offers]);
    expect(state.seen).toHaveLength(SEEN_WINDOW);
    expect(state.seen.at(-1)).toBe(`d-${SEEN_WINDOW + 49}`);
    // A repeat inside the window changes nothing.
    spec.given([submitted, ...offers]).when({ type: 'RecordLotDeclined', sourceEventId: `d-${SEEN_WINDOW + 49}`, lot: lot('st-x', 'body'), reason: 'busy', at: NOW }).thenNothing();
  });

  it('records declined and expired offers without moving an accepted lot back', () => {
    const events = run(
      [
        planCommand(),
        { type: 'RecordLotDeclined', sourceEventId: 'd1', lot: lot('st-body-2', 'body', 40, 'ws-2'), reason: 'busy', at: NOW },
        { type: 'RecordLotAccepted', sourceEventId: 'a1', lot: lot('st-lid', 'lid'), acceptedAt: NOW, plannedEnd: '2030-01-10T00:00:00.000Z' },
        { type: 'RecordLotExpired', sourceEventId: 'x1', lot: lot('st-lid', 'lid'), at: NOW },
      ],
      [submitted],
    );
    const state = stateOf(events);
    expect(state.lots.find((l) => l.subtaskId === 'st-body-2')?.status).toBe('declined');
    expect(state.lots.find((l) => l.subtaskId === 'st-lid')?.status).toBe('accepted');
  });
});

describe('cancelling an order', () => {
  const cancel: OrderCommand = { type: 'CancelOrder', reason: 'brand changed its mind', cancelledBy: 'brand-1', now: NOW };

  it('cancels mid-production and stops releasing steps', () => {
    const events = run([planCommand(), passed('p1', 'st-body-1', 'body', 60)], [submitted]);
    spec.given(events).when(cancel).then([{ type: 'OrderCancelled', data: { orderId: 'o-1', brandId: 'brand-1', reason: 'brand changed its mind', cancelledAt: NOW, cancelledBy: 'brand-1' } }]);
    const cancelled = run([cancel, passed('p2', 'st-body-2', 'body', 40), passed('p3', 'st-lid', 'lid', 100)], events);
    expect(released(cancelled)).toEqual(['body', 'lid']);
    expect(orderStatus(stateOf(cancelled))).toBe('cancelled');
  });

  it('is idempotent once cancelled, refused once completed, and not found without an order', () => {
    spec.given([submitted, { type: 'OrderCancelled', data: { orderId: 'o-1', brandId: 'brand-1', reason: 'x' } }]).when(cancel).thenNothing();
    const completed: OrderEvent = { type: 'OrderCompleted', data: { orderId: 'o-1', brandId: 'brand-1', completedAt: NOW } };
    expect(spec.given([submitted, completed]).when(cancel).thenThrows(DomainError).kind).toBe('conflict');
    expect(spec.given([]).when(cancel).thenThrows(DomainError).kind).toBe('not_found');
  });

  it('ignores events about an order it never accepted', () => {
    spec.given([]).when(planCommand()).thenNothing();
  });
});
