import { DomainError, type Decider } from '#libs/domain';
import { BOOTSTRAP_OPERATOR_ID, BOOTSTRAP_TOKEN_ID } from '#libs/platform';
import { decideRegisteredMemberTokens, memberName } from '../../member/domain/member.js';
import { evolveTokens, issued, type Tokens } from '../../member/domain/member-tokens.js';
import type { DisableBootstrapCredential, OperatorCommand } from './operator.commands.js';
import type { BootstrapEvent, OperatorEvent } from './operator.events.js';

/** An operator is a member like the others: a name, and tokens that expire and can be revoked or rotated. */
export type OperatorState =
  | { status: 'unregistered' }
  | { status: 'registered'; operatorId: string; name: string; registeredAt: string; tokens: Tokens };

export const operatorDecider: Decider<OperatorState, OperatorCommand, OperatorEvent> = {
  initialState: () => ({ status: 'unregistered' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterOperator': {
        if (state.status !== 'unregistered') {
          throw new DomainError('operator_already_registered', `operator ${command.operatorId} is already registered`, 'conflict');
        }
        const name = memberName(command.name);
        return [
          {
            type: 'OperatorRegistered',
            data: {
              operatorId: command.operatorId,
              name,
              ...(command.contactEmail ? { contactEmail: command.contactEmail } : {}),
              registeredBy: command.registeredBy,
              registeredAt: command.at,
            },
          },
          issued(command.operatorId, 'operator', command.token),
        ];
      }
      case 'RotateMemberToken':
      case 'RevokeMemberToken':
        return decideRegisteredMemberTokens(command, state.status === 'registered' ? state.tokens : undefined, 'operator');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'OperatorRegistered':
        return { status: 'registered', operatorId: event.data.operatorId, name: event.data.name, registeredAt: event.data.registeredAt, tokens: {} };
      case 'MemberTokenIssued':
      case 'MemberTokenRevoked':
        return state.status === 'registered' ? { ...state, tokens: evolveTokens(state.tokens, event) } : state;
    }
  },
};

export type BootstrapState = { disabled: boolean };

/** The bootstrap credential: on until a named operator turns it off, once. */
export const bootstrapCredentialDecider: Decider<BootstrapState, DisableBootstrapCredential, BootstrapEvent> = {
  initialState: () => ({ disabled: false }),

  decide(command, state) {
    if (command.by === BOOTSTRAP_OPERATOR_ID) {
      throw new DomainError('named_operator_required', 'only a named operator may turn the bootstrap credential off; register one first (POST /registry/operators)', 'forbidden');
    }
    if (state.disabled) return [];
    return [
      { type: 'BootstrapCredentialDisabled', data: { disabledBy: command.by, disabledAt: command.at } },
      { type: 'MemberTokenRevoked', data: { memberId: BOOTSTRAP_OPERATOR_ID, tokenId: BOOTSTRAP_TOKEN_ID, revokedAt: command.at, reason: 'revoked' } },
    ];
  },

  evolve(state, event) {
    return event.type === 'BootstrapCredentialDisabled' ? { disabled: true } : state;
  },
};
