import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Where traces go: OTLP over HTTP (protobuf-free JSON is not needed: the exporter's default). */
export interface TracingSettings {
  /** OTLP/HTTP traces URL (…/v1/traces). */
  tracesUrl: string;
  serviceName: string;
  /** Longest a finished span waits before it is exported (default 1000 ms). */
  exportDelayMs?: number;
}

/**
 * Tracing is off unless configured: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL),
 * OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL; `/v1/traces` is appended), or MESHFAB_TRACING=true
 * (the collector on http://localhost:4318). OTEL_SERVICE_NAME names the process (default `meshfab-<host name>`);
 * MESHFAB_TRACING=false turns it off whatever else is set.
 */
export function tracingSettingsOf(env: Record<string, string | undefined>, hostName: string): TracingSettings | undefined {
  const flag = env.MESHFAB_TRACING?.toLowerCase();
  if (flag === 'false' || flag === '0') return undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base}/v1/traces` : flag === 'true' || flag === '1' ? 'http://localhost:4318/v1/traces' : undefined);
  if (!tracesUrl) return undefined;
  return { tracesUrl, serviceName: env.OTEL_SERVICE_NAME ?? `meshfab-${hostName}` };
}

export interface Tracing {
  /** Exports what is pending and, when the last host of the process stops, shuts the SDK down. */
  stop(): Promise<void>;
}

/** The process's tracer provider: the OpenTelemetry API has one global; hosts of one process (tests) share it. */
let active: { provider: NodeTracerProvider; users: number } | undefined;

/**
 * Starts the OpenTelemetry SDK (once per process): a batching OTLP/HTTP exporter, the W3C trace-context
 * propagator and the AsyncLocalStorage context manager. Spans are made by the HTTP middleware
 * (HttpTracingMiddleware) and by the event consumers (trace-propagation.ts in libs/eventsourcing).
 */
export function startTracing(settings: TracingSettings): Tracing {
  if (!active) {
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }), { scheduledDelayMillis: settings.exportDelayMs ?? 1000 })],
    });
    provider.register({ propagator: new W3CTraceContextPropagator() });
    active = { provider, users: 0 };
  }
  const mine = active;
  mine.users += 1;
  let stopped = false;
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      mine.users -= 1;
      await mine.provider.forceFlush().catch(() => undefined);
      if (mine.users > 0 || active !== mine) return;
      active = undefined;
      await mine.provider.shutdown().catch(() => undefined);
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
