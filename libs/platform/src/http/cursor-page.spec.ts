import { decodeCursor, encodeCursor, pageLimit, toCursorPage } from './cursor-page.js';

describe('cursor pages', () => {
  it('gives back the key a cursor was made of', () => {
    const key = ['2026-12-06 16:05:00.123456+00', 'st-1'];
    expect(decodeCursor(encodeCursor(key), ['timestamp', 'id'])).toEqual(key);
    expect(decodeCursor(undefined, ['id'])).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', 'nope!'],
    ['a key of the wrong length', encodeCursor(['a'])],
    ['a timestamp part that is not one (it would reach SQL)', encodeCursor(["x'; DROP TABLE t; --", 'st-1'])],
    ['a number instead of strings', Buffer.from('[1,2]').toString('base64url')],
  ])('refuses %s with a 400 naming cursor', (_what, cursor) => {
    expect(() => decodeCursor(cursor, ['timestamp', 'id'])).toThrow(expect.objectContaining({ code: 'validation_failed', details: expect.objectContaining({ field: 'cursor' }) }));
  });

  it('pages rows read one past the limit: hasMore and the last item’s cursor', () => {
    const rows = [{ k: 'a' }, { k: 'b' }, { k: 'c' }];
    const page = toCursorPage(rows, 2, (r) => [r.k], (r) => r.k.toUpperCase());
    expect(page).toEqual({ items: ['A', 'B'], hasMore: true, nextCursor: encodeCursor(['b']) });
    expect(toCursorPage(rows.slice(0, 2), 2, (r) => [r.k], (r) => r.k)).toEqual({ items: ['a', 'b'], hasMore: false, nextCursor: null });
  });

  it('takes a limit from 1 to the maximum, 100 by default', () => {
    expect(pageLimit(undefined)).toBe(100);
    expect(pageLimit('7')).toBe(7);
    expect(() => pageLimit('0')).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'limit' }) }));
    expect(() => pageLimit('1001', 1000)).toThrow();
  });
});
