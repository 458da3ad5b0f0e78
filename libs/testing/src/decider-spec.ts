import { inspect } from 'node:util';
import { fold, type Decider, type DomainEvent } from '#libs/domain';

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;
type ErrorPredicate = (error: Error) => boolean;

/**
 * Given / when / then for a decider, in the words of the domain:
 *
 *     const spec = DeciderSpecification.for(orderDecider);
 *     spec.given([orderSubmitted]).when(cancelOrder).then([orderCancelled]);
 *     spec.given([orderCancelled]).when(cancelOrder).thenThrows(OrderAlreadyClosed);
 *     spec.given([orderCancelled]).when(cancelOrderAgain).thenNothing();
 *
 * The state is folded from the given events with the decider's own `evolve`. The given events and
 * the command are frozen first, so a decider that mutates its input fails here, not in production.
 * Expectations use Jest's `expect`, so a mismatch shows a diff.
 */
export class DeciderSpecification<State, Command, Event extends DomainEvent> {
  private constructor(private readonly decider: Decider<State, Command, Event>) {}

  static for<State, Command, Event extends DomainEvent>(
    decider: Decider<State, Command, Event>,
  ): DeciderSpecification<State, Command, Event> {
    return new DeciderSpecification(decider);
  }

  /** The stream's history; `[]` (or nothing) for a new stream. */
  given(events: readonly Event[] = []): { when(command: Command): DeciderOutcome<Event> } {
    return { when: (command) => new DeciderOutcome(() => this.decide(events, command)) };
  }

  private decide(events: readonly Event[], command: Command): Event[] {
    deepFreeze(events);
    deepFreeze(command);
    return this.decider.decide(command, fold(this.decider, events));
  }
}

export class DeciderOutcome<Event extends DomainEvent> {
  constructor(private readonly decide: () => Event[]) {}

  /** The command produces exactly these events, in this order. */
  then(expected: readonly Event[]): void {
    expect(this.eventsOrFail()).toEqual(expected);
  }

  /** The command is accepted and changes nothing (an idempotent repeat, for example). */
  thenNothing(): void {
    expect(this.eventsOrFail()).toEqual([]);
  }

  /**
   * The command is refused with an error of this class (or one the predicate accepts). Returns the
   * error for further assertions, e.g. on its `code`.
   */
  thenThrows<E extends Error = Error>(expected: ErrorClass<E> | ErrorPredicate): E {
    let events: Event[];
    try {
      events = this.decide();
    } catch (error) {
      if (isErrorClass(expected)) {
        expect(error).toBeInstanceOf(expected);
      } else if (!(error instanceof Error) || !expected(error)) {
        throw new Error(`decide threw an error the predicate does not accept:\n${inspect(error)}`);
      }
      return error as E;
    }
    throw new Error(`expected decide to throw, but it returned events:\n${inspect(events, { depth: 6 })}`);
  }

  private eventsOrFail(): Event[] {
    try {
      return this.decide();
    } catch (error) {
      throw new Error(`expected events, but decide threw:\n${inspect(error)}`, { cause: error });
    }
  }
}

function isErrorClass(value: ErrorClass<Error> | ErrorPredicate): value is ErrorClass<Error> {
  return value === Error || (value.prototype as unknown) instanceof Error;
}

/** Freezes `value` and everything it holds (so a decider that changes its input throws); returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return value;
}
