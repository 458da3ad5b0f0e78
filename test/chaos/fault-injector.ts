/**
 * The faults of a chaos run, one after another while the demo drives orders: kill -9 a service process
 * (a random instance where a service runs several) at a random moment while events flow through it,
 * leave it down a random while, start it again on the same schema and consumer group; and once, stop
 * and start the Kafka broker. The schedule is drawn from a seed: which service when, the pauses.
 *
 * "While events flow": before a kill the injector watches the target for a moment and kills it only
 * once it sees the target's store growing (its outbox relay has work) or its consumers handling events,
 * or gives up waiting and kills it anyway; each kill records what it saw, so the report shows which kills
 * hit a relay or a consumer mid-flight.
 */
import pg from 'pg';
import type { DemoProgress } from '../../apps/network/src/demo/scenario.js';
import { Prng } from '../../apps/network/src/demo/prng.js';
import type { ChaosNetwork } from './chaos-network.js';
import { SERVICES, type ServiceName, type ServiceProcess } from './service-process.js';

/** `during`: strike as soon as the demo enters this phase (e.g. settlement while brands' payment webhooks arrive), before the rest. */
export type Fault = { kind: 'kill'; service: ServiceName; during?: DemoProgress['phase'] } | { kind: 'broker-restart' };

const PHASES: DemoProgress['phase'][] = ['joining', 'funding', 'running', 'settling', 'done'];

export interface FaultRecord {
  kind: Fault['kind'];
  target: string;
  /** Demo phase and progress when the fault struck. */
  phase: DemoProgress['phase'];
  ordersSubmitted: number;
  ordersClosed: number;
  /** Events appended to the target's store, and events its consumers handled, while it was watched. */
  appendedWhileWatched: number;
  handledWhileWatched: number;
  /** Events of the target's store not yet published by its relay when it was killed. */
  unpublishedAtKill: number;
  downMs: number;
  /** From the restart to answering /health again (or the broker being ready). */
  recoveryMs: number;
}

/**
 * Settlement killed while the brands' payment webhooks arrive (the demo's funding phase), then each
 * service once in a random order, the broker restart somewhere in the middle, then `extraKills` random kills.
 */
export function drawSchedule(seed: number, extraKills: number): Fault[] {
  const prng = Prng.keyed(seed, 'chaos-schedule');
  const services = [...SERVICES];
  for (let i = services.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [services[i], services[j]] = [services[j], services[i]];
  }
  const faults: Fault[] = services.map((service) => ({ kind: 'kill', service }));
  faults.splice(prng.int(2, 3), 0, { kind: 'broker-restart' });
  for (let i = 0; i < extraKills; i++) faults.push({ kind: 'kill', service: prng.pick(SERVICES) });
  return [{ kind: 'kill', service: 'settlement', during: 'funding' }, ...faults];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private progress: DemoProgress | undefined;
  private stopped = false;
  /** Killed processes whose restart is still in flight. */
  private readonly recovering = new Set<ServiceProcess>();
  private readonly prng: Prng;
  private readonly pool: pg.Pool;

  constructor(
    private readonly network: ChaosNetwork,
    private readonly schedule: Fault[],
    private readonly options: { seed: number; databaseUrl: string; gapMs: [number, number]; downMs: [number, number]; watchMs: number; log: (line: string) => void },
  ) {
    this.prng = Prng.keyed(options.seed, 'chaos-moments');
    this.pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
  }

  observe(progress: DemoProgress): void {
    this.progress = progress;
  }

  /** Stops after the fault in hand (used when the demo is over before the schedule is). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Runs the schedule; resolves when every fault has struck and its target recovered. A killed service
   * comes back in the background (a restarted consumer waits for its group to let the dead member go,
   * up to the 30 s session timeout), so the next fault may strike another service (or the broker) while
   * it is still down; a kill of the same process waits until it is back.
   */
  async run(): Promise<void> {
    const recoveries: Promise<void>[] = [];
    try {
      const early = this.schedule.filter((f) => f.kind === 'kill' && f.during);
      for (const fault of early) {
        if (fault.kind !== 'kill' || !fault.during) continue;
        // At once, unwatched: the phase may be short. A phase already over strikes at once too (recorded as such).
        const at = PHASES.indexOf(fault.during);
        while (!this.stopped && PHASES.indexOf(this.progress?.phase ?? 'joining') < at) await sleep(20);
        if (this.stopped) break;
        recoveries.push((await this.kill(fault.service, false)).recovered);
      }
      // The other faults strike once orders are coming in.
      while (!this.stopped && (this.progress?.ordersSubmitted ?? 0) < 1) await sleep(200);
      for (const fault of this.schedule) {
        if (this.stopped) break;
        if (early.includes(fault)) continue;
        await sleep(this.prng.int(this.options.gapMs[0], this.options.gapMs[1]));
        if (fault.kind === 'kill') recoveries.push((await this.kill(fault.service)).recovered);
        else await this.restartBroker();
      }
    } finally {
      await Promise.all(recoveries);
      await this.pool.end();
    }
  }

  /** Kills a running instance of `service` while it is busy; returns its recovery (restart) in progress. */
  private async kill(service: ServiceName, watch = true): Promise<{ recovered: Promise<void> }> {
    // Only an instance that is up and serving: one still coming back from an earlier kill has its own
    // restart in flight, and two restarts of one process would fight over it.
    const up = () => this.network.instancesOf(service).filter((p) => p.running && !this.recovering.has(p));
    let instances = up();
    while (instances.length === 0) {
      await sleep(500); // every instance still coming back from an earlier kill
      instances = up();
    }
    const target = this.prng.pick(instances);
    const seen = watch ? await this.watch(target) : { appended: 0, handled: 0 };
    const unpublishedAtKill = await this.unpublished(service);
    const at = this.snapshot();
    this.recovering.add(target);
    await target.kill();
    const downMs = this.prng.int(this.options.downMs[0], this.options.downMs[1]);
    this.options.log(`kill -9 ${target.id} (${at.phase}, ${at.ordersSubmitted} submitted, ${at.ordersClosed} closed; saw ${seen.appended} appended, ${seen.handled} handled; ${unpublishedAtKill} unpublished); down ${downMs} ms`);
    const recovered = (async () => {
      await sleep(downMs);
      const restarted = Date.now();
      await this.startAgain(target).finally(() => this.recovering.delete(target));
      this.records.push({ kind: 'kill', target: target.id, ...at, appendedWhileWatched: seen.appended, handledWhileWatched: seen.handled, unpublishedAtKill, downMs, recoveryMs: Date.now() - restarted });
      this.options.log(`${target.id} back after ${Date.now() - restarted} ms`);
    })();
    recovered.catch(() => undefined); // handled where run() awaits it; not an unhandled rejection meanwhile
    return { recovered };
  }

  /** A start can fail while the broker is being restarted (the consumer cannot join): try again, three times. */
  private async startAgain(target: ServiceProcess): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await target.start();
      } catch (error) {
        if (attempt >= 3) throw error;
        if (target.running) await target.stop(); // started but never answered: start it afresh
        this.options.log(`${target.id} did not come back (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); starting it again`);
        await sleep(5_000);
      }
    }
  }

  private async restartBroker(): Promise<void> {
    const at = this.snapshot();
    const started = Date.now();
    this.options.log(`restarting the Kafka broker (${at.phase}, ${at.ordersSubmitted} submitted)`);
    await this.network.broker.down();
    const downMs = Date.now() - started;
    const restarted = Date.now();
    await this.network.broker.up();
    this.network.broker.brokerRestarts += 1;
    this.records.push({ kind: 'broker-restart', target: 'kafka', ...at, appendedWhileWatched: 0, handledWhileWatched: 0, unpublishedAtKill: 0, downMs, recoveryMs: Date.now() - restarted });
  }

  /** Watches the target until its store grows or its consumers handle events (at most `watchMs`). */
  private async watch(target: ServiceProcess): Promise<{ appended: number; handled: number }> {
    const schema = this.network.schemas[target.service];
    const deadline = Date.now() + this.options.watchMs;
    await target.scrape();
    const handledBefore = target.counts.handled;
    const lastBefore = await this.lastPosition(schema);
    for (;;) {
      await sleep(300);
      await target.scrape();
      const seen = { appended: Math.max(0, (await this.lastPosition(schema)) - lastBefore), handled: target.counts.handled - handledBefore };
      if (seen.appended > 0 || seen.handled > 0 || Date.now() > deadline) return seen;
    }
  }

  // The observations below are evidence for the report, not part of the fault: a failed read (PostgreSQL
  // busy, say) counts as nothing seen (NaN for the unpublished count) and never stops the schedule.
  private async lastPosition(schema: string): Promise<number> {
    const rows = await this.pool.query<{ n: string | null }>(`SELECT max(global_position) AS n FROM ${pg.escapeIdentifier(schema)}.events`).then(
      (r) => r.rows,
      () => [{ n: null }],
    );
    return Number(rows[0].n ?? 0);
  }

  private async unpublished(service: ServiceName): Promise<number> {
    const s = pg.escapeIdentifier(this.network.schemas[service]);
    const rows = await this.pool
      .query<{ n: string }>(
        `SELECT count(*) AS n FROM ${s}.events e
          WHERE NOT EXISTS (SELECT 1 FROM ${s}.checkpoints c WHERE c.subscription_id = 'kafka-outbox-relay' AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.position))`,
      )
      .then(
        (r) => r.rows,
        () => [{ n: 'NaN' }],
      );
    return Number(rows[0].n);
  }

  private snapshot(): Pick<FaultRecord, 'phase' | 'ordersSubmitted' | 'ordersClosed'> {
    return { phase: this.progress?.phase ?? 'joining', ordersSubmitted: this.progress?.ordersSubmitted ?? 0, ordersClosed: this.progress?.ordersClosed ?? 0 };
  }
}
