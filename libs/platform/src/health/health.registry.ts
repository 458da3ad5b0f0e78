import { Injectable } from '@nestjs/common';

/** A readiness check: resolves when the dependency is usable, rejects (with a reason) when not. */
export type ReadinessCheck = () => Promise<void>;

export type CheckResult = { status: 'ok' } | { status: 'failing'; message: string };

export interface ReadinessReport {
  status: 'ok' | 'failing';
  checks: Record<string, CheckResult>;
}

/** Where modules register what the app needs to serve (database, broker, …). */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`a readiness check named "${name}" is already registered`);
    this.checks.set(name, check);
  }

  /** Runs every check at once, each cut off after `timeoutMs`. */
  async run(timeoutMs: number): Promise<ReadinessReport> {
    const results = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
    );
    const checks = Object.fromEntries(results);
    const status = results.every(([, result]) => result.status === 'ok') ? 'ok' : 'failing';
    return { status, checks };
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
