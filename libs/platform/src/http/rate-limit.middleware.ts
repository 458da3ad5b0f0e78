import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Logger } from 'pino';
import { BOOTSTRAP_OPERATOR_ID, isOperatorToken } from '../auth/operator-token.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { audienceOf, verifyOnce } from '../auth/verify-once.js';
import { PlatformConfig, RATE_LIMIT_DEFAULTS } from '../config/platform.config.js';
import { sendErrorResponse } from '../errors/error-response.js';
import { PINO_LOGGER } from '../logging/logger.js';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from '../platform.options.js';
import { TokenBuckets, type Admission, type RateLimit } from './rate-limit.js';
import { SHARED_RATE_LIMIT_STORE, SharedTokenBuckets, type SharedRateLimitStore } from './shared-rate-limit.js';

/** Takes one call's token of a key: from the process's own buckets, or from the budget all instances share. */
interface Budget {
  take(key: string): Admission | Promise<Admission>;
}

const BEARER = /^Bearer +(\S+)$/i;

/** Probes must always get through: a throttled readiness check would take a healthy pod out. */
const UNTHROTTLED = /^\/health(\/|$|\?)/;

/**
 * Throttles every HTTP call but health with token buckets (see {@link TokenBuckets}):
 *
 * - a call with a valid bearer token counts against its member (`sub`), with the generous
 *   authenticated limit, wherever it comes from;
 * - a call without a token, or with one that does not verify (expired, forged, garbage), counts
 *   against the client's address with the much smaller anonymous limit — so guessing tokens is
 *   throttled hardest, and a flood of bad tokens cannot use up a member's budget.
 *
 * A refused call gets 429 with `Retry-After` (seconds) and the usual error body. The token is verified
 * here as well as in the AuthGuard (an Ed25519 check is cheap); revocation is left to the guard, since a revoked
 * token was genuinely signed and only its owner could send it. Limits come from PlatformConfig; a
 * per-second value of 0 turns that limit off. With MESHFAB_RATE_LIMIT_SCOPE=shared (the default) and a
 * {@link SHARED_RATE_LIMIT_STORE} in the app (libs/runtime provides one on the service's PostgreSQL), every
 * instance of a service draws from one budget per key ({@link SharedTokenBuckets}); else each process keeps its own.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware, OnApplicationBootstrap {
  private readonly memberLimit: RateLimit;
  private readonly anonymousLimit: RateLimit;
  private members?: Budget;
  private anonymous?: Budget;

  constructor(
    @Inject(PlatformConfig) private readonly config: PlatformConfig,
    @Inject(TokenVerifier) private readonly tokens: TokenVerifier,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {
    this.memberLimit = {
      perSecond: config.MESHFAB_RATE_LIMIT_PER_SECOND ?? RATE_LIMIT_DEFAULTS.perSecond,
      burst: config.MESHFAB_RATE_LIMIT_BURST ?? RATE_LIMIT_DEFAULTS.burst,
    };
    this.anonymousLimit = {
      perSecond: config.MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND ?? RATE_LIMIT_DEFAULTS.anonymousPerSecond,
      burst: config.MESHFAB_RATE_LIMIT_ANONYMOUS_BURST ?? RATE_LIMIT_DEFAULTS.anonymousBurst,
    };
    this.members = buckets(this.memberLimit);
    this.anonymous = buckets(this.anonymousLimit);
  }

  /** Finds the optional shared store wherever in the app it is provided; without one the buckets stay in this process. */
  onApplicationBootstrap(): void {
    if ((this.config.MESHFAB_RATE_LIMIT_SCOPE ?? 'shared') !== 'shared') return;
    let store: SharedRateLimitStore;
    try {
      store = this.moduleRef.get<SharedRateLimitStore>(SHARED_RATE_LIMIT_STORE, { strict: false });
    } catch {
      return;
    }
    this.members = this.sharedBuckets(store, this.memberLimit);
    this.anonymous = this.sharedBuckets(store, this.anonymousLimit);
  }

  private sharedBuckets(store: SharedRateLimitStore, limit: RateLimit): Budget | undefined {
    if (!(limit.perSecond > 0)) return undefined;
    let logger: Logger | undefined;
    try {
      logger = this.moduleRef.get<Logger>(PINO_LOGGER, { strict: false });
    } catch {
      logger = undefined;
    }
    const fallbackMs = this.config.MESHFAB_RATE_LIMIT_FALLBACK_MS ?? 5000;
    return new SharedTokenBuckets(store, limit, {
      lease: Math.min(limit.burst, this.config.MESHFAB_RATE_LIMIT_LEASE ?? Math.max(1, Math.floor(limit.burst / 20))),
      leaseMs: this.config.MESHFAB_RATE_LIMIT_LEASE_MS ?? 1000,
      timeoutMs: this.config.MESHFAB_RATE_LIMIT_STORE_TIMEOUT_MS ?? 250,
      fallbackMs,
      onFallback: (error) =>
        logger?.warn(
          { err: error instanceof Error ? error.message : String(error), fallbackMs },
          'shared rate limit store failed; this instance limits on its own buckets for a while',
        ),
    });
  }

  use(request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void {
    const path = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? '';
    if (UNTHROTTLED.test(path)) return next();
    this.admit(request).then(
      (retryAfterSeconds) => {
        if (retryAfterSeconds === undefined) return next();
        sendErrorResponse(response, {
          status: 429,
          body: { error: 'rate_limited', message: `too many requests; try again in ${retryAfterSeconds} s` },
          headers: { 'Retry-After': String(retryAfterSeconds) },
        });
      },
      (error: unknown) => next(error),
    );
  }

  /** Undefined when the call may go on, else the seconds to wait. */
  private async admit(request: IncomingMessage): Promise<number | undefined> {
    const member = await this.memberOf(request);
    const admission = await (member === undefined
      ? this.anonymous?.take(`ip:${clientAddress(request)}`)
      : this.members?.take(`member:${member}`));
    return admission && !admission.allowed ? admission.retryAfterSeconds : undefined;
  }

  /** The member a bearer token proves, or undefined for no token or one that does not verify. */
  private async memberOf(request: IncomingMessage): Promise<string | undefined> {
    const header = request.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token) return undefined;
    if (isOperatorToken(this.options.operatorToken, token)) return BOOTSTRAP_OPERATOR_ID;
    try {
      const path = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? '';
      return (await verifyOnce(this.tokens, request, token, audienceOf(path, this.options.audiences ?? [this.options.serviceName]))).sub; // the guard reuses this verification
    } catch {
      return undefined;
    }
  }
}

function buckets(limit: RateLimit): TokenBuckets | undefined {
  return limit.perSecond > 0 ? new TokenBuckets(limit) : undefined;
}

/**
 * The client's address: Express's `request.ip`, which believes X-Forwarded-For only as far as the proxies
 * named in MESHFAB_TRUSTED_PROXIES (`trust proxy`, set by configureHttpApp); else the socket's peer.
 */
function clientAddress(request: IncomingMessage): string {
  return (request as IncomingMessage & { ip?: string }).ip ?? request.socket.remoteAddress ?? 'unknown';
}
