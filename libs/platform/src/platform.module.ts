import { Inject, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard.js';
import { parsePublicKeySet } from './auth/signing-key.js';
import { TokenVerifier, type VerificationKeys } from './auth/token-verifier.js';
import { PlatformConfig } from './config/platform.config.js';
import { HttpExceptionFilter } from './errors/http-exception.filter.js';
import { createValidationPipe } from './errors/validation.pipe.js';
import { HealthController } from './health/health.controller.js';
import { HealthMonitor } from './health/health.monitor.js';
import { RateLimitMiddleware } from './http/rate-limit.middleware.js';
import { TransientConflictRetryInterceptor } from './http/transient-retry.interceptor.js';
import { WriteGate } from './http/write-gate.js';
import { CorrelationIdMiddleware } from './logging/correlation-id.middleware.js';
import { createLogger, PINO_LOGGER } from './logging/logger.js';
import { NestPinoLogger } from './logging/nest-pino-logger.js';
import { RequestLogMiddleware } from './logging/request-log.middleware.js';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { HttpTracingMiddleware } from './tracing/http-tracing.middleware.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { ObservabilityModule } from './observability.module.js';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from './platform.options.js';

/**
 * The HTTP edge every Meshfab app shares: bearer-token guard, error filter, validation pipe, a retry of
 * requests whose transaction lost a deadlock, correlation ids, request logs, rate limits, the write
 * gate, `/health`, `/health/ready` and `/metrics`.
 *
 * How it composes: `forRoot` is imported ONCE, by the root module of the application: a single
 * service's AppModule, or the module that composes several services into one process. Its guard,
 * filter, interceptor and pipe are app-wide (APP_GUARD/APP_FILTER/APP_INTERCEPTOR/APP_PIPE) and its
 * controllers are mounted once, so importing it twice would mount /health twice and run every guard
 * twice. Feature modules import the static {@link ObservabilityModule} instead, for the shared
 * HealthRegistry and MetricsService (one instance per app). Nothing here is @Global: the token verifier, logger and config are exported
 * to the root module only; only the registry signs tokens (with its own TokenIssuer).
 */
@Module({})
export class PlatformModule implements NestModule {
  constructor(metrics: MetricsService, @Inject(PLATFORM_OPTIONS) options: PlatformModuleOptions) {
    metrics.registry.setDefaultLabels({ service: options.serviceName });
  }

  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const logger = options.logger ?? createLogger({ serviceName: options.serviceName, level: options.config.LOG_LEVEL });
    return {
      module: PlatformModule,
      imports: [ObservabilityModule],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: PLATFORM_OPTIONS, useValue: options },
        { provide: PlatformConfig, useValue: options.config },
        { provide: PINO_LOGGER, useValue: logger },
        { provide: NestPinoLogger, useValue: new NestPinoLogger(logger) },
        { provide: TokenVerifier, useValue: new TokenVerifier(verificationKeysOf(options)) },
        AuthGuard,
        { provide: APP_GUARD, useExisting: AuthGuard },
        HealthMonitor,
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: TransientConflictRetryInterceptor },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [ObservabilityModule, PlatformConfig, PINO_LOGGER, NestPinoLogger, TokenVerifier],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // WriteGate: refuses writes while PostgreSQL or Kafka is down (see there).
    consumer.apply(HttpTracingMiddleware, CorrelationIdMiddleware, RequestLogMiddleware, HttpMetricsMiddleware, RateLimitMiddleware, WriteGate).forRoutes('*');
  }
}

/** The public keys of the options, else MESHFAB_JWT_PUBLIC_KEYS, else MESHFAB_JWKS_URL; one of them is required. */
function verificationKeysOf(options: PlatformModuleOptions): VerificationKeys {
  if (options.verificationKeys) return options.verificationKeys;
  if (options.config.MESHFAB_JWT_PUBLIC_KEYS) return { jwks: parsePublicKeySet(options.config.MESHFAB_JWT_PUBLIC_KEYS, 'MESHFAB_JWT_PUBLIC_KEYS') };
  if (options.config.MESHFAB_JWKS_URL) return { url: options.config.MESHFAB_JWKS_URL };
  throw new Error('no keys to verify tokens with: set MESHFAB_JWKS_URL (the registry\'s /registry/.well-known/jwks.json) or MESHFAB_JWT_PUBLIC_KEYS');
}
