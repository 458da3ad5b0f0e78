import { DomainError, type Decider } from '#libs/domain';
import { DeciderSpecification } from './decider-spec.js';

// A tiny stream type: a machine booked for jobs by id; booking the same job twice changes nothing.
type Booked = { type: 'MachineBooked'; data: { jobId: string; hours: number } };
type BookMachine = { type: 'BookMachine'; jobId: string; hours: number };
type Machine = { jobs: string[]; hoursLeft: number };

class NotEnoughHours extends DomainError {
  constructor(hours: number) {
    super('not_enough_hours', `only ${hours} hours left`);
  }
}

const machine: Decider<Machine, BookMachine, Booked> = {
  initialState: () => ({ jobs: [], hoursLeft: 8 }),
  evolve: (state, event) => ({ jobs: [...state.jobs, event.data.jobId], hoursLeft: state.hoursLeft - event.data.hours }),
  decide: (command, state) => {
    if (state.jobs.includes(command.jobId)) return [];
    if (command.hours > state.hoursLeft) throw new NotEnoughHours(state.hoursLeft);
    return [{ type: 'MachineBooked', data: { jobId: command.jobId, hours: command.hours } }];
  },
};

const booked = (jobId: string, hours: number): Booked => ({ type: 'MachineBooked', data: { jobId, hours } });
const book = (jobId: string, hours: number): BookMachine => ({ type: 'BookMachine', jobId, hours });

const spec = DeciderSpecification.for(machine);

describe('DeciderSpecification', () => {
  describe('passes when the decider does what is expected', () => {
    it('then: the events match', () => {
      spec.given([]).when(book('job-1', 3)).then([booked('job-1', 3)]);
    });

    it('folds the given events into the state', () => {
      spec.given([booked('job-1', 6)]).when(book('job-2', 2)).then([booked('job-2', 2)]);
    });

    it('thenNothing: no events', () => {
      spec.given([booked('job-1', 3)]).when(book('job-1', 3)).thenNothing();
    });

    it('thenThrows: by class, returning the error', () => {
      const error = spec.given([booked('job-1', 6)]).when(book('job-2', 3)).thenThrows(NotEnoughHours);
      expect(error.code).toBe('not_enough_hours');
      spec.given([booked('job-1', 6)]).when(book('job-2', 3)).thenThrows(DomainError);
    });

    it('thenThrows: by predicate', () => {
      spec
        .given([booked('job-1', 6)])
        .when(book('job-2', 3))
        .thenThrows((error) => error instanceof DomainError && error.message === 'only 2 hours left');
    });
  });

  describe('fails when the decider does something else', () => {
    it('then: other events, with a diff', () => {
      expect(() => spec.given([]).when(book('job-1', 3)).then([booked('job-1', 4)])).toThrow(/"hours": 4/);
    });

    it('then: no events where some were expected', () => {
      expect(() => spec.given([booked('job-1', 3)]).when(book('job-1', 3)).then([booked('job-1', 3)])).toThrow(
        /toEqual/,
      );
    });

    it('then: the decider threw instead', () => {
      expect(() => spec.given([booked('job-1', 8)]).when(book('job-2', 1)).then([])).toThrow(
        /expected events, but decide threw/,
      );
    });

    it('thenNothing: events were produced', () => {
      expect(() => spec.given([]).when(book('job-1', 3)).thenNothing()).toThrow(/MachineBooked/);
    });

    it('thenThrows: nothing was thrown', () => {
      expect(() => spec.given([]).when(book('job-1', 3)).thenThrows(NotEnoughHours)).toThrow(
        /expected decide to throw, but it returned events/,
      );
    });

    it('thenThrows: an error of another class', () => {
      class OtherError extends Error {}
      expect(() => spec.given([booked('job-1', 8)]).when(book('job-2', 1)).thenThrows(OtherError)).toThrow(
        /toBeInstanceOf/,
      );
    });

    it('thenThrows: the predicate refuses the error', () => {
      expect(() =>
        spec
          .given([booked('job-1', 8)])
          .when(book('job-2', 1))
          .thenThrows(() => false),
      ).toThrow(/predicate does not accept/);
    });

    it('a decider that mutates its command', () => {
      const mutating: Decider<Machine, BookMachine, Booked> = {
        ...machine,
        decide: (command, state) => {
          command.hours = Math.min(command.hours, state.hoursLeft);
          return [booked(command.jobId, command.hours)];
        },
      };
      expect(() => DeciderSpecification.for(mutating).given([]).when(book('job-1', 20)).then([booked('job-1', 8)])).toThrow(
        /read only|read-only/,
      );
    });
  });
});
