import { Module } from '@nestjs/common';
import { HealthRegistry } from './health/health.registry.js';
import { MetricsService } from './metrics/metrics.service.js';

/**
 * The app-wide HealthRegistry and MetricsService. Feature modules import this static module (not
 * PlatformModule.forRoot) to register readiness checks and metrics; Nest makes one instance of it
 * per application however many modules import it.
 */
@Module({
  providers: [HealthRegistry, MetricsService],
  exports: [HealthRegistry, MetricsService],
})
export class ObservabilityModule {}
