import { timingSafeEqual } from 'node:crypto';

/** True when `token` is the configured static operator token; compared in constant time. */
export function isOperatorToken(expected: string | undefined, token: string): boolean {
  if (!expected) return false;
  const a = Buffer.from(token);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
