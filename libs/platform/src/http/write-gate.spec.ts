import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PlatformConfig } from '../config/platform.config.js';
import { HealthRegistry } from '../health/health.registry.js';
import { WriteGate } from './write-gate.js';

/** Runs the gate on a request with `method`: 'next' when it lets the request on, else what it answered. */
function pass(gate: WriteGate, method: string): 'next' | { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const headers: Record<string, string> = {};
  let answered: { status: number; headers: Record<string, string>; body: Record<string, unknown> } | undefined;
  const response = {
    statusCode: 200,
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    end(text: string) {
      answered = { status: this.statusCode, headers, body: JSON.parse(text) as Record<string, unknown> };
    },
  };
  let next = false;
  gate.use({ method } as IncomingMessage, response as unknown as ServerResponse, () => void (next = true));
  if (next && answered) throw new Error('the gate both answered and let the request on');
  if (next) return 'next';
  if (!answered) throw new Error('the gate neither answered nor let the request on');
  return answered;
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

    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) expect(pass(gate(0), method)).toBe('next');
  });

  it('answers POST, PUT, PATCH and DELETE 503 + Retry-After naming the dependency once a critical check failed past the grace; reads go on', async () => {
    brokerUp = false;
    await registry.run(1000);

    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const answer = pass(gate(0), method);
      expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '5' }, body: { error: 'dependency_unavailable', details: { dependency: 'Kafka' } } });
    }
    expect(pass(gate(0), 'POST')).toMatchObject({
      body: { message: expect.stringMatching(/^Kafka has been unavailable since \d{4}-\d\d-\d\dT.*writes are refused until it is back/) },
    });
    expect(pass(gate(0), 'GET')).toBe('next');
    expect(pass(gate(0), 'HEAD')).toBe('next');
  });

  it('waits out the grace before refusing, measured from the first failing run', async () => {
    brokerUp = false;
    await registry.run(1000);
    const since = registry.failingCritical()[0].failingSince;
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later clock reading for the second run
    await registry.run(1000); // still failing: the outage started at the first failing run

    expect(registry.failingCritical()[0].failingSince).toBe(since);
    expect(pass(gate(60_000), 'POST')).toBe('next');
    expect(gate(60_000).refusalOf('POST', since + 59_999)).toBeUndefined();
    expect(gate(60_000).refusalOf('POST', since + 60_000)?.dependency).toBe('Kafka');
  });

  it('lets writes through again as soon as a run sees the dependency back', async () => {
    brokerUp = false;
    await registry.run(1000);
    expect(pass(gate(0), 'POST')).toMatchObject({ status: 503 });

    brokerUp = true;
    await registry.run(1000);

    expect(pass(gate(0), 'POST')).toBe('next');
  });

  it('judges by the latest results: it never runs a check on the request path', () => {
    let runs = 0;
    const fresh = new HealthRegistry();
    fresh.register('postgresql:orders', async () => void (runs += 1), { critical: true, dependency: 'PostgreSQL' });

    expect(pass(new WriteGate(fresh, {} as PlatformConfig), 'POST')).toBe('next');
    expect(runs).toBe(0);
  });
});
