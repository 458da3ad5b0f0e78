import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { throwError, type Observable } from 'rxjs';
import { PINO_LOGGER } from '../logging/logger.js';
import { toErrorResponse } from './error-response.js';

/**
 * Answers every failed HTTP request with `{ error, message, details? }` (see toErrorResponse) and
 * logs it: 5xx at error level with the stack, which is never sent. Errors of other transports
 * (Kafka handlers) are passed back to the transport unchanged, so it can retry or dead-letter them.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | undefined {
    if (host.getType() !== 'http') return throwError(() => exception);
    const http = host.switchToHttp();
    const request = http.getRequest<IncomingMessage>();
    const response = http.getResponse<ServerResponse>();
    const { status, body, headers } = toErrorResponse(exception);

    const fields = { method: request.method, url: request.url, status, error: body.error };
    // An unavailable dependency is an outage to see, not a bug to debug: one warning line, no stack.
    if (body.error === 'dependency_unavailable') this.logger.warn({ ...fields, cause: exception instanceof Error ? exception.message : String(exception) }, 'request refused: a dependency is unavailable');
    else if (status >= 500) this.logger.error({ ...fields, err: exception }, 'request failed');
    else this.logger.debug(fields, 'request refused');

    const adapter = this.adapterHost.httpAdapter;
    if (response.headersSent) {
      response.end();
      return undefined;
    }
    for (const [name, value] of Object.entries(headers ?? {})) adapter.setHeader(response, name, value);
    if (status === 401) {
      // RFC 6750: a request without a token gets no error code, a bad token gets invalid_token.
      const challenge = body.error === 'missing_token' ? '' : `, error="invalid_token", error_description="${body.error}"`;
      adapter.setHeader(response, 'WWW-Authenticate', `Bearer realm="meshfab"${challenge}`);
    }
    adapter.reply(response, body, status);
    return undefined;
  }
}
