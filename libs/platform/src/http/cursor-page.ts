import { ValidationFailed } from '#libs/domain';

/**
 * Cursor pagination (issue 18): a list is read in a stable order (a sort key, then the id), a page is
 * `limit` items plus whether more follow, and `nextCursor` is an opaque token of the last item's key:
 * the next page starts strictly after it, so items added or removed meanwhile never shift a page.
 * Keys that are timestamps travel as PostgreSQL's own text of them (microseconds kept).
 */
export interface CursorPage<T> {
  items: T[];
  hasMore: boolean;
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 500;

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** PostgreSQL's text of a timestamptz (what a timestamp key holds). */
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/**
 * The key a cursor holds (one string per part; `timestamp` parts must be PostgreSQL timestamps), or
 * undefined without a cursor; 400 naming `cursor` when it is not one this list gave.
 */
export function decodeCursor(cursor: string | undefined, parts: readonly ('timestamp' | 'id')[]): string[] | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid =
    Array.isArray(key) &&
    key.length === parts.length &&
    key.every((k, i) => typeof k === 'string' && k.length <= 200 && (parts[i] !== 'timestamp' || PG_TIMESTAMP.test(k)));
  if (!valid) {
    throw new ValidationFailed('cursor', 'is not a cursor this list gave (pass nextCursor from the previous page as is)');
  }
  return key as string[];
}

/** `limit` from the query: default `fallback` (DEFAULT_PAGE_LIMIT), 1..max, else 400 naming it. */
export function pageLimit(raw: string | number | undefined, max = MAX_PAGE_LIMIT, fallback = DEFAULT_PAGE_LIMIT): number {
  if (raw === undefined || raw === '') return Math.min(fallback, max);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ValidationFailed('limit', `must be a whole number from 1 to ${max}`);
  return n;
}

/** The page of `rows` (read with `limit + 1` to know whether more follow), its items mapped by `view`. */
export function toCursorPage<R, T>(rows: readonly R[], limit: number, keyOf: (row: R) => string[], view: (row: R) => T): CursorPage<T> {
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  return { items: page.map(view), hasMore, nextCursor: hasMore && page.length > 0 ? encodeCursor(keyOf(page[page.length - 1])) : null };
}
