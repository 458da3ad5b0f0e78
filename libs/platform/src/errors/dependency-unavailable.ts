/** How long a client is asked to wait before retrying a request refused for an unavailable dependency. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** The dependencies whose outage makes a service refuse requests with 503. */
export type Dependency = 'PostgreSQL' | 'Kafka';

/**
 * A request cannot be served because a dependency is down or does not answer: answered 503
 * `{ error: 'dependency_unavailable', message }` with a Retry-After header, so a client backs off and
 * retries instead of waiting on a connection that hangs.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';

  constructor(
    /** `PostgreSQL`, `Kafka`, or the name of the failing readiness check. */
    readonly dependency: Dependency | (string & {}),
    /** What a person reads: no host names, ports or driver messages. */
    readonly reason: string,
    readonly retryAfterSeconds: number = DEFAULT_RETRY_AFTER_SECONDS,
  ) {
    super(`${dependency} ${reason}; try again in a few seconds`);
  }
}

// Socket errors. Inside an HTTP request the only peer a Meshfab service opens connections to is its
// PostgreSQL (events go to Kafka from the outbox relay, outside requests), so they name PostgreSQL.
const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'refused the connection',
  ECONNRESET: 'closed the connection',
  EPIPE: 'closed the connection',
  ETIMEDOUT: 'did not answer in time',
  EHOSTUNREACH: 'cannot be reached',
  ENETUNREACH: 'cannot be reached',
  EAI_AGAIN: 'cannot be reached',
};

// What node-postgres (pg, pg-pool) says when a connection cannot be had or dies; matched exactly, so
// an application error that merely mentions a connection is not mistaken for one.
const PG_MESSAGES: [RegExp, string][] = [
  [/^timeout exceeded when trying to connect$/, 'did not answer in time'],
  [/^Connection terminated due to connection timeout$/, 'did not answer in time'],
  [/^Query read timeout$/, 'did not answer in time'],
  [/^Connection terminated( unexpectedly)?$/, 'closed the connection'],
  [/^Client has encountered a connection error and is not queryable$/, 'closed the connection'],
  [/^Client was closed and is not queryable$/, 'closed the connection'],
];

/** SQLSTATEs of a server that is going away, refusing connections, or cancelled a statement on timeout. */
function reasonOfSqlState(code: string): string | undefined {
  if (code.startsWith('08')) return 'closed the connection'; // connection_exception
  if (code === '57P01' || code === '57P02' || code === '57P03') return 'is shutting down or starting up';
  if (code === '53300') return 'has no free connections';
  if (code === '57014') return 'did not answer in time'; // query_canceled: statement_timeout
  return undefined;
}

/**
 * Whether `error` (or what it wraps: TypeORM's `driverError`, a `cause`, an AggregateError's
 * errors) says a dependency is unreachable, rather than that the request or the code is wrong.
 */
export function dependencyFailureOf(error: unknown, depth = 0): DependencyUnavailableError | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  if (error instanceof DependencyUnavailableError) return error;
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
  if (typeof name === 'string' && name.startsWith('KafkaJS')) return new DependencyUnavailableError('Kafka', 'cannot be reached');
  if (typeof code === 'string') {
    const reason = SOCKET_REASONS[code] ?? (/^[0-9A-Z]{5}$/.test(code) ? reasonOfSqlState(code) : undefined);
    if (reason) return new DependencyUnavailableError('PostgreSQL', reason);
  }
  if (typeof message === 'string') {
    const match = PG_MESSAGES.find(([pattern]) => pattern.test(message));
    if (match) return new DependencyUnavailableError('PostgreSQL', match[1]);
  }
  const { driverError, cause, errors } = error as { driverError?: unknown; cause?: unknown; errors?: unknown };
  for (const inner of [driverError, cause, ...(Array.isArray(errors) ? (errors as unknown[]) : [])]) {
    const found = dependencyFailureOf(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
