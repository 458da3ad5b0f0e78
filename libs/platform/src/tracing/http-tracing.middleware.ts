import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

interface RoutedRequest extends IncomingMessage {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

/**
 * A server span per HTTP request, continuing the caller's W3C `traceparent` header when it sends one;
 * the request is handled inside it, so the events it appends carry its trace context. A no-op span when
 * tracing is off. `meshfab.service` names the service the path is for (`/orders/…` → orders).
 */
@Injectable()
export class HttpTracingMiddleware implements NestMiddleware {
  use(request: RoutedRequest, response: ServerResponse, next: () => void): void {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const path = (request.originalUrl ?? request.url ?? '/').split('?')[0];
    const service = path.split('/')[1] || 'root';
    const span = trace.getTracer('meshfab').startSpan(
      `${request.method ?? 'HTTP'} /${service}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method ?? '', 'url.path': path, 'meshfab.service': service } },
      parent,
    );
    response.once('finish', () => {
      const route = request.route?.path;
      if (typeof route === 'string') span.setAttribute('http.route', `${request.baseUrl ?? ''}${route}`);
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  }
}
