import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PlatformConfig } from '../config/platform.config.js';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from '../platform.options.js';
import { HealthRegistry } from './health.registry.js';

export const DEFAULT_READINESS_TIMEOUT_MS = 3000;
const DEFAULT_INTERVAL_MS = 1000;

/**
 * Runs the readiness checks in the background every MESHFAB_HEALTH_INTERVAL_MS, one round at a time
 * (each check cut off after the readiness timeout), so the registry always holds a recent picture for
 * the write gate. A request never waits on a check.
 */
@Injectable()
export class HealthMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private round?: Promise<unknown>;

  constructor(
    private readonly registry: HealthRegistry,
    private readonly config: PlatformConfig,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.runRound(), this.config.MESHFAB_HEALTH_INTERVAL_MS ?? DEFAULT_INTERVAL_MS);
    this.timer.unref();
    this.runRound();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  private runRound(): void {
    if (this.round) return; // the previous round is still waiting on a slow check
    this.round = this.registry
      .run(this.options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS)
      .catch(() => undefined)
      .finally(() => (this.round = undefined));
  }
}
