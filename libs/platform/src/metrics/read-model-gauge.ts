import type { Gauge } from 'prom-client';
import type { MetricsService } from './metrics.service.js';

/** One series of a read-model gauge: its labels and its value. */
export interface GaugeReading<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

export interface ReadModelGaugeOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** The current values, read from the owning service's own read model with a bounded (index-backed) query. */
  read(): Promise<GaugeReading<L>[]>;
  /** Reads at most once per this many ms; scrapes in between answer the last reading (default 0: every scrape). */
  refreshMs?: number;
}

/**
 * A business gauge collected on scrape from a service's own tables (never another service's): the value
 * a projection keeps, counted by an index. Concurrent scrapes share one read; a failed read leaves the
 * gauge empty for that scrape rather than failing `/metrics`.
 */
export function readModelGauge<L extends string>(metrics: MetricsService, options: ReadModelGaugeOptions<L>): Gauge<L> {
  let last: { at: number; readings: Promise<GaugeReading<L>[]> } | undefined;
  const refreshMs = options.refreshMs ?? 0;
  return metrics.gauge<L>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    async collect() {
      const now = Date.now();
      if (!last || now - last.at >= refreshMs) last = { at: now, readings: options.read() };
      const pending = last;
      const readings = await pending.readings.catch(() => {
        if (last === pending) last = undefined;
        return [];
      });
      this.reset();
      for (const r of readings) this.set(r.labels, r.value);
    },
  });
}
