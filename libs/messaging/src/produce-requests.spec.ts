import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { isMessageTooLarge, messageBytes, requestsOf } from './produce-requests.js';

const message = (n: number, bytes: number) => ({ key: `stream-${n}`, value: 'x'.repeat(bytes), headers: { eventId: `e${n}` } });

describe('produce requests', () => {
  it('counts a message as its key, value and headers plus their framing', () => {
    const m = message(1, 1000);
    expect(messageBytes(m)).toBeGreaterThan(1000 + 'stream-1'.length + 'eventId'.length + 'e1'.length);
    expect(messageBytes(m)).toBeLessThan(1100);
    expect(messageBytes({ key: null, value: Buffer.alloc(10), headers: { a: ['b', 'c'] } })).toBeGreaterThan(14);
    expect(messageBytes({ value: 'é' })).toBe(messageBytes({ value: 'ee' })); // UTF-8 bytes, not characters
  });

  it('cuts messages into requests under the limit, in order, each message once', () => {
    const messages = Array.from({ length: 10 }, (_, n) => message(n, 200)); // about 270 bytes each
    const requests = requestsOf(messages, 1000);
    expect(requests.flat()).toEqual(messages);
    expect(requests.map((r) => r.length)).toEqual([3, 3, 3, 1]);
    for (const request of requests) expect(request.reduce((sum, m) => sum + messageBytes(m), 0)).toBeLessThanOrEqual(1000);
  });

  it('sends a message larger than the limit alone, and nothing at all for no messages', () => {
    const requests = requestsOf([message(1, 10), message(2, 5000), message(3, 10)], 1000);
    expect(requests.map((r) => r.map((m) => m.key))).toEqual([['stream-1'], ['stream-2'], ['stream-3']]);
    expect(requestsOf([], 1000)).toEqual([]);
  });

  it('recognises the broker refusing a batch as too large, wrapped or not', () => {
    const tooLarge = new KafkaJSProtocolError({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'too large' } as never);
    expect(isMessageTooLarge(tooLarge)).toBe(true);
    // kafkajs's retrier wraps what it gives up on: `new KafkaJSNonRetriableError(e, { cause: e })`.
    expect(isMessageTooLarge(Object.assign(new KafkaJSNonRetriableError(tooLarge), { cause: tooLarge }))).toBe(true);
    expect(isMessageTooLarge(new KafkaJSProtocolError({ type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true, message: 'x' } as never))).toBe(false);
    expect(isMessageTooLarge(new Error('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(isMessageTooLarge(undefined)).toBe(false);
  });
});
