import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PlatformConfig } from '../config/platform.config.js';
import { DependencyUnavailableError } from '../errors/dependency-unavailable.js';
import { sendErrorResponse, toErrorResponse } from '../errors/error-response.js';
import { HealthRegistry, type FailingCheck } from '../health/health.registry.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const DEFAULT_GRACE_MS = 2000;

/**
 * Refuses writes (POST/PUT/PATCH/DELETE) with 503 + Retry-After while a critical dependency (a
 * readiness check registered `critical`: the service's PostgreSQL, the Kafka broker) has been failing
 * for longer than MESHFAB_WRITE_GATE_GRACE_MS. Reads go on (from PostgreSQL, when it is the broker
 * that is down).
 *
 * Why refuse a write the outbox could still store while Kafka is down: the brand would get a 201 for an
 * order that then silently does not progress (nothing reaches matching), and the outbox would grow
 * without bound for as long as the outage lasts. A 503 tells the caller at once, and its retry lands
 * when the network can act on it. The grace lets a blip (a broker restart, a leader election) pass
 * without refusing anyone.
 *
 * It reads the registry's latest results (kept fresh by the HealthMonitor); it never runs a check on
 * the request path, so a refused write answers at once even when the dependency blackholes. It is an
 * HTTP middleware (before authentication: a refused write costs nothing), so event handlers never see it.
 */
@Injectable()
export class WriteGate implements NestMiddleware {
  constructor(
    @Inject(HealthRegistry) private readonly registry: HealthRegistry,
    @Inject(PlatformConfig) private readonly config: PlatformConfig,
  ) {}

  use(request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void {
    const refusal = this.refusalOf(request.method, Date.now());
    if (!refusal) return next();
    sendErrorResponse(response, toErrorResponse(refusal));
  }

  /** Why a request with `method` is refused at `now`, or undefined when it may go on. */
  refusalOf(method: string | undefined, now: number): DependencyUnavailableError | undefined {
    if (!method || !WRITE_METHODS.has(method.toUpperCase())) return undefined;
    const down = this.downPastGrace(now);
    if (!down) return undefined;
    const since = new Date(down.failingSince).toISOString();
    return new DependencyUnavailableError(down.dependency ?? down.name, `has been unavailable since ${since}, so writes are refused until it is back`);
  }

  /** The longest-failing critical check that has failed for longer than the grace, if any. */
  downPastGrace(now: number): FailingCheck | undefined {
    const grace = this.config.MESHFAB_WRITE_GATE_GRACE_MS ?? DEFAULT_GRACE_MS;
    return this.registry
      .failingCritical()
      .filter((check) => now - check.failingSince >= grace)
      .sort((a, b) => a.failingSince - b.failingSince)[0];
  }
}
