// The orders module as apps/orders' int-specs compile it (under test/ so the build leaves it out).
import { Test, type TestingModule } from '@nestjs/testing';
import { PlatformModule } from '#libs/platform';
import { testDatabaseUrl, testPublicKeys, testSigning } from '#libs/testing';
import { OrdersModule } from '../../apps/orders/src/orders.module.js';

/** Orders on the test database in `schema`, its tokens signed with `secret`, its clock stopped at `now`. */
export function compileOrders(options: { schema: string; secret: string; now: Date }): Promise<TestingModule> {
  const { schema, secret, now } = options;
  return Test.createTestingModule({
    imports: [
      PlatformModule.forRoot({ serviceName: 'orders', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(secret), LOG_LEVEL: 'error' } }),
      OrdersModule.forRoot({ databaseUrl: testDatabaseUrl(), signing: testSigning(secret), env: { MESHFAB_ORDERS_SCHEMA: schema }, clock: () => now, pool: { poolSize: 4 } }),
    ],
  }).compile();
}
