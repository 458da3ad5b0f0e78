import { DomainError, NotFound } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { serviceCredentialDecider } from './service-credential.decider.js';
import type { ServiceCredentialEvent } from './service-credential.events.js';

const spec = DeciderSpecification.for(serviceCredentialDecider);
const at = '2030-03-01T08:00:00.000Z';
const token = { tokenId: 'st-1', issuedAt: at, expiresAt: '2030-03-31T08:00:00.000Z' };
const registered: ServiceCredentialEvent = { type: 'ServiceCredentialRegistered', data: { serviceCredentialId: 's-1', name: 'orders host', registeredBy: 'op-1', registeredAt: at } };
const issued: ServiceCredentialEvent = { type: 'MemberTokenIssued', data: { memberId: 's-1', role: 'service', tokenId: 'st-1', issuedAt: at, expiresAt: token.expiresAt } };

describe('service credential decider', () => {
  it('registers a credential of role service with its first token, recording the operator, once', () => {
    spec.given([]).when({ type: 'RegisterServiceCredential', serviceCredentialId: 's-1', name: ' orders host ', registeredBy: 'op-1', token, at }).then([registered, issued]);
    spec
      .given([registered])
      .when({ type: 'RegisterServiceCredential', serviceCredentialId: 's-1', name: 'again', registeredBy: 'op-1', token, at })
      .thenThrows((e) => e instanceof DomainError && e.code === 'service_credential_already_registered');
  });
  it('rotates and revokes its tokens like any member; an unknown credential is a 404', () => {
    spec
      .given([registered, issued])
      .when({ type: 'RevokeMemberToken', memberId: 's-1', tokenId: 'st-1', at })
      .then([{ type: 'MemberTokenRevoked', data: { memberId: 's-1', tokenId: 'st-1', revokedAt: at, reason: 'revoked' } }]);
    spec.given([]).when({ type: 'RevokeMemberToken', memberId: 's-1', tokenId: 'st-1', at }).thenThrows(NotFound);
  });
});
