// HTTP helpers the settlement integration specs share: settlement with the sandbox provider behind the real
// platform edge, a call as a named principal, a signed webhook.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PlatformModule, useRequestEdge } from '#libs/platform';
import { testDatabaseUrl, testPublicKeys, testSigning } from '#libs/testing';
import { signWebhook } from '../../apps/settlement/src/funding/standard-webhooks.js';
import { SettlementModule } from '../../apps/settlement/src/settlement.module.js';

/**
 * The settlement module behind the real platform edge (JWT with the test keys of `keySeed`, raw bodies,
 * errors, validation) on a real PostgreSQL schema, hosting the sandbox payment provider (10 ms delay, every
 * webhook delivered twice) signed with `providerSecret`; `env` adds settlement settings. Listens on a free port.
 */
export async function startSettlementWithSandbox(o: { schema: string; keySeed: string; providerSecret: string; env?: Record<string, string> }): Promise<{ app: INestApplication; base: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      PlatformModule.forRoot({ serviceName: 'settlement', config: { PORT: 0, MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(o.keySeed), LOG_LEVEL: 'silent', MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: 0 } }),
      SettlementModule.forRoot({
        databaseUrl: testDatabaseUrl(),
        signing: testSigning(o.keySeed),
        env: {
          MESHFAB_SETTLEMENT_SCHEMA: o.schema,
          MESHFAB_SETTLEMENT_PROVIDER_SECRETS: `sandbox=${o.providerSecret}`,
          MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true',
          MESHFAB_SANDBOX_PROVIDER_DELAY_MS: '10',
          MESHFAB_SANDBOX_PROVIDER_DUPLICATE_PERCENT: '100',
          ...o.env,
        },
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false, bodyParser: false });
  useRequestEdge(app);
  await app.listen(0, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * `call(method, path, { as, key, body | csv })` against the app at `base()` (known once it listens),
 * with the bearer token `tokenOf[as]` and the Idempotency-Key `key` when given.
 */
export function httpCaller(base: () => string, tokenOf: Record<string, string>) {
  return async (method: string, path: string, options: { as?: string; body?: unknown; key?: string; csv?: string } = {}): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { 'content-type': options.csv !== undefined ? 'text/csv' : 'application/json' };
    if (options.as) headers.authorization = `Bearer ${tokenOf[options.as]}`;
    if (options.key) headers['idempotency-key'] = options.key;
    const body = options.csv ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const res = await fetch(`${base()}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

/** Delivers `body` to the sandbox provider's webhook, signed with `secret` (Standard Webhooks) unless `signature` is given. */
export async function sendWebhook(
  base: string,
  secret: string,
  body: string,
  o: { webhookId: string; timestamp?: number; signature?: string },
): Promise<{ status: number; body: any }> {
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${base}/settlement/webhooks/sandbox`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': o.webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': o.signature ?? signWebhook(secret, o.webhookId, timestamp, body),
    },
    body,
  });
  return { status: res.status, body: await res.json() };
}
