import { DomainError, type Decider } from '#libs/domain';
import { decideRegisteredMemberTokens, distinctLabels, memberName } from '../../member/domain/member.js';
import { evolveTokens, issued, type Tokens } from '../../member/domain/member-tokens.js';
import type { InspectorCommand } from './inspector.commands.js';
import type { InspectorEvent } from './inspector.events.js';

/** An inspector is a network member like a brand: registered once by an operator, with its own tokens. */
export type InspectorState =
  | { status: 'unregistered' }
  | { status: 'registered'; inspectorId: string; name: string; certifications: string[]; registeredAt: string; tokens: Tokens };

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
          { type: 'InspectorRegistered', data: { inspectorId: command.inspectorId, name, certifications, registeredAt: command.at } },
          issued(command.inspectorId, 'inspector', command.token),
        ];
      }
      case 'RotateMemberToken':
      case 'RevokeMemberToken':
        return decideRegisteredMemberTokens(command, state.status === 'registered' ? state.tokens : undefined, 'inspector');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'InspectorRegistered': {
        const { inspectorId, name, certifications, registeredAt } = event.data;
        return { status: 'registered', inspectorId, name, certifications, registeredAt, tokens: {} };
      }
      case 'MemberTokenIssued':
      case 'MemberTokenRevoked':
        return state.status === 'registered' ? { ...state, tokens: evolveTokens(state.tokens, event) } : state;
    }
  },
};
