// Security of the whole network through its HTTP APIs: every endpoint × every caller (operator,
// brand A, brand B, workshop A, workshop B, inspector, and callers with no, expired, revoked, forged or
// unsigned tokens) against the hand-written table in ./security/access-table.ts; other tenants' data
// hidden behind 404s that read exactly like a missing resource; and rate limits answering 429.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, testTokens } from '#libs/testing';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { ACCESS_TABLE, type AccessRow, type Expected, type SignedAccess } from './security/access-table.js';
import { enumerateEndpoints, type EndpointKey } from './security/endpoints.js';
import { buildWorld, INTRUDERS, MEMBER_ROLES, type Caller, type MemberRole, type World } from './security/world.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const SECRET = 'security-e2e-secret-that-is-long-enough-for-hs256';
const OPERATOR = 'op_security-e2e-operator-token-0123456789';
/** The payment providers' webhook secrets of this network (Standard Webhooks: whsec_ and base64 bytes). */
const WEBHOOK_SECRETS: Record<string, string> = { sandbox: `whsec_${randomBytes(32).toString('base64')}` };
const OTHER_KEY = `whsec_${randomBytes(32).toString('base64')}`;

function envFor(services: readonly { name: string }[], extra: Record<string, string>): Record<string, string> {
  return { ...freshSchemas('sec', services), DATABASE_URL: testDatabaseUrl(), PORT: '0', ...testSigningEnv(SECRET), MESHFAB_OPERATOR_TOKEN: OPERATOR, LOG_LEVEL: 'warn', MESHFAB_DATA_DIR: '.data/e2e', ...extra };
}

interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/**
 * Standard Webhooks headers for `text` (written here from the spec, standardwebhooks.com, not borrowed
 * from settlement): HMAC-SHA256 with the secret's base64 bytes over `${id}.${timestamp}.${body}`.
 */
function webhookHeaders(secret: string, text: string): Record<string, string> {
  const id = `msg_${randomUUID()}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${text}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

type Signature = 'none' | 'other-key' | 'valid';

async function send(
  url: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  idempotencyKey?: string,
  signature?: { secret: string },
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  if (signature) Object.assign(headers, webhookHeaders(signature.secret, payload ?? ''));
  const response = await fetch(`${url}${path}`, { method, headers, body: payload });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // text answers (metrics) stay text
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

const INTRUDER_CALLERS = Object.keys(INTRUDERS) as (keyof typeof INTRUDERS)[];
const CALLERS: Caller[] = [...MEMBER_ROLES, ...INTRUDER_CALLERS];

const isSigned = (access: AccessRow['access']): access is SignedAccess => typeof access === 'object' && 'signedBy' in access;

/** One call of the matrix: who calls, how the body is signed (signed rows only), what must come back. */
interface Attempt {
  caller: Caller;
  signature?: Signature;
  expected: Expected | 401;
  /** The error code of a refusal. */
  error?: string;
}

function attemptsFor(row: AccessRow, caller: Caller): Attempt[] {
  const access = row.access;
  if (access === 'public') return [{ caller, expected: 'allow' }];
  if (isSigned(access)) {
    // Whatever bearer token comes along (none, a member's, a forged one), only the signature decides.
    return [
      { caller, signature: 'none', expected: 401, error: 'webhook_headers_missing' },
      { caller, signature: 'other-key', expected: 401, error: 'webhook_signature_invalid' },
      { caller, signature: 'valid', expected: 'allow' },
    ];
  }
  const member = (MEMBER_ROLES as readonly string[]).includes(caller);
  return [{ caller, expected: member ? access[caller as MemberRole] : 401, error: member ? undefined : INTRUDERS[caller as keyof typeof INTRUDERS] }];
}

/** What of brand A's side `caller` must never see: everything for the other tenants and intruders, names and product for the inspector. */
function forbiddenMarkers(w: World, row: AccessRow, caller: Caller): string[] {
  const commercial = Object.values(w.secretsOfA);
  if (caller === 'inspector') return commercial;
  // The service credential reads whole event feeds (as a Kafka consumer would): nothing is hidden from it there, and it gets nothing else.
  if (caller === 'brandA' || caller === 'workshopA' || caller === 'operator' || caller === 'service') return [];
  const ids = [w.orderId, w.brandA.id, w.lotId, w.cutSubtaskId, w.sewSubtaskId, ...(row.showsWorkshopDirectory ? [] : [w.workshopA.id])];
  return [...commercial, ...ids];
}

describe('security matrix: every endpoint × every caller', () => {
  // The matrix itself sends a few hundred calls with bad tokens from one address: lift the anonymous limit here
  // (the rate limit has its own test below).
  const env = envFor(NETWORK_SERVICES, {
    MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: '0',
    // The sandbox provider signs with this network's secret; the matrix signs its webhook calls with it too.
    MESHFAB_SETTLEMENT_PROVIDER_SECRETS: Object.entries(WEBHOOK_SECRETS).map(([name, secret]) => `${name}=${secret}`).join(','),
    MESHFAB_SETTLEMENT_SANDBOX_PROVIDER: 'true',
    // An allowed call of the SSE stream gets an answer that ends.
    MESHFAB_NOTIFICATIONS_STREAM_MAX_MS: '200',
  });
  let host: RunningHost;
  let w: World;
  let endpoints: EndpointKey[];

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env } });
    endpoints = enumerateEndpoints(host.app);
    w = await buildWorld(new MeshfabClient(host.url), OPERATOR, SECRET);
  }, 240_000);
  afterAll(async () => {
    await host?.stop();
    await dropSchemas(env);
  });

  it('has a row for every endpoint the network serves, and none for an endpoint that is gone', () => {
    expect(endpoints.length).toBeGreaterThan(40);
    const rows = Object.keys(ACCESS_TABLE);
    expect({ unclassified: endpoints.filter((e) => !rows.includes(e)), stale: rows.filter((r) => !endpoints.includes(r as EndpointKey)) }).toEqual({ unclassified: [], stale: [] });
  });

  it('knows every operation of the OpenAPI document too', async () => {
    const doc = (await send(host.url, 'GET', '/docs-json', undefined)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.length).toBeGreaterThan(30);
    expect(documented.filter((d) => !endpoints.includes(d as EndpointKey))).toEqual([]);
  });

  it('lets exactly the allowed callers through; other tenants get 404 without data, intruders 401', async () => {
    const failures: string[] = [];
    const counts: Record<string, number> = {};
    const cell = async (key: EndpointKey, row: AccessRow, { caller, signature, expected, error }: Attempt) => {
      const [method] = key.split(' ');
      const path = row.path(w);
      const token = caller === 'anonymous' ? undefined : w.tokens[caller];
      const secret = !signature || signature === 'none' ? undefined : signature === 'valid' ? WEBHOOK_SECRETS[(row.access as SignedAccess).signedBy] : OTHER_KEY;
      if (signature && signature !== 'none' && !secret) throw new Error(`${key}: no webhook secret for ${(row.access as SignedAccess).signedBy}`);
      const answer = await send(host.url, method, path, token, row.body?.(w, caller), row.idempotencyKey ? randomUUID() : undefined, secret ? { secret } : undefined);
      const where = `${key} as ${caller}${signature ? ` signed: ${signature}` : ''} (${method} ${path}) → ${answer.status} ${answer.text.slice(0, 200)}`;
      counts[expected === 'allow' ? 'allowed' : String(expected)] = (counts[expected === 'allow' ? 'allowed' : String(expected)] ?? 0) + 1;
      if (expected === 'allow') {
        if (answer.status >= 500 || [401, 403, 404].includes(answer.status)) failures.push(`expected to get through: ${where}`);
        else if (answer.status < 300) {
          try {
            row.check?.(w, caller as MemberRole, answer.body);
            row.after?.(w, caller as MemberRole, answer.body);
          } catch (error) {
            failures.push(`${where}: ${error instanceof Error ? error.message.split('\n').slice(0, 6).join(' ') : String(error)}`);
          }
        }
      } else {
        if (answer.status !== expected) failures.push(`expected ${expected}: ${where}`);
        const code = typeof answer.body === 'object' && answer.body !== null ? (answer.body as { error?: unknown; message?: unknown }) : {};
        if (typeof code.error !== 'string' || typeof code.message !== 'string') failures.push(`no { error, message } body: ${where}`);
        if (error !== undefined && code.error !== error) failures.push(`expected error ${error}: ${where}`);
      }
      // Whatever the answer, nothing of brand A's side that this caller has no right to: the caller's own
      // path (echoed in a not-found message) aside.
      let text = answer.text;
      for (const segment of path.split('?')[0].split('/').filter(Boolean)) text = text.split(segment).join('');
      const leaked = forbiddenMarkers(w, row, caller).filter((marker) => text.includes(marker));
      if (leaked.length > 0) failures.push(`leaks ${leaked.join(', ')}: ${where}`);
    };

    const rows = Object.entries(ACCESS_TABLE) as [EndpointKey, AccessRow][];
    // Refusals first: they must change nothing, so the allowed calls after them still find the world as built.
    const attempts = (row: AccessRow, allowed: boolean) => CALLERS.flatMap((caller) => attemptsFor(row, caller)).filter((a) => (a.expected === 'allow') === allowed);
    for (const [key, row] of rows) for (const attempt of attempts(row, false)) await cell(key, row, attempt);
    for (const [key, row] of rows) if (!row.last) for (const attempt of attempts(row, true)) await cell(key, row, attempt);
    for (const [key, row] of rows) if (row.last) for (const attempt of attempts(row, true)) await cell(key, row, attempt);

    process.stdout.write(`security matrix: ${rows.length} endpoints × ${CALLERS.length} callers: ${JSON.stringify(counts)}\n`);
    expect(failures).toEqual([]);
  }, 300_000);

  it('refuses the bootstrap credential everywhere once the named operator turned it off (the matrix did, last)', async () => {
    for (const path of ['/registry/workshops?process=cutting', '/orders', '/admin/dead-letters', '/inspection/sampling-plans?lotSize=200&level=II&aql=2.5']) {
      const answer = await send(host.url, 'GET', path, OPERATOR);
      expect({ path, status: answer.status, error: answer.body?.error }).toEqual({ path, status: 401, error: 'token_revoked' });
    }
    expect((await send(host.url, 'GET', `/registry/operators/${w.operator.id}`, w.tokens.operator)).status).toBe(200);
  });

  it("answers another tenant's resource exactly as a missing one", async () => {
    const hidden = [
      { caller: 'brandB', path: (id: string) => `/orders/${id}`, id: () => w.orderId },
      { caller: 'brandB', path: (id: string) => `/settlement/orders/${id}/statement`, id: () => w.orderId },
      { caller: 'workshopB', path: (id: string) => `/matching/subtasks/${id}`, id: () => w.cutSubtaskId },
      { caller: 'workshopB', path: (id: string) => `/inspection/lots/${id}`, id: () => w.lotId },
      { caller: 'brandB', path: (id: string) => `/settlement/accounts/${id}`, id: () => w.brandA.id },
    ] as const;
    for (const probe of hidden) {
      const missing = randomUUID();
      const token = w.tokens[probe.caller];
      const real = await send(host.url, 'GET', probe.path(probe.id()), token);
      const absent = await send(host.url, 'GET', probe.path(missing), token);
      expect({ path: probe.path(':id'), status: real.status, body: real.text.split(probe.id()).join(':id') }).toEqual({
        path: probe.path(':id'),
        status: absent.status,
        body: absent.text.split(missing).join(':id'),
      });
      expect(real.status).toBe(404);
    }
  }, 60_000);
});

describe('rate limits', () => {
  const inspection = NETWORK_SERVICES.filter((s) => s.name === 'inspection');
  const env = envFor(inspection, {
    MESHFAB_RATE_LIMIT_PER_SECOND: '0.1',
    MESHFAB_RATE_LIMIT_BURST: '5',
    MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: '0.1',
    MESHFAB_RATE_LIMIT_ANONYMOUS_BURST: '3',
  });
  let host: RunningHost;
  const tokens = testTokens(SECRET);
  const plans = '/inspection/sampling-plans?lotSize=200&level=II&aql=2.5';

  beforeAll(async () => {
    host = await startHost('inspection', inspection, { embedded: true, env: { ...env } });
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await dropSchemas(env);
  });

  /** Calls until the first 429 (at most `max`): the statuses before it, and the 429. */
  async function untilThrottled(token: string | undefined, max = 30): Promise<{ before: number[]; refused?: Answer }> {
    const before: number[] = [];
    for (let i = 0; i < max; i += 1) {
      const answer = await send(host.url, 'GET', plans, token);
      if (answer.status === 429) return { before, refused: answer };
      before.push(answer.status);
    }
    return { before };
  }

  it('throttles guessed tokens by address hardest, a member by its own budget, and never the probes', async () => {
    // Anonymous and forged-token calls share the address's small bucket (3): the fourth bad call is refused.
    const forged = await testTokens('a-guessed-secret-that-is-long-enough-000').issue({ sub: 'x', role: 'operator' });
    const guessing = await untilThrottled(forged);
    expect(guessing.before).toEqual([401, 401, 401]);
    expect(guessing.refused?.body).toEqual({ error: 'rate_limited', message: expect.stringMatching(/try again in \d+ s/) });
    expect(Number(guessing.refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await send(host.url, 'GET', plans, undefined)).status).toBe(429);

    // A member with a valid token is not held up by the address's bad calls, and has its own budget (5).
    const brand = await tokens.issue({ sub: `brand-${randomUUID()}`, role: 'brand' });
    const member = await untilThrottled(brand);
    expect(member.before.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(member.refused?.status).toBe(429);
    expect(member.refused?.body).toMatchObject({ error: 'rate_limited' });

    // Another member still gets through; the operator's static token is a member too.
    expect((await send(host.url, 'GET', plans, await tokens.issue({ sub: `brand-${randomUUID()}`, role: 'brand' }))).status).toBe(200);
    expect((await send(host.url, 'GET', plans, OPERATOR)).status).toBe(200);

    // Health probes are never throttled.
    for (let i = 0; i < 10; i += 1) expect((await send(host.url, 'GET', '/health', undefined)).status).toBe(200);
  }, 60_000);
});
