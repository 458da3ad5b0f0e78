import { DomainError, type Decider } from '#libs/domain';
import { decideRegisteredMemberTokens, memberName } from '../../member/domain/member.js';
import { decideSuspension, evolveSuspended, refuseWhileSuspended } from '../../member/domain/member-suspension.js';
import { evolveTokens, issued, type Tokens } from '../../member/domain/member-tokens.js';
import type { BrandCommand } from './brand.commands.js';
import type { BrandEvent } from './brand.events.js';

export type BrandState =
  | { status: 'unregistered' }
  | { status: 'registered'; brandId: string; name: string; contactEmail?: string; registeredAt: string; tokens: Tokens; suspended: boolean };

export const brandDecider: Decider<BrandState, BrandCommand, BrandEvent> = {
  initialState: () => ({ status: 'unregistered' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterBrand': {
        if (state.status !== 'unregistered') {
          throw new DomainError('brand_already_registered', `brand ${command.brandId} is already registered`, 'conflict');
        }
        const name = memberName(command.name);
        return [
          {
            type: 'BrandRegistered',
            data: { brandId: command.brandId, name, ...(command.contactEmail ? { contactEmail: command.contactEmail } : {}), registeredAt: command.at },
          },
          issued(command.brandId, 'brand', command.token),
        ];
      }
      case 'RotateMemberToken':
        if (state.status === 'registered') refuseWhileSuspended(state.suspended, 'brand', state.brandId);
        return decideRegisteredMemberTokens(command, state.status === 'registered' ? state.tokens : undefined, 'brand');
      case 'RevokeMemberToken':
        return decideRegisteredMemberTokens(command, state.status === 'registered' ? state.tokens : undefined, 'brand');
      case 'SuspendMember':
      case 'ReinstateMember':
      case 'AppealMemberSuspension':
        return decideSuspension(command, state.status === 'registered' ? state : undefined, 'brand');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'BrandRegistered':
        return { status: 'registered', brandId: event.data.brandId, name: event.data.name, contactEmail: event.data.contactEmail, registeredAt: event.data.registeredAt, tokens: {}, suspended: false };
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
