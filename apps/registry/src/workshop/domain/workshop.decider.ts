import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import { decideTokens, evolveTokens, issued, type Tokens } from '../../member/domain/member-tokens.js';
import { dayOf, isCalendarDate } from './calendar.js';
import { END_OF_TIME, type CapacityRule } from './capacity.js';
import { closeProcessMatches, isKnownProcess } from './process-catalogue.js';
import type { WorkshopCommand } from './workshop.commands.js';
import type { Capability, CapacityException, Location, WorkshopEvent } from './workshop.events.js';

export interface RegisteredWorkshop {
  status: 'active' | 'suspended';
  workshopId: string;
  name: string;
  location: Location;
  certifications: string[];
  capabilities: Capability[];
  capacity: CapacityRule[];
  suspendedReason?: string;
  tokens: Tokens;
}

export type WorkshopState = { status: 'unregistered' } | RegisteredWorkshop;

const MAX_HOURS_PER_DAY = 24;

function requireRegistered(state: WorkshopState, workshopId: string): RegisteredWorkshop {
  if (state.status === 'unregistered') throw new NotFound('workshop', workshopId);
  return state;
}

function nonBlank(field: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new ValidationFailed(field, 'must not be blank');
  return trimmed;
}

/** Known processes only (400 with the close matches), each once, sane efficiency and price. */
export function validateCapabilities(capabilities: readonly Capability[]): void {
  const seen = new Set<string>();
  capabilities.forEach((capability, i) => {
    const field = `capabilities.${i}`;
    if (!isKnownProcess(capability.process)) {
      const closeMatches = closeProcessMatches(capability.process);
      const hint = closeMatches.length > 0 ? `; did you mean ${closeMatches.join(', ')}?` : '';
      throw new ValidationFailed(`${field}.process`, `unknown process "${capability.process}"${hint}`, { value: capability.process, closeMatches });
    }
    if (seen.has(capability.process)) throw new ValidationFailed(`${field}.process`, `process "${capability.process}" is listed twice`);
    seen.add(capability.process);
    if (!(capability.efficiency > 0) || !Number.isFinite(capability.efficiency)) throw new ValidationFailed(`${field}.efficiency`, 'must be a positive number');
    if (!Number.isInteger(capability.price.amountMinor) || capability.price.amountMinor < 0) {
      throw new ValidationFailed(`${field}.price.amountMinor`, 'must be a non-negative integer (minor units)');
    }
  });
}

function validateDay(field: string, value: string): void {
  if (!isCalendarDate(value)) throw new ValidationFailed(field, `"${value}" is not a calendar date (YYYY-MM-DD)`);
}

function validateHours(field: string, hours: number): void {
  if (!(hours >= 0 && hours <= MAX_HOURS_PER_DAY)) throw new ValidationFailed(field, `must be between 0 and ${MAX_HOURS_PER_DAY} hours`);
}

function validatePeriod(from: string, until: string | undefined, at: string): void {
  validateDay('from', from);
  if (until !== undefined) validateDay('until', until);
  if (from < dayOf(at)) throw new ValidationFailed('from', `must not be before today (${dayOf(at)})`);
  if (until !== undefined && until < from) throw new ValidationFailed('until', 'must not be before from');
}

function validateExceptions(exceptions: readonly CapacityException[], from: string, until: string | undefined): void {
  const seen = new Set<string>();
  exceptions.forEach((exception, i) => {
    validateDay(`exceptions.${i}.date`, exception.date);
    validateHours(`exceptions.${i}.hours`, exception.hours);
    if (exception.date < from || (until !== undefined && exception.date > until)) {
      throw new ValidationFailed(`exceptions.${i}.date`, 'must lie between from and until');
    }
    if (seen.has(exception.date)) throw new ValidationFailed(`exceptions.${i}.date`, `${exception.date} is listed twice`);
    seen.add(exception.date);
  });
}

/** A process whose capacity may still be shared on or after `today`. */
const sharesCapacityFrom = (rules: readonly CapacityRule[], process: string, today: string): boolean =>
  rules.some((r) => r.process === process && r.kind === 'declared' && (r.until === undefined || r.until >= today));

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export const workshopDecider: Decider<WorkshopState, WorkshopCommand, WorkshopEvent> = {
  initialState: () => ({ status: 'unregistered' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterWorkshop': {
        if (state.status !== 'unregistered') {
          throw new DomainError('workshop_already_registered', `workshop ${command.workshopId} is already registered`, 'conflict');
        }
        const name = nonBlank('name', command.name);
        validateCapabilities(command.capabilities);
        return [
          {
            type: 'WorkshopRegistered',
            data: { workshopId: command.workshopId, name, location: command.location, certifications: command.certifications, registeredAt: command.at },
          },
          ...(command.capabilities.length > 0
            ? [{ type: 'WorkshopCapabilitiesChanged' as const, data: { workshopId: command.workshopId, capabilities: command.capabilities } }]
            : []),
          issued(command.workshopId, 'workshop', command.token),
        ];
      }
      case 'UpdateWorkshopProfile': {
        const workshop = requireRegistered(state, command.workshopId);
        const next = {
          workshopId: workshop.workshopId,
          name: command.name === undefined ? workshop.name : nonBlank('name', command.name),
          location: command.location ?? workshop.location,
          certifications: command.certifications ?? workshop.certifications,
        };
        const current = { workshopId: workshop.workshopId, name: workshop.name, location: workshop.location, certifications: workshop.certifications };
        return sameJson(next, current) ? [] : [{ type: 'WorkshopProfileUpdated', data: next }];
      }
      case 'SetCapabilities': {
        const workshop = requireRegistered(state, command.workshopId);
        validateCapabilities(command.capabilities);
        if (sameJson(command.capabilities, workshop.capabilities)) return [];
        const today = dayOf(command.at);
        const kept = new Set(command.capabilities.map((c) => c.process));
        const dropped = workshop.capabilities.filter((c) => !kept.has(c.process) && sharesCapacityFrom(workshop.capacity, c.process, today));
        return [
          { type: 'WorkshopCapabilitiesChanged', data: { workshopId: workshop.workshopId, capabilities: command.capabilities } },
          ...dropped.map((c) => ({
            type: 'CapacityWithdrawn' as const,
            data: { workshopId: workshop.workshopId, process: c.process, from: today, until: END_OF_TIME, reason: 'capability removed' },
          })),
        ];
      }
      case 'DeclareCapacity': {
        const workshop = requireRegistered(state, command.workshopId);
        validatePeriod(command.from, command.until, command.at);
        validateHours('hoursPerDay', command.hoursPerDay);
        validateExceptions(command.exceptions, command.from, command.until);
        if (!workshop.capabilities.some((c) => c.process === command.process)) {
          throw new DomainError('process_not_offered', `workshop ${workshop.workshopId} does not offer ${command.process}; add the capability first`, 'rejected', {
            process: command.process,
          });
        }
        return [
          {
            type: 'CapacityDeclared',
            data: {
              workshopId: workshop.workshopId,
              process: command.process,
              hoursPerDay: command.hoursPerDay,
              from: command.from,
              ...(command.until !== undefined ? { until: command.until } : {}),
              exceptions: [...command.exceptions].sort((a, b) => a.date.localeCompare(b.date)),
            },
          },
        ];
      }
      case 'WithdrawCapacity': {
        const workshop = requireRegistered(state, command.workshopId);
        validatePeriod(command.from, command.until, command.at);
        if (!sharesCapacityFrom(workshop.capacity, command.process, command.from)) {
          throw new DomainError('nothing_to_withdraw', `workshop ${workshop.workshopId} shares no ${command.process} capacity from ${command.from}`, 'rejected', {
            process: command.process,
          });
        }
        return [
          {
            type: 'CapacityWithdrawn',
            data: { workshopId: workshop.workshopId, process: command.process, from: command.from, until: command.until, reason: 'withdrawn by the workshop' },
          },
        ];
      }
      case 'SuspendWorkshop': {
        const workshop = requireRegistered(state, command.workshopId);
        const reason = nonBlank('reason', command.reason);
        if (workshop.status === 'suspended') {
          throw new DomainError('workshop_already_suspended', `workshop ${workshop.workshopId} is already suspended`, 'conflict');
        }
        return [{ type: 'WorkshopSuspended', data: { workshopId: workshop.workshopId, reason, suspendedAt: command.at, suspendedBy: command.by } }];
      }
      case 'ReinstateWorkshop': {
        const workshop = requireRegistered(state, command.workshopId);
        const reason = nonBlank('reason', command.reason);
        if (workshop.status !== 'suspended') {
          throw new DomainError('workshop_not_suspended', `workshop ${workshop.workshopId} is not suspended`, 'conflict');
        }
        return [{ type: 'WorkshopReinstated', data: { workshopId: workshop.workshopId, reason, reinstatedAt: command.at, reinstatedBy: command.by } }];
      }
      case 'AppealSuspension': {
        const workshop = requireRegistered(state, command.workshopId);
        const reason = nonBlank('reason', command.reason);
        if (workshop.status !== 'suspended') {
          throw new DomainError('workshop_not_suspended', `workshop ${workshop.workshopId} is not suspended`, 'conflict');
        }
        return [{ type: 'WorkshopSuspensionAppealed', data: { workshopId: workshop.workshopId, reason, appealedAt: command.at } }];
      }
      case 'RotateMemberToken': {
        const workshop = requireRegistered(state, command.memberId);
        // A suspended workshop gets no new token, from anyone: the suspension would not freeze otherwise.
        if (workshop.status === 'suspended') throw new DomainError('member_suspended', `workshop ${workshop.workshopId} is suspended: no new token until it is reinstated`, 'forbidden');
        return decideTokens(command, workshop.tokens, 'workshop');
      }
      case 'RevokeMemberToken':
        return decideTokens(command, requireRegistered(state, command.memberId).tokens, 'workshop');
    }
  },

  evolve(state, event) {
    if (event.type === 'WorkshopRegistered') {
      const { workshopId, name, location, certifications } = event.data;
      return { status: 'active', workshopId, name, location, certifications, capabilities: [], capacity: [], tokens: {} };
    }
    if (state.status === 'unregistered') return state;
    switch (event.type) {
      case 'WorkshopProfileUpdated':
        return { ...state, name: event.data.name, location: event.data.location, certifications: event.data.certifications };
      case 'WorkshopCapabilitiesChanged':
        return { ...state, capabilities: event.data.capabilities };
      case 'CapacityDeclared': {
        const { process, hoursPerDay, from, until, exceptions } = event.data;
        return { ...state, capacity: [...state.capacity, { kind: 'declared', process, hoursPerDay, from, until, exceptions }] };
      }
      case 'CapacityWithdrawn': {
        const { process, from, until } = event.data;
        return { ...state, capacity: [...state.capacity, { kind: 'withdrawn', process, from, until }] };
      }
      case 'WorkshopSuspended':
        return { ...state, status: 'suspended', suspendedReason: event.data.reason };
      case 'WorkshopReinstated':
        return { ...state, status: 'active', suspendedReason: undefined };
      case 'WorkshopSuspensionAppealed':
        return state;
      case 'MemberTokenIssued':
      case 'MemberTokenRevoked':
        return { ...state, tokens: evolveTokens(state.tokens, event) };
    }
  },
};
