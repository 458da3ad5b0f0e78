/**
 * The envelope every event travels in — in an event store, on Kafka and through the embedded
 * transport alike. `type` is the past-tense PascalCase event name; `data` is the event's payload.
 */
export interface EventEnvelope<TData = Record<string, unknown>> {
  eventId: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  streamVersion: number;
  occurredAt: string;
  /** The order or request that started the chain of events. */
  correlationId: string;
  /** The event or command that caused this event. */
  causationId: string;
  data: TData;
}

export const MESHFAB_SERVICES = ['registry', 'orders', 'matching', 'inspection', 'settlement', 'notifications'] as const;
export type ServiceName = (typeof MESHFAB_SERVICES)[number];
