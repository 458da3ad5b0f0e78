import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Histogram } from 'prom-client';
import { MetricsService } from './metrics.service.js';

/** Express sets `route` (the matched pattern) and `baseUrl` on the request it routes. */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/**
 * Times every HTTP request into `http_request_duration_seconds{method,route,status_code}`. The
 * route is the matched pattern (`/orders/:id`), or `unmatched`, so ids never become labels.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(metrics: MetricsService) {
    this.duration = metrics.histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration of HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  use(request: RoutedRequest, response: ServerResponse, next: () => void): void {
    const stop = this.duration.startTimer();
    response.once('finish', () => {
      stop({ method: request.method ?? 'UNKNOWN', route: routeOf(request), status_code: String(response.statusCode) });
    });
    next();
  }
}

function routeOf(request: RoutedRequest): string {
  const path = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` : 'unmatched';
}
