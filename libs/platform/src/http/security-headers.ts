import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthGuard } from '../auth/auth.guard.js';
import { PlatformConfig } from '../config/platform.config.js';
import { sendErrorResponse } from '../errors/error-response.js';
import { DomainError } from '#libs/domain';

/** Headers every answer carries: an API that no page may frame, sniff, or leak a referrer from. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  'Cache-Control': 'no-store',
};

/** Swagger UI runs its own scripts and styles. */
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";
const DOCS = /^\/docs(-json)?(\/|$|\?)/;

/** The network's console (`/console`) runs its own scripts and styles, and calls the API of its own origin: nothing else. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CONSOLE = /^\/console(\/|$|\?)/;

/**
 * The HTTP hardening of an app (configureHttpApp calls it before anything else is mounted): no
 * `X-Powered-By`, the security headers above, CORS for MESHFAB_CORS_ORIGINS only, `trust proxy` for
 * MESHFAB_TRUSTED_PROXIES only, and `/docs` for operators unless MESHFAB_ADMIN_ENDPOINTS is `open`.
 */
export function useHttpHardening(app: INestApplication): void {
  const config = app.get(PlatformConfig, { strict: false });
  const express = (app as NestExpressApplication).getHttpAdapter().getInstance() as { disable(name: string): void; set(name: string, value: unknown): void };
  express.disable('x-powered-by');
  express.set('trust proxy', trustedProxies(config.MESHFAB_TRUSTED_PROXIES));
  app.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    if (DOCS.test(request.url ?? '')) {
      response.setHeader('Content-Security-Policy', DOCS_CSP);
      response.removeHeader('Cache-Control');
    }
    if (CONSOLE.test(request.url ?? '')) response.setHeader('Content-Security-Policy', CONSOLE_CSP);
    next();
  });
  const origins = corsOrigins(config.MESHFAB_CORS_ORIGINS);
  if (origins !== undefined) {
    app.enableCors({
      origin: origins === '*' ? '*' : origins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Correlation-Id'],
      exposedHeaders: ['Retry-After', 'X-Correlation-Id'],
      credentials: false,
      maxAge: 600,
    });
  }
  if (config.MESHFAB_ADMIN_ENDPOINTS !== 'open') {
    const guard = app.get(AuthGuard, { strict: false });
    app.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
      if (!DOCS.test(request.url ?? '')) return next();
      guard.authenticateOperator(request).then(
        () => next(),
        (error: unknown) => {
          const refusal = error instanceof DomainError ? error : new DomainError('invalid_token', 'the bearer token is not valid', 'unauthorized');
          const status = refusal.kind === 'forbidden' ? 403 : 401;
          sendErrorResponse(response, {
            status,
            body: { error: refusal.code, message: refusal.message },
            headers: status === 401 ? { 'WWW-Authenticate': 'Bearer realm="meshfab"' } : {},
          });
        },
      );
    });
  }
}

/** `undefined`: no CORS; `'*'`: any origin; else the listed origins exactly. */
export function corsOrigins(value: string | undefined): string[] | '*' | undefined {
  const list = (value ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  if (list.length === 0) return undefined;
  if (list.includes('*')) return '*';
  for (const origin of list) if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`MESHFAB_CORS_ORIGINS: ${origin} is not an origin (scheme://host[:port])`);
  return list;
}

/** Express's `trust proxy` value: `false` (no proxy) or the listed addresses, CIDRs and keywords. */
export function trustedProxies(value: string | undefined): false | string[] {
  const list = (value ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  return list.length === 0 ? false : list;
}
