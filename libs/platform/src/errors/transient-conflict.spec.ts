import { ConcurrencyError } from '#libs/eventsourcing';
import { toErrorResponse } from './error-response.js';
import { isTransientConflict } from './transient-conflict.js';

describe('transient conflicts', () => {
  it('counts a deadlock and the event store refusing a late writer as transient, not a version conflict', () => {
    expect(isTransientConflict({ code: '40P01' })).toBe(true);
    expect(isTransientConflict(new ConcurrencyError('order-1', undefined, 2, 'a younger transaction appended', true))).toBe(true);
    expect(isTransientConflict(new ConcurrencyError('order-1', 1, 2))).toBe(false);
  });

  it('answers a late writer that lost every retry with 503 busy and Retry-After, a version conflict with 409', () => {
    const late = toErrorResponse(new ConcurrencyError('order-1', undefined, 2, 'a younger transaction appended', true));
    expect(late).toMatchObject({ status: 503, body: { error: 'busy' }, headers: { 'Retry-After': '1' } });
    expect(toErrorResponse(new ConcurrencyError('order-1', 1, 2))).toMatchObject({ status: 409, body: { error: 'concurrency_conflict' } });
  });
});
