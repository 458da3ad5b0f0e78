import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { pruneExpired, type RetentionPolicy } from '#libs/eventsourcing';
import { MetricsService, PINO_LOGGER } from '#libs/platform';
import { databaseOf, type HostedService } from './event-transport.js';

/**
 * Prunes each hosted service's idempotency keys, inbox and dead letters past their retention
 * ({@link RetentionPolicy}), once at start and then every `intervalMinutes` (0: never). Counted in
 * `meshfab_retention_pruned_rows_total{service,table}`; a failed round is logged and tried again next time.
 */
export function startRetention(app: INestApplication, hosted: readonly HostedService[], policy: RetentionPolicy, intervalMinutes: number): { stop(): void; runOnce(): Promise<void> } {
  const pruned = app.get(MetricsService, { strict: false }).counter({
    name: 'meshfab_retention_pruned_rows_total',
    help: 'Rows deleted by the retention job (idempotency keys, inbox, dead letters), by service and table',
    labelNames: ['service', 'table'],
  });
  const logger = app.get<Logger>(PINO_LOGGER, { strict: false });
  let running: Promise<void> | undefined;
  const runOnce = async () => {
    for (const service of hosted) {
      const database = databaseOf(app, service);
      try {
        const rows = await pruneExpired(database.dataSource, database.schema, policy);
        for (const [table, count] of Object.entries(rows ?? {})) if (count > 0) pruned.inc({ service: service.definition.name, table }, count);
      } catch (error) {
        logger.warn({ service: service.definition.name, err: error instanceof Error ? error.message : String(error) }, 'retention round failed; next round tries again');
      }
    }
  };
  const tick = () => {
    running ??= runOnce().finally(() => (running = undefined));
  };
  const timer = intervalMinutes > 0 ? setInterval(tick, intervalMinutes * 60_000) : undefined;
  timer?.unref();
  if (intervalMinutes > 0) tick();
  return {
    stop: () => clearInterval(timer),
    runOnce,
  };
}
