import { DomainError } from '#libs/domain';
import { assertEventSize, eventBytes, EventTooLarge, MAX_EVENT_BYTES } from './event-size.js';

const metadata = { correlationId: 'order-1', causationId: 'command-1' };

describe('event size', () => {
  it('weighs an event as the UTF-8 bytes of its type, data as JSON, stream and metadata ids', () => {
    const event = { type: 'OrderSubmitted', data: { note: 'é' } };
    expect(eventBytes(event, 'order-1', metadata)).toBe('OrderSubmitted'.length + '{"note":"é"}'.length + 1 + 'order-1'.length + 'order-1'.length + 'command-1'.length);
  });

  it('accepts an event of exactly the limit and refuses one byte more, naming the limit', () => {
    const overhead = eventBytes({ type: 'T', data: { s: '' } }, 's', metadata);
    const atLimit = { type: 'T', data: { s: 'x'.repeat(MAX_EVENT_BYTES - overhead) } };
    expect(() => assertEventSize(atLimit, 's', metadata)).not.toThrow();
    const over = { type: 'T', data: { s: 'x'.repeat(MAX_EVENT_BYTES - overhead + 1) } };
    const refusal = (() => {
      try {
        assertEventSize(over, 's', metadata);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(EventTooLarge);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'event_too_large', kind: 'rejected', details: { type: 'T', bytes: MAX_EVENT_BYTES + 1, limit: MAX_EVENT_BYTES } });
    expect((refusal as Error).message).toContain(`${MAX_EVENT_BYTES} bytes`);
  });

  it('counts multi-byte characters as the bytes they take', () => {
    const overhead = eventBytes({ type: 'T', data: { s: '' } }, 's', metadata);
    const chars = Math.floor((MAX_EVENT_BYTES - overhead) / 3) + 1; // fits in characters, not in bytes
    expect(() => assertEventSize({ type: 'T', data: { s: '€'.repeat(chars) } }, 's', metadata)).toThrow(EventTooLarge);
  });
});
