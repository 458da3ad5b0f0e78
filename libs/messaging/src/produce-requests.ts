import type { Message } from 'kafkajs';

/**
 * Default upper bound of one produce request of the outbox relay, in bytes of messages before
 * compression (MESHFAB_KAFKA_MAX_REQUEST_BYTES). The broker refuses a record batch larger than its
 * `message.max.bytes` (1 048 588 by default) with MESSAGE_TOO_LARGE; the relay keeps a whole request
 * under this bound, so each partition's batch in it is too, compressed or not.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;

/** What a record batch adds to its records: the batch header (61 bytes) and a margin. */
export const RECORD_BATCH_OVERHEAD_BYTES = 1024;

/** Framing of one record in a batch (length, attributes, timestamp and offset deltas, lengths), at most. */
const RECORD_OVERHEAD_BYTES = 40;
const HEADER_OVERHEAD_BYTES = 10;

const byteLength = (value: Message['key'] | Message['value'] | undefined): number =>
  value === null || value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;

/** The bytes one message takes in a record batch before compression (an upper bound). */
export function messageBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + byteLength(v);
  }
  return bytes;
}

/**
 * Cuts `messages` into consecutive requests (order kept) of at most `maxBytes` each; a message
 * larger than `maxBytes` on its own travels alone.
 */
export function requestsOf<M extends Message>(messages: readonly M[], maxBytes: number): M[][] {
  const requests: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (current.length > 0 && bytes + size > maxBytes) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** Whether the broker refused a produce request because a record batch in it was too large. */
export function isMessageTooLarge(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as { type?: unknown; originalError?: unknown; cause?: unknown };
    if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE') return true;
    current = e.originalError ?? e.cause;
  }
  return false;
}
