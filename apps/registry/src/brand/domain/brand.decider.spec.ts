import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { brandDecider } from './brand.decider.js';
import type { BrandEvent } from './brand.events.js';

const spec = DeciderSpecification.for(brandDecider);
const at = '2030-03-01T08:00:00.000Z';
const token = { tokenId: 'bt-1', issuedAt: at, expiresAt: '2030-03-31T08:00:00.000Z' };
const registered: BrandEvent = { type: 'BrandRegistered', data: { brandId: 'b-1', name: 'Lumen Apparel', registeredAt: at } };
const issued: BrandEvent = { type: 'MemberTokenIssued', data: { memberId: 'b-1', role: 'brand', tokenId: 'bt-1', issuedAt: at, expiresAt: token.expiresAt } };

describe('brand decider', () => {
  it('registers a brand with its first token', () => {
    spec.given([]).when({ type: 'RegisterBrand', brandId: 'b-1', name: 'Lumen Apparel', token, at }).then([registered, issued]);
  });
  it('keeps a contact email when given', () => {
    spec
      .given([])
      .when({ type: 'RegisterBrand', brandId: 'b-1', name: 'Lumen Apparel', contactEmail: 'ops@lumen.example', token, at })
      .then([{ type: 'BrandRegistered', data: { brandId: 'b-1', name: 'Lumen Apparel', contactEmail: 'ops@lumen.example', registeredAt: at } }, issued]);
  });
  it('refuses a second registration and a blank name', () => {
    spec.given([registered]).when({ type: 'RegisterBrand', brandId: 'b-1', name: 'x', token, at }).thenThrows((e) => e instanceof DomainError && e.code === 'brand_already_registered');
    spec.given([]).when({ type: 'RegisterBrand', brandId: 'b-1', name: '', token, at }).thenThrows(ValidationFailed);
  });
  it('rotates and revokes tokens of a registered brand only', () => {
    const later = '2030-03-02T00:00:00.000Z';
    spec
      .given([registered, issued])
      .when({ type: 'RevokeMemberToken', memberId: 'b-1', tokenId: 'bt-1', at: later })
      .then([{ type: 'MemberTokenRevoked', data: { memberId: 'b-1', tokenId: 'bt-1', revokedAt: later, reason: 'revoked' } }]);
    spec.given([]).when({ type: 'RevokeMemberToken', memberId: 'b-1', tokenId: 'bt-1', at: later }).thenThrows(NotFound);
  });

  describe('suspension', () => {
    const later = '2030-03-02T00:00:00.000Z';
    const suspended: BrandEvent = { type: 'MemberSuspended', data: { memberId: 'b-1', role: 'brand', reason: 'chargebacks', suspendedAt: later, suspendedBy: 'op-1' } };
    it('suspends a registered brand, recording the operator and the time', () => {
      spec.given([registered, issued]).when({ type: 'SuspendMember', memberId: 'b-1', reason: ' chargebacks ', by: 'op-1', at: later }).then([suspended]);
      spec.given([]).when({ type: 'SuspendMember', memberId: 'b-1', reason: 'x', by: 'op-1', at: later }).thenThrows(NotFound);
      spec.given([registered]).when({ type: 'SuspendMember', memberId: 'b-1', reason: ' ', by: 'op-1', at: later }).thenThrows(ValidationFailed);
      spec.given([registered, suspended]).when({ type: 'SuspendMember', memberId: 'b-1', reason: 'again', by: 'op-1', at: later }).thenThrows((e) => e instanceof DomainError && e.code === 'member_already_suspended');
    });
    it('refuses a new token while suspended, and issues one again once reinstated', () => {
      const rotate = { type: 'RotateMemberToken' as const, memberId: 'b-1', token: { ...token, tokenId: 'bt-2' } };
      spec.given([registered, issued, suspended]).when(rotate).thenThrows((e) => e instanceof DomainError && e.code === 'member_suspended' && e.kind === 'forbidden');
      const reinstated: BrandEvent = { type: 'MemberReinstated', data: { memberId: 'b-1', role: 'brand', reason: 'settled', reinstatedAt: later, reinstatedBy: 'op-2' } };
      spec.given([registered, issued, suspended]).when({ type: 'ReinstateMember', memberId: 'b-1', reason: 'settled', by: 'op-2', at: later }).then([reinstated]);
      spec.given([registered, issued, suspended, reinstated]).when(rotate).then([
        { type: 'MemberTokenIssued', data: { memberId: 'b-1', role: 'brand', tokenId: 'bt-2', issuedAt: at, expiresAt: token.expiresAt } },
        { type: 'MemberTokenRevoked', data: { memberId: 'b-1', tokenId: 'bt-1', revokedAt: at, reason: 'rotated' } },
      ]);
    });
    it('lets the suspended brand appeal, and refuses an appeal or reinstatement of a brand that is not suspended', () => {
      spec
        .given([registered, suspended])
        .when({ type: 'AppealMemberSuspension', memberId: 'b-1', reason: 'paid back', at: later })
        .then([{ type: 'MemberSuspensionAppealed', data: { memberId: 'b-1', role: 'brand', reason: 'paid back', appealedAt: later } }]);
      spec.given([registered]).when({ type: 'AppealMemberSuspension', memberId: 'b-1', reason: 'x', at: later }).thenThrows((e) => e instanceof DomainError && e.code === 'member_not_suspended');
      spec.given([registered]).when({ type: 'ReinstateMember', memberId: 'b-1', reason: 'x', by: 'op-1', at: later }).thenThrows((e) => e instanceof DomainError && e.code === 'member_not_suspended');
    });
  });
});
