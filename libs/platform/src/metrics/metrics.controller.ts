import { Controller, Get, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { AdminEndpoint } from '../auth/auth.decorators.js';
import { MetricsService } from './metrics.service.js';

@AdminEndpoint()
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Prometheus scrape endpoint (text exposition format); an operator's token unless MESHFAB_ADMIN_ENDPOINTS=open. */
  @Get()
  async scrape(@Res({ passthrough: true }) response: unknown): Promise<string> {
    this.adapterHost.httpAdapter.setHeader(response, 'Content-Type', this.metrics.contentType);
    return this.metrics.text();
  }
}
