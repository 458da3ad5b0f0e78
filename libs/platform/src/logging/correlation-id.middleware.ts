import { Injectable, type NestMiddleware } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORRELATION_HEADER, runWithCorrelation } from './correlation.js';

/** Letters, digits and `._:-`, at most 128: anything else is replaced, so logs stay clean. */
const ACCEPTABLE = /^[\w.:-]{1,128}$/;

/** Takes the caller's `x-correlation-id` (or makes one), echoes it and runs the request under it. */
@Injectable()
export class CorrelationIdMiddleware implements NestMiddleware {
  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const given = request.headers[CORRELATION_HEADER];
    const id = typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
    response.setHeader(CORRELATION_HEADER, id);
    runWithCorrelation(id, next);
  }
}
