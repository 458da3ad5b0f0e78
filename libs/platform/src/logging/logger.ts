import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/platform.config.js';
import { currentCorrelationId } from './correlation.js';
import { prettyDestination } from './pretty.js';

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

/**
 * JSON lines on stdout (or `destination`), each with the service and the current correlation id; secrets
 * redacted. On a terminal (stdout a TTY, LOG_FORMAT unset or `pretty`) the same entries as readable lines;
 * LOG_FORMAT=json forces JSON.
 */
export function createLogger({ serviceName, level }: LoggerOptions, destination?: DestinationStream, env: NodeJS.ProcessEnv = process.env): Logger {
  destination ??= wantsPretty(env, process.stdout.isTTY) ? prettyDestination(process.stdout, !env.NO_COLOR) : undefined;
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

/** Readable lines when asked (LOG_FORMAT=pretty) or on a terminal unless JSON is asked for (LOG_FORMAT=json). */
export function wantsPretty(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean {
  if (env.LOG_FORMAT === 'json') return false;
  if (env.LOG_FORMAT === 'pretty') return true;
  return isTTY === true;
}
