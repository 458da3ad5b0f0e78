import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { BOOTSTRAP_OPERATOR_ID, isOperatorToken } from '../auth/operator-token.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { audienceOf, verifyOnce } from '../auth/verify-once.js';
import { PlatformConfig, RATE_LIMIT_DEFAULTS } from '../config/platform.config.js';
import { sendErrorResponse } from '../errors/error-response.js';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from '../platform.options.js';
import { TokenBuckets, type RateLimit } from './rate-limit.js';

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
 * per-second value of 0 turns that limit off. The buckets live in this process: with several instances
 * behind a load balancer each enforces its own share.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  private readonly members?: TokenBuckets;
  private readonly anonymous?: TokenBuckets;

  constructor(
    @Inject(PlatformConfig) config: PlatformConfig,
    @Inject(TokenVerifier) private readonly tokens: TokenVerifier,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
  ) {
    this.members = buckets({
      perSecond: config.MESHFAB_RATE_LIMIT_PER_SECOND ?? RATE_LIMIT_DEFAULTS.perSecond,
      burst: config.MESHFAB_RATE_LIMIT_BURST ?? RATE_LIMIT_DEFAULTS.burst,
    });
    this.anonymous = buckets({
      perSecond: config.MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND ?? RATE_LIMIT_DEFAULTS.anonymousPerSecond,
      burst: config.MESHFAB_RATE_LIMIT_ANONYMOUS_BURST ?? RATE_LIMIT_DEFAULTS.anonymousBurst,
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
    const admission = member === undefined ? this.anonymous?.take(`ip:${clientAddress(request)}`) : this.members?.take(`member:${member}`);
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
