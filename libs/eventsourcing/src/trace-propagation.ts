// W3C trace context across the event log: the one place where a `traceparent` is taken from the active
// span when events are appended, carried on Kafka headers, and continued when a consumer handles the
// event. With no OpenTelemetry SDK started (tracing off, the default) every function here is a no-op on
// the API's no-op tracer: nothing is stored, no header is added.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

/** The header (Kafka) and the events column (`trace_parent`) name: W3C Trace Context. */
export const TRACEPARENT = 'traceparent';

const tracer = () => trace.getTracer('meshfab');

/** The W3C traceparent of the active span, to store with the events appended now (undefined: tracing off or no span). */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier[TRACEPARENT];
}

/** Headers carrying an event's trace context on Kafka (none without one). */
export function traceHeaders(traceparent: string | undefined): Record<string, string> {
  return traceparent ? { [TRACEPARENT]: traceparent } : {};
}

/** The traceparent of a received Kafka message's headers. */
export function traceparentOfHeaders(headers: Record<string, unknown> | undefined): string | undefined {
  const value = headers?.[TRACEPARENT];
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : undefined;
  return text && text.length <= 128 ? text : undefined;
}

/**
 * Runs a consumer's handling of one event in a consumer span, a child of the span that appended the event
 * (its stored traceparent), so events appended by the handler continue the same trace.
 */
export async function consumeInTrace<T>(
  event: { type: string; eventId: string; streamId: string },
  consumer: string,
  traceparent: string | undefined,
  handle: () => Promise<T>,
): Promise<T> {
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { [TRACEPARENT]: traceparent }) : ROOT_CONTEXT;
  const attributes: Attributes = { 'meshfab.service': consumer, 'messaging.operation.type': 'process', 'messaging.message.id': event.eventId, 'meshfab.event.type': event.type, 'meshfab.stream.id': event.streamId };
  return tracer().startActiveSpan(`${consumer} handles ${event.type}`, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      return await handle();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
