import { DomainError } from '#libs/domain';

/**
 * The largest event a service accepts: 512 KiB (524 288 bytes), counted as the UTF-8 bytes of its
 * `type`, its `data` as JSON, its stream id and its correlation and causation ids — about what the
 * event weighs on Kafka, where the relay adds an envelope of a few hundred bytes.
 *
 * Why this number: every event must fit in one Kafka record batch, whose limit is the broker's
 * `message.max.bytes` (1 MB by default); the relay's produce requests are sized below
 * MESHFAB_KAFKA_MAX_REQUEST_BYTES (default 1 000 000), which must leave room for one such event. The
 * largest order the orders API validates with ASCII parameters (50 steps × 4 096 characters of
 * parameters, plus dependencies and design files) is about 300 KB at most; an order whose parameters are
 * mostly multi-byte characters may weigh up to three times as much, and is refused here.
 * Documented in README.md ("Configuration").
 */
export const MAX_EVENT_BYTES = 512 * 1024;

/** Room the relay's envelope and headers need around the largest event (ids, timestamps, JSON keys). */
export const EVENT_ENVELOPE_ALLOWANCE_BYTES = 16 * 1024;

/** An event larger than MAX_EVENT_BYTES: the request that led to it is refused (422), nothing is stored. */
export class EventTooLarge extends DomainError {
  constructor(type: string, bytes: number, limit: number) {
    super(
      'event_too_large',
      `the ${type} event this request would record is ${bytes} bytes, more than the ${limit} bytes an event may have; send less data (smaller parameters, fewer steps)`,
      'rejected',
      { type, bytes, limit },
    );
  }
}

export interface SizedEvent {
  type: string;
  data: unknown;
}

/** The weight of an event as MAX_EVENT_BYTES counts it. */
export function eventBytes(event: SizedEvent, streamId: string, metadata: { correlationId: string; causationId: string }): number {
  return (
    Buffer.byteLength(event.type) +
    Buffer.byteLength(JSON.stringify(event.data) ?? '') +
    Buffer.byteLength(streamId) +
    Buffer.byteLength(metadata.correlationId) +
    Buffer.byteLength(metadata.causationId)
  );
}

/** Refuses (EventTooLarge) an event heavier than `limit`; called for every event before an append. */
export function assertEventSize(
  event: SizedEvent,
  streamId: string,
  metadata: { correlationId: string; causationId: string },
  limit: number = MAX_EVENT_BYTES,
): void {
  const bytes = eventBytes(event, streamId, metadata);
  if (bytes > limit) throw new EventTooLarge(event.type, bytes, limit);
}
