import type { ExecutionContext } from '@nestjs/common';
import type { PlatformConfig } from '../config/platform.config.js';
import { DependencyUnavailableError } from '../errors/dependency-unavailable.js';
import { HealthRegistry } from '../health/health.registry.js';
import { WriteGate } from './write-gate.js';

function httpRequest(method: string): ExecutionContext {
  return { getType: () => 'http', switchToHttp: () => ({ getRequest: () => ({ method }) }) } as unknown as ExecutionContext;
}

describe('the write gate', () => {
  let brokerUp: boolean;
  let registry: HealthRegistry;

  beforeEach(() => {
    brokerUp = true;
    registry = new HealthRegistry();
    registry.register('kafka', async () => {
      if (!brokerUp) throw new Error('no Kafka broker answers at 127.0.0.1:9092');
    }, { critical: true, dependency: 'Kafka' });
    registry.register('search-index', async () => {
      throw new Error('never ready, and writes do not need it');
    });
  });

  const gate = (graceMs: number) => new WriteGate(registry, { MESHFAB_WRITE_GATE_GRACE_MS: graceMs } as PlatformConfig);

  it('lets everything through while the critical checks pass (a failing non-critical one does not count)', async () => {
    await registry.run(1000);

    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) expect(gate(0).canActivate(httpRequest(method))).toBe(true);
  });

  it('refuses POST, PUT, PATCH and DELETE with a 503 naming the dependency once a critical check failed past the grace; reads go on', async () => {
    brokerUp = false;
    await registry.run(1000);

    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(() => gate(0).canActivate(httpRequest(method))).toThrow(DependencyUnavailableError);
    }
    expect(() => gate(0).canActivate(httpRequest('POST'))).toThrow(/^Kafka has been unavailable since \d{4}-\d\d-\d\dT.*writes are refused until it is back/);
    expect(gate(0).canActivate(httpRequest('GET'))).toBe(true);
    expect(gate(0).canActivate(httpRequest('HEAD'))).toBe(true);
  });

  it('waits out the grace before refusing, measured from the first failing run', async () => {
    brokerUp = false;
    await registry.run(1000);
    const since = registry.failingCritical()[0].failingSince;
    await registry.run(1000); // still failing: the outage started at the first failing run

    expect(registry.failingCritical()[0].failingSince).toBe(since);
    expect(gate(60_000).canActivate(httpRequest('POST'))).toBe(true);
    expect(gate(60_000).downPastGrace(since + 59_999)).toBeUndefined();
    expect(gate(60_000).downPastGrace(since + 60_000)?.name).toBe('kafka');
  });

  it('lets writes through again as soon as a run sees the dependency back', async () => {
    brokerUp = false;
    await registry.run(1000);
    expect(() => gate(0).canActivate(httpRequest('POST'))).toThrow(DependencyUnavailableError);

    brokerUp = true;
    await registry.run(1000);

    expect(gate(0).canActivate(httpRequest('POST'))).toBe(true);
  });

  it('never stands in the way of event handlers (non-HTTP contexts)', async () => {
    brokerUp = false;
    await registry.run(1000);

    expect(gate(0).canActivate({ getType: () => 'rpc' } as unknown as ExecutionContext)).toBe(true);
  });

  it('judges by the latest results: it never runs a check on the request path', async () => {
    let runs = 0;
    const fresh = new HealthRegistry();
    fresh.register('postgresql:orders', async () => void (runs += 1), { critical: true, dependency: 'PostgreSQL' });

    new WriteGate(fresh, {} as PlatformConfig).canActivate(httpRequest('POST'));

    expect(runs).toBe(0);
  });
});
