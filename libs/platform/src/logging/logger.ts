import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/platform.config.js';
import { currentCorrelationId } from './correlation.js';

/** Injection token of the app's pino logger. */
export const PINO_LOGGER = Symbol('PINO_LOGGER');

export interface LoggerOptions {
  serviceName: string;
  level: LogLevel;
}

/**
 * Fields never written, wherever a logged object carries them (one level deep): credentials, and the
 * configuration values that hold them. pino replaces them with `[redacted]`.
 */
export const REDACTED_FIELDS = ['authorization', 'cookie', 'token', 'password', 'secret', 'jwtSecret', 'databaseUrl', 'operatorToken', 'MESHFAB_JWT_SECRET', 'MESHFAB_OPERATOR_TOKEN', 'DATABASE_URL'];

const REDACT_PATHS = [...REDACTED_FIELDS, ...REDACTED_FIELDS.map((field) => `*.${field}`), 'req.headers.authorization', 'request.headers.authorization'];

/**
 * A query string may carry anything a client put there (tokens included), so a logged `url` keeps its
 * path only; the request log already logs `path` without the query.
 */
function withoutQuery(object: Record<string, unknown>): Record<string, unknown> {
  const { url } = object;
  if (typeof url !== 'string' || !url.includes('?')) return object;
  return { ...object, url: `${url.slice(0, url.indexOf('?'))}?[redacted]` };
}

/** JSON lines on stdout (or `destination`), each with the service and the current correlation id; secrets redacted. */
export function createLogger({ serviceName, level }: LoggerOptions, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }), log: withoutQuery },
    mixin: () => {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
