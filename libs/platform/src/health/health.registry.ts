import { Injectable } from '@nestjs/common';

/** A readiness check: resolves when the dependency is usable, rejects (with a reason) when not. */
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessCheckOptions {
  /**
   * Writes need it: while it fails (past the write gate's grace), POST/PUT/PATCH/DELETE are refused
   * with 503 (see WriteGate). A database or the broker is critical; a nice-to-have is not.
   */
  critical?: boolean;
  /** The dependency named to clients when the write gate refuses a request because of this check. */
  dependency?: 'PostgreSQL' | 'Kafka';
}

export type CheckResult = { status: 'ok' } | { status: 'failing'; message: string };

export interface ReadinessReport {
  status: 'ok' | 'failing';
  checks: Record<string, CheckResult>;
}

/** A critical check's latest result, and since when it has been failing. */
export interface FailingCheck {
  name: string;
  dependency?: 'PostgreSQL' | 'Kafka';
  message: string;
  /** Epoch ms of the first failing run after the last passing one. */
  failingSince: number;
}

interface Registered {
  check: ReadinessCheck;
  options: ReadinessCheckOptions;
  /** Set while the latest run failed: since when (kept across consecutive failures). */
  failingSince?: number;
  message?: string;
}

/**
 * Where modules register what the app needs to serve (database, broker, …). Every run keeps the
 * latest result of each check, so the write gate can ask "is a critical dependency down, and since
 * when?" without running checks on the request path (the HealthMonitor runs them in the background).
 */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, Registered>();

  register(name: string, check: ReadinessCheck, options: ReadinessCheckOptions = {}): void {
    if (this.checks.has(name)) throw new Error(`a readiness check named "${name}" is already registered`);
    this.checks.set(name, { check, options });
  }

  /** Runs every check at once, each cut off after `timeoutMs`, and records the results. */
  async run(timeoutMs: number): Promise<ReadinessReport> {
    const results = await Promise.all(
      [...this.checks].map(async ([name, registered]) => {
        const result = await runCheck(registered.check, timeoutMs);
        this.record(registered, result);
        return [name, result] as const;
      }),
    );
    const checks = Object.fromEntries(results);
    const status = results.every(([, result]) => result.status === 'ok') ? 'ok' : 'failing';
    return { status, checks };
  }

  /** The critical checks whose latest run failed (none before the first run). */
  failingCritical(): FailingCheck[] {
    return [...this.checks]
      .filter(([, r]) => r.options.critical && r.failingSince !== undefined)
      .map(([name, r]) => ({ name, dependency: r.options.dependency, message: r.message ?? 'failing', failingSince: r.failingSince! }));
  }

  private record(registered: Registered, result: CheckResult): void {
    if (result.status === 'ok') {
      registered.failingSince = undefined;
      registered.message = undefined;
    } else {
      registered.failingSince ??= Date.now();
      registered.message = result.message;
    }
  }
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'failing', message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
