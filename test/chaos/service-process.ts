/**
 * One Meshfab service as an OS process (`node dist/apps/<service>/src/main.js`), the way the distributed
 * deployment runs it: started, killed with SIGKILL, started again on the same port, schema and consumer
 * group. Its output goes to a log file (appended across lives); its consumer counts are read from
 * /metrics while it lives and added up over its lives, since a killed process takes its counters with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const SERVICES = ['registry', 'orders', 'matching', 'inspection', 'settlement'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Consumer counts of one process life, as its /metrics last showed them. */
export interface ConsumerCounts {
  handled: number;
  duplicates: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ServiceProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private log?: WriteStream;
  /** Counts of the lives that ended, plus the last scrape of the current one. */
  private ended: ConsumerCounts = { handled: 0, duplicates: 0 };
  private current: ConsumerCounts = { handled: 0, duplicates: 0 };
  starts = 0;
  kills = 0;

  constructor(
    readonly service: ServiceName,
    /** e.g. `matching#2` when a service runs as several instances. */
    readonly id: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly root: string,
    private readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Handled and duplicate deliveries over all lives (the current one as last scraped). */
  get counts(): ConsumerCounts {
    return { handled: this.ended.handled + this.current.handled, duplicates: this.ended.duplicates + this.current.duplicates };
  }

  /** Starts the process and waits until it answers /health (it listens only once its consumers are connected). */
  async start(timeoutMs = 180_000): Promise<void> {
    if (this.running) throw new Error(`${this.id} is already running`);
    // Another process on the port would answer /health in this one's place.
    if (!(await portIsFree(this.port))) throw new Error(`${this.id}: port ${this.port} is taken by another process (another chaos run?)`);
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    this.log.write(`\n===== ${this.id} start #${this.starts + 1} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [join(this.root, 'dist/apps', this.service, 'src/main.js')], {
      cwd: this.root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    this.starts += 1;
    this.current = { handled: 0, duplicates: 0 };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.id} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}); see ${this.logFile}:\n${this.tail()}`);
      const ok = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`${this.id} did not answer /health within ${timeoutMs} ms; see ${this.logFile}`);
      await sleep(250);
    }
  }

  /** Reads this life's consumer counts from /metrics (false when the process does not answer). */
  async scrape(): Promise<boolean> {
    if (!this.running) return false;
    try {
      const text = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text());
      this.current = { handled: sumOf(text, 'meshfab_events_handled_total'), duplicates: sumOf(text, 'meshfab_inbox_duplicates_total') };
      return true;
    } catch {
      return false;
    }
  }

  /** kill -9, right after a last scrape: the process gets no chance to finish what it has in hand. */
  async kill(): Promise<void> {
    await this.scrape();
    this.child?.kill('SIGKILL');
    await this.exited;
    this.kills += 1;
    this.endLife();
  }

  /** A clean stop (SIGTERM: the service drains what it has in hand), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await this.scrape();
    this.child?.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.exited!.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 30_000)))]);
    clearTimeout(timer);
    if (!done) {
      this.child?.kill('SIGKILL');
      await this.exited;
    }
    this.endLife();
  }

  close(): void {
    this.log?.end();
  }

  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private endLife(): void {
    this.ended = this.counts;
    this.current = { handled: 0, duplicates: 0 };
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

/** Sum of a Prometheus counter over its labels, from the text exposition format. */
export function sumOf(metricsText: string, name: string): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
