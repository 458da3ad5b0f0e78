import { startHost } from '#libs/runtime';
import { testDatabaseUrl, uniqueSchema, dropSchema } from '#libs/testing';
import { inspectionService } from '../../apps/inspection/src/inspection.definition.js';
import { ordersService } from '../../apps/orders/src/orders.definition.js';

it('hosts two services in one app, each finding its own database', async () => {
  const schemas = { MESHFAB_ORDERS_SCHEMA: uniqueSchema('o'), MESHFAB_INSPECTION_SCHEMA: uniqueSchema('i') };
  const host = await startHost('smoke', [ordersService, inspectionService], {
    embedded: true,
    env: { ...schemas, DATABASE_URL: testDatabaseUrl(), PORT: '0', MESHFAB_JWT_SECRET: 'x'.repeat(40), MESHFAB_OPERATOR_TOKEN: 'o'.repeat(40), LOG_LEVEL: 'error', MESHFAB_DATA_DIR: '/tmp/meshfab-smoke' },
  });
  const res = await fetch(`${host.url}/health`);
  expect(res.status).toBe(200);
  await host.stop();
  for (const s of Object.values(schemas)) await dropSchema(testDatabaseUrl(), s);
});
