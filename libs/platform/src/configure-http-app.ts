import type { INestApplication } from '@nestjs/common';
import { useRequestEdge, type JsonBodyLimits } from './http/request-edge.js';
import { useHttpHardening } from './http/security-headers.js';
import { NestPinoLogger } from './logging/nest-pino-logger.js';
import { setupOpenApi, type OpenApiOptions } from './openapi/setup-openapi.js';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from './platform.options.js';

export interface HttpAppOptions {
  /** OpenAPI at /docs; the title defaults to the service name, the version to 0.1.0. `false`: none. */
  openApi?: Partial<OpenApiOptions> | false;
  /** Let Nest close the app on SIGTERM/SIGINT (default true); false when the caller handles signals. */
  shutdownHooks?: boolean;
  /** Request body limits (default 1 MiB, nesting 32 deep); see useRequestEdge. */
  bodyLimits?: JsonBodyLimits;
}

/**
 * What main.ts does after `NestFactory.create(AppModule, { bufferLogs: true, bodyParser: false })`:
 * Nest logs through pino, the HTTP hardening (security headers, no X-Powered-By, CORS, trusted proxies, /docs
 * for operators; see useHttpHardening), shutdown hooks (SIGTERM closes the app so modules drain), OpenAPI at /docs,
 * and the request edge: JSON bodies only, size- and depth-limited before parsing, and JSON errors even
 * for requests Node's HTTP parser refuses.
 *
 * The guard, error filter and validation pipe are not applied here: PlatformModule.forRoot provides
 * them app-wide (APP_GUARD/APP_FILTER/APP_PIPE), so they also apply in tests that never run main.ts,
 * and applying them again here would validate every body twice.
 */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions = {}): INestApplication {
  app.useLogger(app.get(NestPinoLogger));
  app.flushLogs();
  useHttpHardening(app);
  useRequestEdge(app, options.bodyLimits);
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  if (options.openApi !== false) {
    const { serviceName } = app.get<PlatformModuleOptions>(PLATFORM_OPTIONS);
    setupOpenApi(app, { title: serviceName, version: '0.1.0', ...options.openApi });
  }
  return app;
}
