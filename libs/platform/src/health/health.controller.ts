import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from '../platform.options.js';
import { DEFAULT_READINESS_TIMEOUT_MS } from './health.monitor.js';
import { HealthRegistry, type ReadinessReport } from './health.registry.js';

@Public()
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: 200 when every registered check passes, 503 naming those that fail. The checks run now
   * (each cut off after the readiness timeout, so a dependency that never answers cannot hang this).
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: unknown): Promise<ReadinessReport> {
    const report = await this.registry.run(this.options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS);
    if (report.status !== 'ok') this.adapterHost.httpAdapter.status(response, 503);
    return report;
  }
}
