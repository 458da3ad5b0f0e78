import { PROCESS_CATALOGUE } from '#libs/contracts';
import { DomainError, NotFound, ValidationFailed, type Decider } from '#libs/domain';
import { decideRegisteredMemberTokens, distinctLabels, memberName } from '../../member/domain/member.js';
import { decideSuspension, evolveSuspended, refuseWhileSuspended } from '../../member/domain/member-suspension.js';
import { evolveTokens, issued, type Tokens } from '../../member/domain/member-tokens.js';
import type { InspectorCommand } from './inspector.commands.js';
import type { InspectorEvent, InspectorQualifications } from './inspector.events.js';

/** An inspector is a network member like a brand: registered once by an operator, with its own tokens. */
export type InspectorState =
  | { status: 'unregistered' }
  | ({ status: 'registered'; inspectorId: string; name: string; certifications: string[]; registeredAt: string; tokens: Tokens; suspended: boolean } & InspectorQualifications);

const CATALOGUE: ReadonlySet<string> = new Set(PROCESS_CATALOGUE);

/** Processes from the catalogue, regions and affiliations as distinct labels; an inspector cannot be tied to itself. */
function qualifications(inspectorId: string, input: Partial<InspectorQualifications>): InspectorQualifications {
  const processes = distinctLabels(input.processes ?? [], 'processes');
  processes.forEach((p, i) => {
    if (!CATALOGUE.has(p)) throw new ValidationFailed(`processes.${i}`, `"${p}" is not a process of the catalogue`);
  });
  const affiliations = distinctLabels(input.affiliations ?? [], 'affiliations');
  affiliations.forEach((a, i) => {
    if (a === inspectorId) throw new ValidationFailed(`affiliations.${i}`, 'an inspector is not an affiliation of itself');
  });
  return { processes, regions: distinctLabels(input.regions ?? [], 'regions'), affiliations };
}

export const inspectorDecider: Decider<InspectorState, InspectorCommand, InspectorEvent> = {
  initialState: () => ({ status: 'unregistered' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterInspector': {
        if (state.status !== 'unregistered') {
          throw new DomainError('inspector_already_registered', `inspector ${command.inspectorId} is already registered`, 'conflict');
        }
        const name = memberName(command.name);
        const certifications = distinctLabels(command.certifications, 'certifications');
        return [
          { type: 'InspectorRegistered', data: { inspectorId: command.inspectorId, name, certifications, registeredAt: command.at, ...qualifications(command.inspectorId, command) } },
          issued(command.inspectorId, 'inspector', command.token),
        ];
      }
      case 'UpdateInspectorProfile': {
        if (state.status !== 'registered') throw new NotFound('inspector', command.inspectorId);
        const certifications = distinctLabels(command.certifications, 'certifications');
        return [{ type: 'InspectorProfileUpdated', data: { inspectorId: command.inspectorId, certifications, ...qualifications(command.inspectorId, command), updatedAt: command.at, by: command.by } }];
      }
      case 'RotateMemberToken':
        if (state.status === 'registered') refuseWhileSuspended(state.suspended, 'inspector', state.inspectorId);
        return decideRegisteredMemberTokens(command, state.status === 'registered' ? state.tokens : undefined, 'inspector');
      case 'RevokeMemberToken':
        return decideRegisteredMemberTokens(command, state.status === 'registered' ? state.tokens : undefined, 'inspector');
      case 'SuspendMember':
      case 'ReinstateMember':
      case 'AppealMemberSuspension':
        return decideSuspension(command, state.status === 'registered' ? state : undefined, 'inspector');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'InspectorRegistered': {
        const { inspectorId, name, certifications, registeredAt } = event.data;
        return { status: 'registered', inspectorId, name, certifications, registeredAt, tokens: {}, suspended: false, processes: event.data.processes ?? [], regions: event.data.regions ?? [], affiliations: event.data.affiliations ?? [] };
      }
      case 'InspectorProfileUpdated': {
        if (state.status !== 'registered') return state;
        const { certifications, processes, regions, affiliations } = event.data;
        return { ...state, certifications, processes, regions, affiliations };
      }
      case 'MemberTokenIssued':
      case 'MemberTokenRevoked':
        return state.status === 'registered' ? { ...state, tokens: evolveTokens(state.tokens, event) } : state;
      case 'MemberSuspended':
      case 'MemberReinstated':
      case 'MemberSuspensionAppealed':
        return state.status === 'registered' ? { ...state, suspended: evolveSuspended(state.suspended, event) } : state;
    }
  },
};
