import { DomainError, type Decider } from '#libs/domain';
import { decideRegisteredMemberTokens, memberName } from '../../member/domain/member.js';
import { evolveTokens, issued, type Tokens } from '../../member/domain/member-tokens.js';
import type { ServiceCredentialCommand } from './service-credential.commands.js';
import type { ServiceCredentialEvent } from './service-credential.events.js';

export type ServiceCredentialState = { status: 'unregistered' } | { status: 'registered'; serviceCredentialId: string; name: string; tokens: Tokens };

/** A service credential is a member of role `service`: a name and tokens, nothing it could own. */
export const serviceCredentialDecider: Decider<ServiceCredentialState, ServiceCredentialCommand, ServiceCredentialEvent> = {
  initialState: () => ({ status: 'unregistered' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterServiceCredential': {
        if (state.status !== 'unregistered') {
          throw new DomainError('service_credential_already_registered', `service credential ${command.serviceCredentialId} is already registered`, 'conflict');
        }
        const name = memberName(command.name);
        return [
          { type: 'ServiceCredentialRegistered', data: { serviceCredentialId: command.serviceCredentialId, name, registeredBy: command.registeredBy, registeredAt: command.at } },
          issued(command.serviceCredentialId, 'service', command.token),
        ];
      }
      case 'RotateMemberToken':
      case 'RevokeMemberToken':
        return decideRegisteredMemberTokens(command, state.status === 'registered' ? state.tokens : undefined, 'service');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ServiceCredentialRegistered':
        return { status: 'registered', serviceCredentialId: event.data.serviceCredentialId, name: event.data.name, tokens: {} };
      case 'MemberTokenIssued':
      case 'MemberTokenRevoked':
        return state.status === 'registered' ? { ...state, tokens: evolveTokens(state.tokens, event) } : state;
    }
  },
};
