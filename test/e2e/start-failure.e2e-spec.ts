// A host that cannot start fails its caller with the cause, and never ends the process: Nest's default
// (`abortOnError`) calls process.exit/abort from inside NestFactory.create, which in a test run kills Jest
// itself instead of failing one test (issue 21: a refused database login ended a whole `npm test`).
import { jest } from '@jest/globals';
import { startHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv } from '#libs/testing';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

describe('a host that cannot start', () => {
  const schemas = freshSchemas('startfail');
  afterAll(() => dropSchemas(schemas));

  it('rejects with the database error, without calling process.exit or process.abort', async () => {
    const missing = new URL(testDatabaseUrl());
    missing.pathname = `/meshfab_no_such_database_${Date.now()}`; // refused by every server, whatever its authentication
    const ended: string[] = [];
    const exit = jest.spyOn(process, 'exit').mockImplementation((code) => {
      ended.push(`exit(${String(code)})`);
      throw new Error('process.exit called');
    });
    const abort = jest.spyOn(process, 'abort').mockImplementation(() => {
      ended.push('abort()');
      throw new Error('process.abort called');
    });
    try {
      const env = {
        ...schemas,
        DATABASE_URL: missing.toString(),
        PORT: '0',
        ...testSigningEnv('start-failure-secret-long-enough-for-hs256'),
        MESHFAB_OPERATOR_TOKEN: 'op_start-failure-operator-token-0123456789',
        MESHFAB_DATA_DIR: '.data/e2e',
      };
      await expect(startHost('network', NETWORK_SERVICES, { embedded: true, env })).rejects.toThrow(/does not exist/);
    } finally {
      exit.mockRestore();
      abort.mockRestore();
    }
    expect(ended).toEqual([]);
  }, 60_000);
});
