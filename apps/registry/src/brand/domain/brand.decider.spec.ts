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
});
