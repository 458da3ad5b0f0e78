/**
 * A domain event as a decider sees it: plain typed data. The envelope (ids, versions, time of
 * storage, correlation) is added by the event store.
 */
export interface DomainEvent<TType extends string = string, TData extends object = object> {
  type: TType;
  data: TData;
}

/**
 * The pure heart of a stream type: `decide` turns a command and the current state into new events
 * (or throws a DomainError), `evolve` folds one event into the state. Clock and ids arrive inside
 * the command, never from within.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, unknown, Event>, 'evolve' | 'initialState'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
