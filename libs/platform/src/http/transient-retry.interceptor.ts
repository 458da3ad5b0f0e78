import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, retry, throwError, timer } from 'rxjs';
import { isTransientConflict } from '../errors/transient-conflict.js';

/** Times a request is served again after PostgreSQL aborted its transaction as a deadlock's victim. */
export const TRANSIENT_CONFLICT_RETRIES = 4;

/**
 * Serves a request again when PostgreSQL rolled its transaction back to break a deadlock or a
 * serialization conflict with a concurrent one (a workshop declining an offer while another planner
 * books the same shops' days): nothing of the first try was kept, so the handler runs again from the
 * start, after a short random pause so the two do not meet again. Each command runs in one
 * transaction, which is what makes this safe. Still losing after the retries, the request is answered
 * 503 with Retry-After (see toErrorResponse), never a 500.
 */
@Injectable()
export class TransientConflictRetryInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      retry({
        count: TRANSIENT_CONFLICT_RETRIES,
        delay: (error: unknown, attempt: number) => (isTransientConflict(error) ? timer(Math.round(Math.random() * 20 * 2 ** attempt)) : throwError(() => error)),
      }),
    );
  }
}
