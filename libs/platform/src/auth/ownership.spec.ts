import { DomainError, NotFound } from '#libs/domain';
import { assertOwnership, canSee } from './ownership.js';
import type { Principal } from './principal.js';

const brand: Principal = { sub: 'brand-1', role: 'brand', tokenId: 't1' };
const otherBrand: Principal = { sub: 'brand-2', role: 'brand', tokenId: 't2' };
const operator: Principal = { sub: 'op-1', role: 'operator', tokenId: 't3' };
const workshop: Principal = { sub: 'brand-1-not', role: 'workshop', tokenId: 't4' };

describe('ownership', () => {
  it('lets the owner and operators see, and no one else', () => {
    expect(canSee(brand, 'brand-1')).toBe(true);
    expect(canSee(operator, 'brand-1')).toBe(true);
    expect(canSee(otherBrand, 'brand-1')).toBe(false);
    expect(canSee(workshop, 'brand-1')).toBe(false);
  });

  it('passes the owner and operators', () => {
    expect(() => assertOwnership(brand, 'brand-1', 'order')).not.toThrow();
    expect(() => assertOwnership(operator, 'brand-1', 'order')).not.toThrow();
  });

  it('answers anyone else as if the resource did not exist', () => {
    let thrown: unknown;
    try {
      assertOwnership(otherBrand, 'brand-1', 'order');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ kind: 'not_found', code: 'order_not_found' });
  });

  it('with an id, throws exactly what a missing resource throws', () => {
    const missing = new NotFound('order', 'o-9');
    let thrown: unknown;
    try {
      assertOwnership(otherBrand, 'brand-1', 'order', 'o-9');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NotFound);
    expect(thrown).toMatchObject({ code: missing.code, message: missing.message, kind: 'not_found', details: missing.details });
  });
});
