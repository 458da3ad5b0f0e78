import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { DomainError, type DomainErrorKind } from '#libs/domain';
import { dependencyFailureOf } from './dependency-unavailable.js';
import { isTransientConflict, TRANSIENT_CONFLICT_RETRY_AFTER_SECONDS } from './transient-conflict.js';

/** The body of every error answer: a machine-readable code and a message a person understands. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Headers sent with the answer (Retry-After on a 503). */
  headers?: Record<string, string>;
}

export const INTERNAL_ERROR_MESSAGE = 'something went wrong on our side; it has been logged';

export function statusOfKind(kind: DomainErrorKind): number {
  switch (kind) {
    case 'invalid':
      return HttpStatus.BAD_REQUEST;
    case 'unauthorized':
      return HttpStatus.UNAUTHORIZED;
    case 'forbidden':
      return HttpStatus.FORBIDDEN;
    case 'not_found':
      return HttpStatus.NOT_FOUND;
    case 'conflict':
      return HttpStatus.CONFLICT;
    case 'rejected':
      return HttpStatus.UNPROCESSABLE_ENTITY;
  }
}

/** Maps anything thrown while serving a request to the status and body sent back. */
export function toErrorResponse(exception: unknown): ErrorResponse {
  if (exception instanceof DomainError) {
    const body: ErrorBody = { error: exception.code, message: exception.message };
    if (exception.details) body.details = exception.details;
    return { status: statusOfKind(exception.kind), body };
  }
  // Lost to concurrent transactions on every try (TransientConflictRetryInterceptor): nothing was kept.
  if (isTransientConflict(exception)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: 'busy', message: 'the change collided with concurrent ones and was not made; try again in a moment' },
      headers: { 'Retry-After': String(TRANSIENT_CONFLICT_RETRY_AFTER_SECONDS) },
    };
  }
  if (isNamed(exception, 'ConcurrencyError')) {
    return {
      status: HttpStatus.CONFLICT,
      body: { error: 'concurrency_conflict', message: 'someone else changed this at the same time; reload it and try again' },
    };
  }
  // A database or broker that is down or silent: 503 with Retry-After, so clients back off and retry.
  const unavailable = dependencyFailureOf(exception);
  if (unavailable) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: 'dependency_unavailable', message: unavailable.message, details: { dependency: unavailable.dependency } },
      headers: { 'Retry-After': String(unavailable.retryAfterSeconds) },
    };
  }
  if (exception instanceof HttpException) return fromHttpException(exception);
  const bodyParserError = fromBodyParser(exception);
  if (bodyParserError) return bodyParserError;
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { error: 'internal_error', message: INTERNAL_ERROR_MESSAGE } };
}

/** Writes an error answer straight to the response: for middleware, which answers before Nest's filter could. */
export function sendErrorResponse(response: ServerResponse, { status, body, headers }: ErrorResponse): void {
  response.statusCode = status;
  for (const [name, value] of Object.entries(headers ?? {})) response.setHeader(name, value);
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

function fromHttpException(exception: HttpException): ErrorResponse {
  const fromCause = fromBodyParser(exception.cause);
  if (fromCause) return fromCause;
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (isErrorBody(response)) return { status, body: response };
  if (status >= 500) return { status, body: { error: codeOfStatus(status), message: INTERNAL_ERROR_MESSAGE } };
  return { status, body: { error: codeOfStatus(status), message: messageOf(response, status) } };
}

/** body-parser's http-errors (`type`, `status`, `expose`): what went wrong with the request body. */
function fromBodyParser(error: unknown): ErrorResponse | undefined {
  if (!isHttpError(error) || error.status >= 500) return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return { status: HttpStatus.BAD_REQUEST, body: { error: 'malformed_json', message: 'the request body is not valid JSON' } };
    case 'entity.too.large':
      return { status: error.status, body: { error: 'payload_too_large', message: 'the request body is too large' } };
    default:
      return { status: error.status, body: { error: codeOfStatus(error.status), message: STATUS_CODES[error.status] ?? 'bad request' } };
  }
}

function isHttpError(error: unknown): error is { type: string; status: number; expose: boolean } {
  return typeof error === 'object' && error !== null && 'type' in error && typeof error.type === 'string' &&
    'status' in error && typeof error.status === 'number' && 'expose' in error && typeof error.expose === 'boolean';
}

function isErrorBody(response: unknown): response is ErrorBody {
  return typeof response === 'object' && response !== null && 'error' in response && 'message' in response &&
    typeof response.error === 'string' && typeof response.message === 'string' && /^[a-z][a-z0-9_]*$/.test(response.error);
}

function messageOf(response: string | object, status: number): string {
  if (typeof response === 'string') return response;
  if ('message' in response) {
    const { message } = response;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
  }
  return STATUS_CODES[status] ?? 'request failed';
}

/** 404 → not_found, 413 → payload_too_large; unknown statuses → http_<status>. */
export function codeOfStatus(status: number): string {
  const text = STATUS_CODES[status];
  return text ? text.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') : `http_${status}`;
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && 'name' in error && error.name === name;
}
