import { DomainError, NotFound } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { bootstrapCredentialDecider, operatorDecider } from './operator.decider.js';
import type { OperatorEvent } from './operator.events.js';

const spec = DeciderSpecification.for(operatorDecider);
const bootstrap = DeciderSpecification.for(bootstrapCredentialDecider);
const at = '2030-03-01T08:00:00.000Z';
const later = '2030-03-01T09:00:00.000Z';
const token = { tokenId: 'ot-1', issuedAt: at, expiresAt: '2030-03-01T16:00:00.000Z' };
const registered: OperatorEvent = { type: 'OperatorRegistered', data: { operatorId: 'op-1', name: 'Li Wei', registeredBy: 'bootstrap', registeredAt: at } };
const issued: OperatorEvent = { type: 'MemberTokenIssued', data: { memberId: 'op-1', role: 'operator', tokenId: 'ot-1', issuedAt: at, expiresAt: token.expiresAt } };

describe('operator decider', () => {
  it('registers a named operator, remembering who registered it, with a first token in the operator role', () => {
    spec.given([]).when({ type: 'RegisterOperator', operatorId: 'op-1', name: ' Li Wei ', registeredBy: 'bootstrap', token, at }).then([registered, issued]);
  });

  it('refuses a second registration and a blank name', () => {
    spec.given([registered]).when({ type: 'RegisterOperator', operatorId: 'op-1', name: 'x', registeredBy: 'op-0', token, at }).thenThrows((e) => e instanceof DomainError && e.code === 'operator_already_registered');
    spec.given([]).when({ type: 'RegisterOperator', operatorId: 'op-1', name: ' ', registeredBy: 'op-0', token, at }).thenThrows((e) => e instanceof DomainError && e.code === 'validation_failed');
  });

  it('rotates and revokes its tokens like any member’s', () => {
    spec
      .given([registered, issued])
      .when({ type: 'RevokeMemberToken', memberId: 'op-1', tokenId: 'ot-1', at: later })
      .then([{ type: 'MemberTokenRevoked', data: { memberId: 'op-1', tokenId: 'ot-1', revokedAt: later, reason: 'revoked' } }]);
    spec.given([]).when({ type: 'RevokeMemberToken', memberId: 'op-1', tokenId: 'ot-1', at: later }).thenThrows(NotFound);
  });
});

describe('bootstrap credential decider', () => {
  it('is turned off by a named operator, which revokes it everywhere, once', () => {
    bootstrap
      .given([])
      .when({ type: 'DisableBootstrapCredential', by: 'op-1', at })
      .then([
        { type: 'BootstrapCredentialDisabled', data: { disabledBy: 'op-1', disabledAt: at } },
        { type: 'MemberTokenRevoked', data: { memberId: 'bootstrap', tokenId: 'bootstrap-credential', revokedAt: at, reason: 'revoked' } },
      ]);
    bootstrap.given([{ type: 'BootstrapCredentialDisabled', data: { disabledBy: 'op-1', disabledAt: at } }]).when({ type: 'DisableBootstrapCredential', by: 'op-2', at: later }).then([]);
  });

  it('cannot turn itself off', () => {
    bootstrap.given([]).when({ type: 'DisableBootstrapCredential', by: 'bootstrap', at }).thenThrows((e) => e instanceof DomainError && e.code === 'named_operator_required');
  });
});
