import type { EventEnvelope } from '#libs/contracts';

/** A position in a service's global event order: (transaction id, sequence number). */
export interface GlobalPosition {
  /** The writer's PostgreSQL 64-bit transaction id (xid8) plus the log clock's shift (see event-log-clock.ts), as a decimal string. */
  transactionId: string;
  position: string;
}

export const START_OF_LOG: GlobalPosition = { transactionId: '0', position: '0' };

/** An event as stored: the envelope plus its place in the service's global order. */
export interface StoredEvent<TData = Record<string, unknown>> extends EventEnvelope<TData> {
  globalPosition: GlobalPosition;
  /** The W3C trace context of the span that appended it (tracing on only; see trace-propagation.ts). Not part of the envelope. */
  traceparent?: string;
}

/** Metadata every append carries: what started the chain and what caused these events. */
export interface EventMetadata {
  correlationId: string;
  causationId: string;
}

/** Decimal strings of non-negative integers, compared as numbers (no leading zeros: shorter is smaller). */
const compareDecimal = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** Negative, zero or positive as `a` is before, at or after `b` in the global order. */
export const compareGlobalPositions = (a: GlobalPosition, b: GlobalPosition): number =>
  compareDecimal(a.transactionId, b.transactionId) || compareDecimal(a.position, b.position);

export const isAfter = (a: GlobalPosition, b: GlobalPosition): boolean => {
  const ta = BigInt(a.transactionId);
  const tb = BigInt(b.transactionId);
  return ta !== tb ? ta > tb : BigInt(a.position) > BigInt(b.position);
};
