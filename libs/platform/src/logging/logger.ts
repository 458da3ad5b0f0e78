import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/platform.config.js';
import { currentCorrelationId } from './correlation.js';

/** Injection token of the app's pino logger. */
export const PINO_LOGGER = Symbol('PINO_LOGGER');

export interface LoggerOptions {
  serviceName: string;
  level: LogLevel;
}

/** JSON lines on stdout (or `destination`), each with the service and the current correlation id. */
export function createLogger({ serviceName, level }: LoggerOptions, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
