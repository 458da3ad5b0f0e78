// Secrets come only from configuration and never reach the logs: a network started with known secrets
// (JWT key, operator token, a database password) serves members, intruders and bad requests at the most
// verbose log level, and nothing it logs contains a secret or a bearer token.
import { randomUUID } from 'node:crypto';
import { createLogger } from '#libs/platform';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseRole, testSigningEnv, testTokens, type TestDatabaseRole } from '#libs/testing';
import { fundThroughSandbox } from '../../apps/network/src/client/fund-brand.js';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { orderBody } from './security/world.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const JWT_SECRET = `jwt-${randomUUID()}-${randomUUID()}`;
const OPERATOR = `op_${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;

describe('secrets in the logs', () => {
  const schemas = freshSchemas('seclog');
  // A role with a password of its own (libs/testing), so the password is a real one on any server.
  let database: TestDatabaseRole;
  const env: Record<string, string> = {
    ...schemas,
    PORT: '0',
    ...testSigningEnv(JWT_SECRET),
    MESHFAB_OPERATOR_TOKEN: OPERATOR,
    LOG_LEVEL: 'trace',
    MESHFAB_DATA_DIR: '.data/e2e',
  };
  const lines: string[] = [];
  const printed: string[] = [];
  const restore: (() => void)[] = [];
  let host: RunningHost;

  beforeAll(async () => {
    // Everything the host writes: its pino logs (the production logger, at trace) and anything printed.
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: never[]) => {
        printed.push(String(chunk));
        return write(chunk as string, ...rest);
      });
      restore.push(() => (stream.write = write));
    }
    database = await testDatabaseRole('seclog');
    const logger = createLogger({ serviceName: 'network', level: 'trace' }, { write: (line: string) => lines.push(line) });
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env, DATABASE_URL: database.url }, logger });
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    for (const undo of restore) undo();
    await dropSchemas(schemas);
    await database?.drop();
  });

  it('logs requests, refusals and errors without a secret, a password or a bearer token in them', async () => {
    const client = new MeshfabClient(host.url);
    const brand = await client.post<{ id: string; token: string; tokenId: string }>('/registry/brands', OPERATOR, { name: 'Log Brand', contactEmail: 'logs@example.com' }, randomUUID());
    const workshop = await client.post<{ id: string; token: string }>(
      '/registry/workshops',
      OPERATOR,
      { name: 'Log Workshop', location: { lat: 29.87, lng: 121.55, region: 'Zhejiang', city: 'Ningbo' }, capabilities: [] },
      randomUUID(),
    );
    await fundThroughSandbox(client, brand.token, 1_000_000, randomUUID());
    await client.post('/orders', brand.token, orderBody({ brandName: 'Log Brand', contactEmail: 'logs@example.com', productName: 'Log shirt', sku: 'LOG-1' }), randomUUID());
    const rotated = await client.post<{ token: string }>(`/registry/members/${brand.id}/tokens`, brand.token);

    const forged = await testTokens(`forged-${randomUUID()}-${randomUUID()}`).issue({ sub: brand.id, role: 'operator' });
    const expired = await testTokens(JWT_SECRET, { now: () => new Date(Date.now() - 7200_000) }).issue({ sub: brand.id, role: 'brand', expiresIn: 60 });
    const refused = [
      client.call('GET', '/orders', { token: forged, expect: [401] }),
      client.call('GET', '/orders', { token: expired, expect: [401] }),
      client.call('GET', '/orders', { token: brand.token, expect: [401] }), // revoked by the rotation
      client.call('GET', `/orders?token=${rotated.token}`, { token: `${OPERATOR}x`, expect: [401] }), // a token where none belongs
      client.call('GET', '/settlement/ledger/check', { token: workshop.token, expect: [403] }),
      client.call('GET', `/orders/${randomUUID()}`, { token: rotated.token, expect: [404] }),
      client.call('POST', '/orders', { token: rotated.token, body: { quantity: 0 }, expect: [400] }),
      client.call('POST', `/registry/workshops/${workshop.id}/capacity`, { token: workshop.token, body: { action: 'declare' }, expect: [400] }),
    ];
    await Promise.all(refused);

    await new Promise((resolve) => setTimeout(resolve, 200)); // let the last request logs flush
    const logged = [...lines, ...printed].join('\n');
    // The capture works: the requests and refusals above were logged (else there would be nothing to grep).
    expect(lines.filter((l) => l.includes('"msg":"request served"')).length).toBeGreaterThanOrEqual(13); // the 13 calls above
    expect(lines.some((l) => l.includes('"status":401'))).toBe(true);

    const secrets = {
      signingKey: testSigningEnv(JWT_SECRET).MESHFAB_REGISTRY_SIGNING_KEY,
      operatorToken: OPERATOR,
      databasePassword: database.password,
      brandToken: brand.token,
      rotatedToken: rotated.token,
      workshopToken: workshop.token,
      forgedToken: forged,
      expiredToken: expired,
    };
    // A bearer token counts as found by its signature too (every token of the network starts with the same header).
    const pieces = (secret: string) => [secret, ...(secret.split('.').length === 3 ? [secret.split('.')[2]] : [])];
    const found = Object.entries(secrets).filter(([, secret]) => pieces(secret).some((piece) => logged.includes(piece)));
    expect(found.map(([name]) => name)).toEqual([]);
    expect(logged).not.toMatch(/Bearer\s+\S/i);
  }, 120_000);
});
