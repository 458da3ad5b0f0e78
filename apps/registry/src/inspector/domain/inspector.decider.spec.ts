import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { inspectorDecider } from './inspector.decider.js';
import type { InspectorEvent } from './inspector.events.js';

const spec = DeciderSpecification.for(inspectorDecider);
const at = '2030-03-01T08:00:00.000Z';
const later = '2030-03-02T00:00:00.000Z';
const token = { tokenId: 'it-1', issuedAt: at, expiresAt: '2030-05-30T08:00:00.000Z' };
const register = (overrides: { name?: string; certifications?: string[] } = {}) => ({
  type: 'RegisterInspector' as const,
  inspectorId: 'i-1',
  name: overrides.name ?? 'Chen Jing',
  certifications: overrides.certifications ?? ['ISO 2859-1', 'ASQ CQI'],
  token,
  at,
});
const none = { processes: [], regions: [], affiliations: [] };
const registered: InspectorEvent = { type: 'InspectorRegistered', data: { inspectorId: 'i-1', name: 'Chen Jing', certifications: ['ISO 2859-1', 'ASQ CQI'], registeredAt: at, ...none } };
const issued: InspectorEvent = { type: 'MemberTokenIssued', data: { memberId: 'i-1', role: 'inspector', tokenId: 'it-1', issuedAt: at, expiresAt: token.expiresAt } };

describe('inspector decider', () => {
  it('registers an inspector with its certifications and a first token in the inspector role', () => {
    spec.given([]).when(register()).then([registered, issued]);
  });

  it('trims the name and the certifications, and accepts none', () => {
    spec
      .given([])
      .when(register({ name: '  Chen Jing ', certifications: [] }))
      .then([{ type: 'InspectorRegistered', data: { inspectorId: 'i-1', name: 'Chen Jing', certifications: [], registeredAt: at, ...none } }, issued]);
    spec
      .given([])
      .when(register({ certifications: [' ISO 2859-1 '] }))
      .then([{ type: 'InspectorRegistered', data: { inspectorId: 'i-1', name: 'Chen Jing', certifications: ['ISO 2859-1'], registeredAt: at, ...none } }, issued]);
  });

  it('refuses a blank name, a blank certification and a certification listed twice, naming the field', () => {
    spec.given([]).when(register({ name: '   ' })).thenThrows((e) => e instanceof ValidationFailed && e.field === 'name');
    spec.given([]).when(register({ certifications: ['ISO 2859-1', ' '] })).thenThrows((e) => e instanceof ValidationFailed && e.field === 'certifications.1');
    spec.given([]).when(register({ certifications: ['ISO 2859-1', 'iso 2859-1'] })).thenThrows((e) => e instanceof ValidationFailed && e.field === 'certifications.1');
  });

  it('declares the processes it inspects (catalogue only), its regions and its ties, on registration and later', () => {
    const declared = { processes: ['sewing', 'cutting'], regions: ['Zhejiang'], affiliations: ['ws-9'] };
    spec.given([]).when({ ...register(), ...declared }).then([{ type: 'InspectorRegistered', data: { inspectorId: 'i-1', name: 'Chen Jing', certifications: ['ISO 2859-1', 'ASQ CQI'], registeredAt: at, ...declared } }, issued]);
    spec.given([]).when({ ...register(), processes: ['sewing', 'sewwing'] }).thenThrows((e) => e instanceof ValidationFailed && e.field === 'processes.1');
    spec.given([]).when({ ...register(), affiliations: ['i-1'] }).thenThrows((e) => e instanceof ValidationFailed && e.field === 'affiliations.0');
    const update = { type: 'UpdateInspectorProfile' as const, inspectorId: 'i-1', certifications: ['ISO 2859-1'], ...declared, by: 'i-1', at: later };
    spec.given([registered, issued]).when(update).then([{ type: 'InspectorProfileUpdated', data: { inspectorId: 'i-1', certifications: ['ISO 2859-1'], ...declared, updatedAt: later, by: 'i-1' } }]);
    spec.given([]).when(update).thenThrows(NotFound);
  });

  it('refuses a second registration of the same inspector', () => {
    spec.given([registered, issued]).when(register()).thenThrows((e) => e instanceof DomainError && e.code === 'inspector_already_registered' && e.kind === 'conflict');
  });

  it('rotates a token: a new one in the inspector role, every active one revoked', () => {
    const next = { tokenId: 'it-2', issuedAt: later, expiresAt: '2030-06-01T00:00:00.000Z' };
    spec
      .given([registered, issued])
      .when({ type: 'RotateMemberToken', memberId: 'i-1', token: next })
      .then([
        { type: 'MemberTokenIssued', data: { memberId: 'i-1', role: 'inspector', tokenId: 'it-2', issuedAt: later, expiresAt: next.expiresAt } },
        { type: 'MemberTokenRevoked', data: { memberId: 'i-1', tokenId: 'it-1', revokedAt: later, reason: 'rotated' } },
      ]);
  });

  it('revokes a token once; an unknown token or an unregistered inspector is a 404', () => {
    const revoked: InspectorEvent = { type: 'MemberTokenRevoked', data: { memberId: 'i-1', tokenId: 'it-1', revokedAt: later, reason: 'revoked' } };
    spec.given([registered, issued]).when({ type: 'RevokeMemberToken', memberId: 'i-1', tokenId: 'it-1', at: later }).then([revoked]);
    spec.given([registered, issued, revoked]).when({ type: 'RevokeMemberToken', memberId: 'i-1', tokenId: 'it-1', at: later }).thenNothing();
    spec.given([registered, issued]).when({ type: 'RevokeMemberToken', memberId: 'i-1', tokenId: 'nope', at: later }).thenThrows(NotFound);
    spec.given([]).when({ type: 'RevokeMemberToken', memberId: 'i-1', tokenId: 'it-1', at: later }).thenThrows((e) => e instanceof NotFound && e.code === 'member_not_found');
  });

  it('suspends an inspector (no new token meanwhile) and reinstates it, recording the operators', () => {
    const suspended: InspectorEvent = { type: 'MemberSuspended', data: { memberId: 'i-1', role: 'inspector', reason: 'undeclared tie', suspendedAt: later, suspendedBy: 'op-1' } };
    spec.given([registered, issued]).when({ type: 'SuspendMember', memberId: 'i-1', reason: 'undeclared tie', by: 'op-1', at: later }).then([suspended]);
    spec
      .given([registered, issued, suspended])
      .when({ type: 'RotateMemberToken', memberId: 'i-1', token: { tokenId: 'it-2', issuedAt: later, expiresAt: '2030-06-01T00:00:00.000Z' } })
      .thenThrows((e) => e instanceof DomainError && e.code === 'member_suspended');
    spec
      .given([registered, issued, suspended])
      .when({ type: 'ReinstateMember', memberId: 'i-1', reason: 'cleared', by: 'op-2', at: later })
      .then([{ type: 'MemberReinstated', data: { memberId: 'i-1', role: 'inspector', reason: 'cleared', reinstatedAt: later, reinstatedBy: 'op-2' } }]);
  });
});
