import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { DeciderSpecification } from '#libs/testing';
import { capabilityLotPrice } from '#libs/contracts';
import { sharedHoursOn } from './capacity.js';
import { closeProcessMatches, editDistance } from './process-catalogue.js';
import { workshopDecider } from './workshop.decider.js';
import type { Capability, WorkshopEvent } from './workshop.events.js';
import { isCalendarDate } from './calendar.js';

const spec = DeciderSpecification.for(workshopDecider);
const at = '2030-03-01T08:00:00.000Z';
const id = 'w-1';
const location = { lat: 29.87, lng: 121.54, region: 'Zhejiang', city: 'Ningbo' };
const token = { tokenId: 't-1', issuedAt: at, expiresAt: '2030-03-31T08:00:00.000Z' };
const sewing: Capability = { process: 'sewing', parameters: { materials: ['cotton'] }, efficiency: 1.2, pricing: 'per_hour', price: { amountMinor: 4000, currency: 'CNY' } };
const cutting: Capability = { process: 'cutting', parameters: {}, efficiency: 1, pricing: 'per_unit', price: { amountMinor: 150, currency: 'CNY' } };

const registered: WorkshopEvent = { type: 'WorkshopRegistered', data: { workshopId: id, name: 'Ningbo Stitch', location, certifications: ['ISO9001'], registeredAt: at } };
const capable: WorkshopEvent = { type: 'WorkshopCapabilitiesChanged', data: { workshopId: id, capabilities: [sewing, cutting] } };
const declared: WorkshopEvent = { type: 'CapacityDeclared', data: { workshopId: id, process: 'sewing', hoursPerDay: 8, from: '2030-03-02', exceptions: [] } };
const suspended: WorkshopEvent = { type: 'WorkshopSuspended', data: { workshopId: id, reason: 'fraud check', suspendedAt: at, suspendedBy: 'op-1' } };
const tokenIssued: WorkshopEvent = { type: 'MemberTokenIssued', data: { memberId: id, role: 'workshop', tokenId: 't-1', issuedAt: at, expiresAt: token.expiresAt } };

const code = (c: string) => (e: Error) => e instanceof DomainError && e.code === c;
const field = (f: string) => (e: Error) => e instanceof ValidationFailed && e.field === f;

describe('workshop decider', () => {
  describe('RegisterWorkshop', () => {
    it('registers with capabilities and a first token', () => {
      spec
        .given([])
        .when({ type: 'RegisterWorkshop', workshopId: id, name: ' Ningbo Stitch ', location, certifications: ['ISO9001'], capabilities: [sewing], token, at })
        .then([
          registered,
          { type: 'WorkshopCapabilitiesChanged', data: { workshopId: id, capabilities: [sewing] } },
          tokenIssued,
        ]);
    });
    it('publishes no capability list when none is given', () => {
      spec.given([]).when({ type: 'RegisterWorkshop', workshopId: id, name: 'Ningbo Stitch', location, certifications: ['ISO9001'], capabilities: [], token, at }).then([registered, tokenIssued]);
    });
    it('refuses a second registration', () => {
      spec.given([registered]).when({ type: 'RegisterWorkshop', workshopId: id, name: 'x', location, certifications: [], capabilities: [], token, at }).thenThrows(code('workshop_already_registered'));
    });
    it('refuses a blank name', () => {
      spec.given([]).when({ type: 'RegisterWorkshop', workshopId: id, name: '  ', location, certifications: [], capabilities: [], token, at }).thenThrows(field('name'));
    });
    it('refuses a token that expires before it is issued', () => {
      spec.given([]).when({ type: 'RegisterWorkshop', workshopId: id, name: 'x', location, certifications: [], capabilities: [], token: { ...token, expiresAt: at }, at }).thenThrows(code('invalid_token_lifetime'));
    });
  });

  describe('capabilities', () => {
    it('replaces the list', () => {
      spec.given([registered]).when({ type: 'SetCapabilities', workshopId: id, capabilities: [sewing, cutting], at }).then([capable]);
    });
    it('changes nothing when the list is the same', () => {
      spec.given([registered, capable]).when({ type: 'SetCapabilities', workshopId: id, capabilities: [sewing, cutting], at }).thenNothing();
    });
    it('refuses an unknown process with a 400 listing close matches', () => {
      const error = spec
        .given([registered])
        .when({ type: 'SetCapabilities', workshopId: id, capabilities: [cutting, { ...sewing, process: 'sewwing' }], at })
        .thenThrows<ValidationFailed>(field('capabilities.1.process'));
      expect(error.kind).toBe('invalid');
      expect(error.details).toMatchObject({ closeMatches: ['sewing'] });
      expect(error.message).toContain('did you mean sewing');
    });
    it('refuses a process listed twice', () => {
      spec.given([registered]).when({ type: 'SetCapabilities', workshopId: id, capabilities: [sewing, sewing], at }).thenThrows(field('capabilities.1.process'));
    });
    it('refuses a zero efficiency and a fractional price', () => {
      spec.given([registered]).when({ type: 'SetCapabilities', workshopId: id, capabilities: [{ ...sewing, efficiency: 0 }], at }).thenThrows(field('capabilities.0.efficiency'));
      spec
        .given([registered])
        .when({ type: 'SetCapabilities', workshopId: id, capabilities: [{ ...sewing, price: { amountMinor: 1.5, currency: 'CNY' } }], at })
        .thenThrows(field('capabilities.0.price.amountMinor'));
    });
    it('withdraws the shared capacity of a process it drops', () => {
      spec
        .given([registered, capable, declared])
        .when({ type: 'SetCapabilities', workshopId: id, capabilities: [cutting], at })
        .then([
          { type: 'WorkshopCapabilitiesChanged', data: { workshopId: id, capabilities: [cutting] } },
          { type: 'CapacityWithdrawn', data: { workshopId: id, process: 'sewing', from: '2030-03-01', until: '9999-12-31', reason: 'capability removed' } },
        ]);
    });
    it('refuses commands for a workshop that does not exist', () => {
      spec.given([]).when({ type: 'SetCapabilities', workshopId: id, capabilities: [], at }).thenThrows(NotFound);
    });
  });

  describe('profile', () => {
    it('updates the fields given and keeps the rest', () => {
      spec
        .given([registered])
        .when({ type: 'UpdateWorkshopProfile', workshopId: id, name: 'Ningbo Stitch Co.', at })
        .then([{ type: 'WorkshopProfileUpdated', data: { workshopId: id, name: 'Ningbo Stitch Co.', location, certifications: ['ISO9001'] } }]);
    });
    it('changes nothing when nothing differs', () => {
      spec.given([registered]).when({ type: 'UpdateWorkshopProfile', workshopId: id, name: 'Ningbo Stitch', certifications: ['ISO9001'], at }).thenNothing();
    });
  });

  describe('capacity', () => {
    const declare = { type: 'DeclareCapacity' as const, workshopId: id, process: 'sewing', hoursPerDay: 8, from: '2030-03-02', exceptions: [], at };
    it('declares hours per day for an offered process, exceptions sorted', () => {
      spec
        .given([registered, capable])
        .when({ ...declare, until: '2030-03-31', exceptions: [{ date: '2030-03-09', hours: 12 }, { date: '2030-03-03', hours: 0 }] })
        .then([
          {
            type: 'CapacityDeclared',
            data: { workshopId: id, process: 'sewing', hoursPerDay: 8, from: '2030-03-02', until: '2030-03-31', exceptions: [{ date: '2030-03-03', hours: 0 }, { date: '2030-03-09', hours: 12 }] },
          },
        ]);
    });
    it('refuses a process the workshop does not offer', () => {
      spec.given([registered, capable]).when({ ...declare, process: 'anodizing' }).thenThrows(code('process_not_offered'));
    });
    it('refuses past days, reversed periods, impossible dates and hours', () => {
      spec.given([registered, capable]).when({ ...declare, from: '2030-02-28' }).thenThrows(field('from'));
      spec.given([registered, capable]).when({ ...declare, until: '2030-03-01' }).thenThrows(field('until'));
      spec.given([registered, capable]).when({ ...declare, from: '2030-02-30' }).thenThrows(field('from'));
      spec.given([registered, capable]).when({ ...declare, hoursPerDay: 25 }).thenThrows(field('hoursPerDay'));
    });
    it('refuses exceptions outside the period or twice the same day', () => {
      spec.given([registered, capable]).when({ ...declare, until: '2030-03-10', exceptions: [{ date: '2030-03-11', hours: 2 }] }).thenThrows(field('exceptions.0.date'));
      spec
        .given([registered, capable])
        .when({ ...declare, exceptions: [{ date: '2030-03-05', hours: 2 }, { date: '2030-03-05', hours: 3 }] })
        .thenThrows(field('exceptions.1.date'));
    });
    it('withdraws shared capacity (matching re-plans what it reserved there)', () => {
      spec
        .given([registered, capable, declared])
        .when({ type: 'WithdrawCapacity', workshopId: id, process: 'sewing', from: '2030-03-05', until: '2030-03-06', at })
        .then([{ type: 'CapacityWithdrawn', data: { workshopId: id, process: 'sewing', from: '2030-03-05', until: '2030-03-06', reason: 'withdrawn by the workshop' } }]);
    });
    it('refuses to withdraw what was never shared', () => {
      spec.given([registered, capable]).when({ type: 'WithdrawCapacity', workshopId: id, process: 'sewing', from: '2030-03-05', until: '2030-03-06', at }).thenThrows(code('nothing_to_withdraw'));
    });
    it('computes the shared hours of a day from the latest rule covering it', () => {
      const rules = [
        { kind: 'declared' as const, process: 'sewing', hoursPerDay: 8, from: '2030-03-02', exceptions: [{ date: '2030-03-04', hours: 12 }] },
        { kind: 'withdrawn' as const, process: 'sewing', from: '2030-03-10', until: '2030-03-11' },
        { kind: 'declared' as const, process: 'sewing', hoursPerDay: 4, from: '2030-03-11', until: '2030-03-11', exceptions: [] },
      ];
      expect(sharedHoursOn(rules, 'sewing', '2030-03-01')).toBe(0);
      expect(sharedHoursOn(rules, 'sewing', '2030-03-03')).toBe(8);
      expect(sharedHoursOn(rules, 'sewing', '2030-03-04')).toBe(12);
      expect(sharedHoursOn(rules, 'sewing', '2030-03-10')).toBe(0);
      expect(sharedHoursOn(rules, 'sewing', '2030-03-11')).toBe(4);
      expect(sharedHoursOn(rules, 'sewing', '2030-03-12')).toBe(8);
      expect(sharedHoursOn(rules, 'cutting', '2030-03-03')).toBe(0);
    });
  });

  describe('suspension', () => {
    it('suspends with a reason, once', () => {
      spec.given([registered]).when({ type: 'SuspendWorkshop', workshopId: id, reason: 'fraud check', by: 'op-1', at }).then([suspended]);
      spec.given([registered, suspended]).when({ type: 'SuspendWorkshop', workshopId: id, reason: 'again', by: 'op-1', at }).thenThrows(code('workshop_already_suspended'));
      spec.given([registered]).when({ type: 'SuspendWorkshop', workshopId: id, reason: ' ', by: 'op-1', at }).thenThrows(field('reason'));
    });
    it('reinstates only a suspended workshop', () => {
      spec
        .given([registered, suspended])
        .when({ type: 'ReinstateWorkshop', workshopId: id, reason: 'cleared', by: 'op-2', at })
        .then([{ type: 'WorkshopReinstated', data: { workshopId: id, reason: 'cleared', reinstatedAt: at, reinstatedBy: 'op-2' } }]);
      spec.given([registered]).when({ type: 'ReinstateWorkshop', workshopId: id, reason: 'cleared', by: 'op-2', at }).thenThrows(code('workshop_not_suspended'));
    });
    it('refuses a new token while suspended, from anyone, and gives one again once reinstated', () => {
      const rotate = { type: 'RotateMemberToken' as const, memberId: id, token: { tokenId: 't-9', issuedAt: at, expiresAt: '2030-04-01T08:00:00.000Z' } };
      spec.given([registered, tokenIssued, suspended]).when(rotate).thenThrows(code('member_suspended'));
      const reinstated = { type: 'WorkshopReinstated' as const, data: { workshopId: id, reason: 'cleared', reinstatedAt: at, reinstatedBy: 'op-2' } };
      spec.given([registered, tokenIssued, suspended, reinstated]).when(rotate).then([
        { type: 'MemberTokenIssued', data: { memberId: id, role: 'workshop', tokenId: 't-9', issuedAt: at, expiresAt: '2030-04-01T08:00:00.000Z' } },
        { type: 'MemberTokenRevoked', data: { memberId: id, tokenId: 't-1', revokedAt: at, reason: 'rotated' } },
      ]);
    });
    it('takes an appeal from a suspended workshop only', () => {
      spec
        .given([registered, suspended])
        .when({ type: 'AppealSuspension', workshopId: id, reason: ' the defects were the brand’s material ', at })
        .then([{ type: 'WorkshopSuspensionAppealed', data: { workshopId: id, reason: 'the defects were the brand’s material', appealedAt: at } }]);
      spec.given([registered]).when({ type: 'AppealSuspension', workshopId: id, reason: 'x', at }).thenThrows(code('workshop_not_suspended'));
    });
  });

  describe('tokens', () => {
    const later = '2030-03-02T08:00:00.000Z';
    it('rotation issues a new token and revokes the active ones', () => {
      spec
        .given([registered, tokenIssued])
        .when({ type: 'RotateMemberToken', memberId: id, token: { tokenId: 't-2', issuedAt: later, expiresAt: '2030-04-01T08:00:00.000Z' } })
        .then([
          { type: 'MemberTokenIssued', data: { memberId: id, role: 'workshop', tokenId: 't-2', issuedAt: later, expiresAt: '2030-04-01T08:00:00.000Z' } },
          { type: 'MemberTokenRevoked', data: { memberId: id, tokenId: 't-1', revokedAt: later, reason: 'rotated' } },
        ]);
    });
    it('does not revoke expired tokens again on rotation', () => {
      spec
        .given([registered, tokenIssued])
        .when({ type: 'RotateMemberToken', memberId: id, token: { tokenId: 't-2', issuedAt: '2030-05-01T00:00:00.000Z', expiresAt: '2030-06-01T00:00:00.000Z' } })
        .then([{ type: 'MemberTokenIssued', data: { memberId: id, role: 'workshop', tokenId: 't-2', issuedAt: '2030-05-01T00:00:00.000Z', expiresAt: '2030-06-01T00:00:00.000Z' } }]);
    });
    it('revokes a token once; a repeat changes nothing; unknown tokens are not found', () => {
      const revoke = { type: 'RevokeMemberToken' as const, memberId: id, tokenId: 't-1', at: later };
      spec.given([registered, tokenIssued]).when(revoke).then([{ type: 'MemberTokenRevoked', data: { memberId: id, tokenId: 't-1', revokedAt: later, reason: 'revoked' } }]);
      spec.given([registered, tokenIssued, { type: 'MemberTokenRevoked', data: { memberId: id, tokenId: 't-1', revokedAt: later, reason: 'revoked' } }]).when(revoke).thenNothing();
      spec.given([registered, tokenIssued]).when({ ...revoke, tokenId: 'nope' }).thenThrows(NotFound);
    });
    it('refuses a rotation that reuses a token id', () => {
      spec.given([registered, tokenIssued]).when({ type: 'RotateMemberToken', memberId: id, token }).thenThrows(code('token_id_taken'));
    });
  });
});

describe('process catalogue', () => {
  it('measures edit distance', () => {
    expect(editDistance('sewing', 'sewing')).toBe(0);
    expect(editDistance('sewwing', 'sewing')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('suggests close matches, nearest first, and nothing for nonsense', () => {
    expect(closeProcessMatches('cnc-miling')).toEqual(['cnc-milling']);
    expect(closeProcessMatches('cnc')).toEqual(expect.arrayContaining(['cnc-milling', 'cnc-turning']));
    expect(closeProcessMatches('Injection Molding')).toEqual(['injection-molding']);
    expect(closeProcessMatches('quantum-entanglement')).toEqual([]);
  });
  it('knows real calendar dates', () => {
    expect(isCalendarDate('2030-02-28')).toBe(true);
    expect(isCalendarDate('2030-02-29')).toBe(false);
    expect(isCalendarDate('2030-2-1')).toBe(false);
  });
});

describe('lot price (both pricing models priced the same way)', () => {
  it('per unit: price × quantity', () => {
    expect(capabilityLotPrice(cutting, 200, 0.05)).toEqual({ amountMinor: 30_000, currency: 'CNY' });
  });
  it('per machine-hour: price × quantity × work content × efficiency, rounded half up', () => {
    // 200 units × 0.05 h × 1.2 = 12 shop hours × 40.00 CNY = 480.00 CNY
    expect(capabilityLotPrice(sewing, 200, 0.05)).toEqual({ amountMinor: 48_000, currency: 'CNY' });
    // 1 unit × 0.01 h × 1.2 × 4000 = 48 fen; 3 units × 0.0125 × 1 × 4000 = 150
    expect(capabilityLotPrice({ ...sewing, efficiency: 1 }, 3, 0.0125)).toEqual({ amountMinor: 150, currency: 'CNY' });
    expect(capabilityLotPrice({ ...sewing, price: { amountMinor: 1, currency: 'CNY' }, efficiency: 1 }, 1, 0.5)).toEqual({ amountMinor: 1, currency: 'CNY' });
  });
  it('equal prices when the per-unit price equals the hourly price × hours per unit', () => {
    const hourly = { ...sewing, efficiency: 1.5, price: { amountMinor: 6000, currency: 'CNY' as const } };
    const perUnit = { ...hourly, pricing: 'per_unit' as const, price: { amountMinor: 6000 * 0.2 * 1.5, currency: 'CNY' as const } };
    expect(capabilityLotPrice(hourly, 120, 0.2)).toEqual(capabilityLotPrice(perUnit, 120, 0.2));
  });
});
