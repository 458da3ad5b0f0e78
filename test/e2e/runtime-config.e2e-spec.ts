// The database pool settings of a host come from its environment (MESHFAB_DB_*), reach every service's
// own pool, and a bad value stops the host before it opens anything, naming the variable.
import { randomUUID } from 'node:crypto';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { ServiceDatabase } from '#libs/eventsourcing';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv } from '#libs/testing';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const schemas = freshSchemas('cfg');
const baseEnv = {
  ...schemas,
  DATABASE_URL: testDatabaseUrl(),
  PORT: '0',
  ...testSigningEnv(randomUUID()),
  MESHFAB_OPERATOR_TOKEN: `op_${randomUUID()}`,
  LOG_LEVEL: 'error',
  MESHFAB_DATA_DIR: '.data/e2e',
};

describe('database pool settings from the environment', () => {
  let host: RunningHost | undefined;

  afterAll(async () => {
    await host?.stop();
    await dropSchemas(schemas);
  });

  it("gives every service's pool the configured size, connect timeout and statement timeout", async () => {
    host = await startHost('network', NETWORK_SERVICES, {
      embedded: true,
      env: { ...baseEnv, MESHFAB_DB_POOL_SIZE: '3', MESHFAB_DB_CONNECT_TIMEOUT_MS: '1234', MESHFAB_DB_STATEMENT_TIMEOUT_MS: '4321' },
    });
    const seen: Record<string, unknown> = {};
    // One ServiceDatabase per service, each in its own schema.
    for (const db of host.app.get(ServiceDatabase, { strict: false, each: true })) {
      const [{ statement_timeout }] = await db.dataSource.query<{ statement_timeout: string }[]>('SHOW statement_timeout');
      const pool = (db.dataSource.driver as PostgresDriver).master as { options: { max: number; connectionTimeoutMillis: number; query_timeout: number } };
      const { max, connectionTimeoutMillis, query_timeout } = pool.options;
      seen[db.schema] = { statement_timeout, max, connectionTimeoutMillis, query_timeout };
    }
    const expected = { statement_timeout: '4321ms', max: 3, connectionTimeoutMillis: 1234, query_timeout: 4321 + 5000 };
    expect(seen).toEqual(Object.fromEntries(Object.values(schemas).map((schema) => [schema, expected])));
  }, 60_000);

  it('refuses to start with a timeout out of range, naming the variable', async () => {
    await expect(startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...baseEnv, MESHFAB_DB_CONNECT_TIMEOUT_MS: '5' } })).rejects.toThrow(
      /MESHFAB_DB_CONNECT_TIMEOUT_MS/,
    );
    await expect(startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...baseEnv, MESHFAB_DB_STATEMENT_TIMEOUT_MS: 'soon' } })).rejects.toThrow(
      /MESHFAB_DB_STATEMENT_TIMEOUT_MS/,
    );
  });
});
