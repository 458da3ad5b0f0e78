import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { currentCorrelationId } from './correlation.js';
import { PINO_LOGGER } from './logger.js';

/** One JSON line per finished request: method, path (without the query), status and duration. */
@Injectable()
export class RequestLogMiddleware implements NestMiddleware {
  constructor(@Inject(PINO_LOGGER) private readonly logger: Logger) {}

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const started = performance.now();
    const correlationId = currentCorrelationId();
    response.once('finish', () => {
      this.logger.info(
        {
          correlationId,
          method: request.method,
          path: request.url?.split('?')[0],
          status: response.statusCode,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        },
        'request served',
      );
    });
    next();
  }
}
