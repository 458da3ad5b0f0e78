import type { ServerResponse } from 'node:http';
import { ValidationFailed } from '#libs/domain';

/** The `Idempotency-Key` header every money-moving POST requires: trimmed, 1 to 200 characters. */
export function idempotencyKey(value: string | undefined): string {
  const key = value?.trim();
  if (!key) throw new ValidationFailed('Idempotency-Key', 'header is required on money-moving requests (a unique id per intended operation)');
  if (key.length > 200) throw new ValidationFailed('Idempotency-Key', 'must be at most 200 characters');
  return key;
}

/** Marks an answer replayed from an earlier request with the same key. */
export function markReplay(res: ServerResponse, replayed: boolean): void {
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
}
