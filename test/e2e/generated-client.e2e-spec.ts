// The OpenAPI document as a third party uses it (issue 18): fetched from a running network, linted by
// Redocly, turned into TypeScript types by openapi-typescript (which must be the committed
// packages/client/src/schema.d.ts), the client's full-order example type-checked with `tsc --strict`,
// then run against the network through openapi-fetch.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl } from '#libs/testing';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { fullOrder } from '../../packages/client/examples/full-order.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const cli = (path: string) => join(ROOT, 'node_modules', path);
const OPERATOR = 'op_client-e2e-operator-token-0123456789';

describe('the typed client generated from the running network', () => {
  const env: Record<string, string> = {
    ...freshSchemas('client'),
    DATABASE_URL: testDatabaseUrl(),
    PORT: '0',
    MESHFAB_JWT_SECRET: 'client-e2e-secret-that-is-long-enough-for-hs256',
    MESHFAB_OPERATOR_TOKEN: OPERATOR,
    LOG_LEVEL: 'warn',
    MESHFAB_DATA_DIR: '.data/e2e-client',
  };
  let host: RunningHost;
  let dir: string;
  let documentPath: string;

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env } });
    dir = mkdtempSync(join(tmpdir(), 'meshfab-client-'));
    documentPath = join(dir, 'openapi.json');
    const response = await fetch(`${host.url}/docs-json`);
    expect(response.status).toBe(200);
    writeFileSync(documentPath, await response.text());
  });

  afterAll(async () => {
    await host?.stop();
    await dropSchemas(env);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes redocly lint (redocly.yaml) with 0 errors and 0 warnings', async () => {
    const { stdout } = await run(process.execPath, [cli('@redocly/cli/bin/cli.js'), 'lint', documentPath, '--config', join(ROOT, 'redocly.yaml'), '--format=json'], { cwd: ROOT, maxBuffer: 64 << 20 }).catch(
      (error: { stdout: string }) => error, // lint exits 1 on errors; the counts below say which
    );
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('generates the committed client types, and the full-order example type-checks with tsc --strict', async () => {
    const generated = join(dir, 'schema.d.ts');
    await run(process.execPath, [cli('openapi-typescript/bin/cli.js'), documentPath, '--output', generated], { cwd: ROOT });
    // Stale types fail here: regenerate with `node packages/client/scripts/generate.mjs <url>/docs-json` (packages/client/README.md).
    expect(readFileSync(generated, 'utf8')).toBe(readFileSync(join(ROOT, 'packages/client/src/schema.d.ts'), 'utf8'));
    const typecheck = await run(process.execPath, [cli('typescript/bin/tsc'), '-p', join(ROOT, 'packages/client/tsconfig.json'), '--strict'], { cwd: ROOT }).catch((error: { stdout: string }) => error);
    expect(typecheck.stdout).toBe('');
  }, 120_000);

  it('drives a full order through the client: members, capacity, funding, order, accept, start, complete, inspection, payout', async () => {
    const result = await fullOrder(host.url, OPERATOR);

    expect(result.funding).toMatchObject({ status: 'funded', amount: { amountMinor: 1_000_000, currency: 'CNY' } });
    expect(result.lot).toMatchObject({ status: 'passed', lotSize: 100 });
    expect(result.order.status).toBe('completed');
    expect(result.order.lots.map((l) => `${l.stepId}:${l.status}`)).toEqual(['cut:passed']);
    expect(result.payoutStatus).toBe(201);
  }, 120_000);
});
