/** PostgreSQL aborted the transaction to break a deadlock (40P01) or a serialization conflict (40001). */
const TRANSIENT_SQLSTATES = new Set(['40P01', '40001']);

/**
 * Whether `error` is PostgreSQL choosing this transaction as the victim of a deadlock or a
 * serialization conflict with another one (two planners booking the same workshops' days, say): the
 * transaction was rolled back whole, and running it again is the remedy — the request was not wrong.
 */
export function isTransientConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // The event store's refusal of a late writer (ConcurrencyError with `transient`): run it again, too.
  if ((error as { transient?: unknown }).transient === true) return true;
  const code = (error as { driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' && TRANSIENT_SQLSTATES.has(code);
}

/** How long a client is asked to wait after a request lost to conflicting transactions every time. */
export const TRANSIENT_CONFLICT_RETRY_AFTER_SECONDS = 1;
