// Bad input, property-based: every HTTP endpoint of the network (found from Nest's route metadata, so
// none can be forgotten) gets FUZZ_RUNS (default 1,000) hostile requests: mutated and random JSON
// bodies, malformed and non-JSON bodies, hostile query strings and path segments, sent with a fresh
// token of a role allowed to call it. The properties: never a 5xx; every 4xx is JSON with a code and a
// readable message; a refused request (and any GET) stores nothing. Also the request edge itself:
// oversized bodies 413 before reading, deep JSON 400 before parsing, non-JSON 415.
//
// A GET has no body to mutate (only its path segments and query string vary), so it gets a quarter as
// many cases (FUZZ_GET_RUNS, default FUZZ_RUNS / 4): half the endpoints are GETs, and the suite must fit
// the CI budget as endpoints are added.
//
// Reproduce a failure with FUZZ_SEED=<seed printed in the failure>; FUZZ_RUNS raises the number of
// cases per endpoint (the chaos suite runs more).
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { type Role } from '#libs/platform';
import { schemaVariable, startHost, type RunningHost } from '#libs/runtime';
import { testDatabaseUrl, testSigningEnv, testTokens } from '#libs/testing';
import { MeshfabClient } from '../../apps/network/src/client/meshfab-client.js';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';
import { deepJsonText, fromPlain, hostileJson, hostileString, idempotencyKey, malformedJsonText, mutate, mutation, pathSegment, queryString, toJsonText } from './fuzz/arbitraries.js';
import { discoverEndpoints, dtoProperties, openApiOperations, servedRoutes, type Endpoint } from './fuzz/endpoints.js';
import { BODY_EXAMPLES } from './fuzz/examples.js';
import { NetworkStores } from './fuzz/stores.js';
import { joinNetwork, orderLifecycle } from './order-lifecycle.scenario.js';
import { dropSchemas, freshSchemas } from './service-schemas.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const GET_RUNS = Number(process.env.FUZZ_GET_RUNS ?? Math.ceil(RUNS / 4));
const runsFor = (endpoint: Endpoint) => (endpoint.method === 'GET' ? GET_RUNS : RUNS);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const SECRET = 'fuzz-secret-that-is-long-enough-for-hs256-signing';
const OPERATOR = 'op_fuzz-operator-token-0123456789abcdef';
// Smaller than the defaults (1 MiB, 32) to show both are configurable; still far above any real request.
const MAX_BODY_BYTES = 256 * 1024;
const MAX_DEPTH = 24;

interface Principal {
  sub: string;
  role: Role;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

type BodyCase = { kind: 'none' } | { kind: 'json'; text: string } | { kind: 'raw'; contentType?: string; text: string };

interface Case {
  principal: Principal | undefined;
  segments: string[];
  query: string;
  body: BodyCase;
  idempotencyKey: string | undefined;
}

const schemas = freshSchemas('fuzz');
const env: Record<string, string> = {
  ...schemas,
  DATABASE_URL: testDatabaseUrl(),
  PORT: '0',
  ...testSigningEnv(SECRET),
  MESHFAB_OPERATOR_TOKEN: OPERATOR,
  LOG_LEVEL: 'fatal',
  MESHFAB_DATA_DIR: '.data/e2e',
  MESHFAB_HTTP_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  MESHFAB_HTTP_MAX_JSON_DEPTH: String(MAX_DEPTH),
  // Thousands of calls a second from one member: the rate limiter is not what is under test here.
  MESHFAB_RATE_LIMIT_PER_SECOND: '0',
  MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: '0',
  // The SSE stream answers with a stream that ends soon.
  MESHFAB_NOTIFICATIONS_STREAM_MAX_MS: '200',
  // Background sweeps would append events while a refused request is being checked for writes.
  MATCHING_EXPIRY_SWEEP_MS: String(2 ** 30),
  MATCHING_RETRY_SWEEP_MS: String(2 ** 30),
};

const ERROR_CODE = /^[a-z][a-z0-9_]*$/;

/** Why an answer breaks the properties, or undefined: no 5xx, and every 4xx a JSON `{ error, message }`. */
function answerProblem(answer: Answer): string | undefined {
  if (answer.status >= 500) return `a ${answer.status}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType.startsWith('application/json')) return `a ${answer.status} that is not JSON (${answer.contentType || 'no content type'})`;
  const body = answer.body as { error?: unknown; message?: unknown } | undefined;
  if (typeof body?.error !== 'string' || !ERROR_CODE.test(body.error)) return `a ${answer.status} without a machine-readable error code`;
  if (typeof body.message !== 'string' || body.message.trim().length < 3) return `a ${answer.status} without a readable message`;
  if (/\n\s+at /.test(body.message)) return `a ${answer.status} whose message carries a stack trace`;
  return undefined;
}

const short = (text: string, max = 600) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

describe('every HTTP endpoint under fuzzing (the network in one process)', () => {
  const tokens = testTokens(SECRET);
  let host: RunningHost;
  let stores: NetworkStores;
  let endpoints: Endpoint[];
  let principals: Principal[];
  let realIds: string[];
  let seededWorkshop: string;

  // One signed token per member, made when first needed (the static operator token for 'static').
  const signed = new Map<string, Promise<string>>();
  const tokenOf = (p: Principal): Promise<string> => {
    if (p.sub === 'static') return Promise.resolve(OPERATOR);
    let token = signed.get(p.sub);
    if (!token) signed.set(p.sub, (token = tokens.issue(p)));
    return token;
  };

  async function send(method: string, path: string, c: Pick<Case, 'principal' | 'body' | 'idempotencyKey'>): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (c.principal) headers.authorization = `Bearer ${await tokenOf(c.principal)}`;
    if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
    let body: Uint8Array | undefined;
    if (c.body.kind === 'json') headers['content-type'] = 'application/json';
    if (c.body.kind === 'raw' && c.body.contentType) headers['content-type'] = c.body.contentType;
    if (c.body.kind !== 'none') body = new TextEncoder().encode(c.body.text);
    const response = await fetch(`${host.url}${path}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, body: parsed };
  }

  beforeAll(async () => {
    host = await startHost('network', NETWORK_SERVICES, { embedded: true, env: { ...env } });
    stores = await NetworkStores.connect(testDatabaseUrl(), NETWORK_SERVICES.map((s) => ({ service: s.name, schema: schemas[schemaVariable(s.name)], consumes: s.consumes })));
    endpoints = discoverEndpoints(host.app);

    // Real data first, so path parameters are sometimes ids that exist and belong to the caller: a
    // completed order (paid, reworked, paid out) and an open one whose offers wait for an answer.
    const client = new MeshfabClient(host.url);
    const actors = { operator: OPERATOR };
    const done = await orderLifecycle(client, actors);
    seededWorkshop = done.cut.workshopId as string;
    const { members, orders } = await joinNetwork(client, actors);
    const openBrand = await members.brand('Fuzz Open Orders', 5_000_000);
    const openOrder = await orders.submit(openBrand);
    await orders.offer(openOrder, 'cut');
    await stores.settle();
    principals = [
      { sub: 'static', role: 'operator' },
      { sub: `operator-${randomUUID()}`, role: 'operator' },
      { sub: (done.brand as { id: string }).id, role: 'brand' },
      { sub: openBrand.id as string, role: 'brand' },
      ...[...members.workshops.keys()].map((id): Principal => ({ sub: id, role: 'workshop' })),
      ...[...members.inspectors.keys()].map((id): Principal => ({ sub: id, role: 'inspector' })),
    ];
    realIds = [...(await stores.knownIds(300)), 'cut', 'sew', 'cutting', 'sewing', done.orderId, openOrder];
  }, 300_000);

  afterAll(async () => {
    await stores?.close();
    await host?.stop();
    await dropSchemas(schemas);
  });

  it("finds every endpoint: Nest's route metadata, the OpenAPI document and Express's router agree", async () => {
    const found = endpoints.map((e) => e.key);
    const documented = openApiOperations((await (await fetch(`${host.url}/docs-json`)).json()) as never);
    // Everything the OpenAPI document lists is fuzzed; the only routes it leaves out are the public probes.
    expect(found.filter((key) => !documented.includes(key))).toEqual(['GET /health', 'GET /health/ready', 'GET /metrics']);
    expect(documented.filter((key) => !found.includes(key))).toEqual([]);
    // Everything Express serves is fuzzed, except Swagger's own pages.
    const served = servedRoutes(host.app).filter((route) => !/ \/docs/.test(route));
    expect(served.filter((key) => !found.includes(key))).toEqual([]);
    expect(found.length).toBeGreaterThanOrEqual(50);
    // Every body gets mutated from a valid example; every non-public endpoint names who may call it.
    expect(endpoints.filter((e) => e.body && !BODY_EXAMPLES[e.body.name]).map((e) => `${e.key} (${e.body?.name})`)).toEqual([]);
    expect(endpoints.filter((e) => !e.isPublic && e.roles.length === 0)).toEqual([]);
  });

  it('refuses oversized, deep, malformed and non-JSON bodies early, with the standard error shape', async () => {
    const operator = { sub: 'static', role: 'operator' as const };
    // Results are the assigned inspector's alone (the operator is refused before validation).
    const inspectorPrincipal = principals.find((p) => p.role === 'inspector')!;
    const post = (body: BodyCase) => send('POST', '/registry/brands', { principal: operator, body, idempotencyKey: undefined });
    const before = await stores.counts();

    // Over the configured limit (a quarter of the default): 413.
    expect(await post({ kind: 'json', text: `{"name":"${'x'.repeat(MAX_BODY_BYTES)}"}` })).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    // Just under the limit the body is read and parsed: what refuses it is validation, not the size.
    const underLimit = JSON.stringify({ name: 'Padded', contactEmail: 'x'.repeat(MAX_BODY_BYTES - 100) });
    expect(await post({ kind: 'json', text: underLimit })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });

    // 413 from the declared length alone: the server answers without waiting for a body that never comes.
    const early = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${host.url}/registry/brands`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024), authorization: `Bearer ${OPERATOR}` } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(early).toBe(413);

    const nested = (depth: number) => `{"name":"Deep","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(await post({ kind: 'json', text: nested(MAX_DEPTH + 1) })).toMatchObject({ status: 400, body: { error: 'json_too_deep' } });
    // At the limit the body is parsed and validated (the unknown field is what is refused).
    expect(await post({ kind: 'json', text: nested(MAX_DEPTH) })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    // Depth is decided on the raw bytes before parsing: a deep body that is also broken is refused for its depth.
    expect(await post({ kind: 'json', text: `${'['.repeat(MAX_DEPTH + 5)}1,` })).toMatchObject({ status: 400, body: { error: 'json_too_deep' } });
    expect(await post({ kind: 'json', text: '{"name":' })).toMatchObject({ status: 400, body: { error: 'malformed_json' } });
    expect(await post({ kind: 'json', text: '{"name":"a\\u0000b"}' })).toMatchObject({ status: 400, body: { error: 'nul_character' } });
    // An escaped backslash followed by "u0000" is ordinary text.
    expect(await post({ kind: 'json', text: '{"name":"a\\\\u0000b","x":1}' })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', undefined]) {
      expect(await post({ kind: 'raw', contentType, text: 'name=Form+Brand' })).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    }
    expect(await post({ kind: 'raw', contentType: 'application/json; charset=latin1', text: '{"name":"Latin"}' })).toMatchObject({ status: 415 });
    const nul = await send('GET', '/registry/brands/%00', { principal: operator, body: { kind: 'none' }, idempotencyKey: undefined });
    expect(nul).toMatchObject({ status: 400, body: { error: 'nul_character' } });
    // 5xx the fuzzer found, now 400s: an array where a nested object belongs (class-validator let it through).
    const capability = { process: 'cutting', efficiency: 1, pricing: 'per_unit', price: { amountMinor: 150, currency: 'CNY' } };
    const workshop = { name: 'Nested Arrays', location: { lat: 29.8, lng: 121.5 } };
    for (const [method, path, body] of [
      ['PUT', `/registry/workshops/${realIds[0]}/capabilities`, { capabilities: [[capability]] }],
      ['POST', '/registry/workshops', { ...workshop, capabilities: [[capability]] }],
      ['POST', '/registry/workshops', { ...workshop, capabilities: [{ ...capability, price: [capability.price] }] }],
      ['POST', '/registry/workshops', { ...workshop, location: [workshop.location] }],
      ['POST', '/settlement/manual-credits', { brandId: realIds[0], amount: [{ amountMinor: 100, currency: 'CNY' }], reason: 'fuzz' }],
    ] as const) {
      const answer = await send(method, path, { principal: operator, body: { kind: 'json', text: JSON.stringify(body) }, idempotencyKey: randomUUID() });
      expect([method, path, answer.status, (answer.body as { error?: string }).error]).toEqual([method, path, 400, 'validation_failed']);
    }
    // More 5xx the fuzzer found: a page past PostgreSQL's bigint offset, a result without its defect counts.
    for (const path of ['/registry/workshops?limit=184467440737095520', '/settlement/ledger/transfers?limit=123456789012345678901234567890', `/settlement/accounts/${realIds[0]}/entries?limit=1e20`]) {
      const answer = await send('GET', path, { principal: operator, body: { kind: 'none' }, idempotencyKey: undefined });
      expect([path, answer.status, (answer.body as { error?: string }).error]).toEqual([path, 400, 'validation_failed']);
    }
    for (const id of [realIds[0], 'CNY']) {
      const answer = await send('POST', `/inspection/lots/${id}/results`, { principal: inspectorPrincipal, body: { kind: 'json', text: JSON.stringify({ sampled: 8 }) }, idempotencyKey: undefined });
      expect([id, answer.status, (answer.body as { error?: string }).error]).toEqual([id, 400, 'validation_failed']);
    }
    // And a field that may be left out sent as null (class-validator's @IsOptional lets null through).
    for (const body of [{ name: null }, { location: null }, { certifications: null }]) {
      const answer = await send('PATCH', `/registry/workshops/${seededWorkshop}`, { principal: operator, body: { kind: 'json', text: JSON.stringify(body) }, idempotencyKey: undefined });
      expect([body, answer.status, (answer.body as { error?: string }).error]).toEqual([body, 400, 'validation_failed']);
    }
    const longUrl = await send('GET', `/registry/brands/${'x'.repeat(20_000)}`, { principal: operator, body: { kind: 'none' }, idempotencyKey: undefined });
    expect(longUrl).toMatchObject({ status: 431, body: { error: 'headers_too_large' } });
    expect(await stores.counts()).toEqual(before);
  }, 120_000);

  it(`answers ${RUNS} hostile requests per endpoint (${GET_RUNS} per GET) with no 5xx, coded 4xx, and nothing stored by a refusal`, async () => {
    const failures: string[] = [];
    const summary: string[] = [];
    let baseline = await stores.counts();
    let total = 0;
    let accepted = 0;
    const started = Date.now();

    for (const [index, endpoint] of endpoints.entries()) {
      const example = endpoint.body ? BODY_EXAMPLES[endpoint.body.name]() : {};
      const exampleText = JSON.stringify(example);
      const known = endpoint.body ? dtoProperties(endpoint.body) : [];
      // fetch sends no body with a GET; every other method gets every kind of body, wanted or not.
      const bodyArb: fc.Arbitrary<BodyCase> = endpoint.method === 'GET' ? fc.constant({ kind: 'none' }) : fc.oneof(
        { weight: endpoint.body ? 1 : 8, arbitrary: fc.constant<BodyCase>({ kind: 'none' }) },
        { weight: endpoint.body ? 14 : 1, arbitrary: fc.array(mutation(known), { minLength: 1, maxLength: 3 }).map((ms): BodyCase => ({ kind: 'json', text: toJsonText(ms.reduce((doc, m) => mutate(doc, m), fromPlain(example))) })) },
        { weight: 1, arbitrary: fc.constant<BodyCase>({ kind: 'json', text: exampleText }) },
        { weight: 3, arbitrary: hostileJson(known).map((j): BodyCase => ({ kind: 'json', text: toJsonText(j) })) },
        { weight: 1, arbitrary: malformedJsonText(exampleText).map((text): BodyCase => ({ kind: 'json', text })) },
        { weight: 1, arbitrary: deepJsonText(MAX_DEPTH).map((text): BodyCase => ({ kind: 'json', text })) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', undefined), hostileString.filter((s) => s.length > 0))
            .map(([contentType, text]): BodyCase => ({ kind: 'raw', contentType, text })),
        },
      );
      // Turning the bootstrap credential off is done once, for good: fuzzed as the credential itself (always refused,
      // 403 named_operator_required), so the rest of the run keeps its operator (the security matrix turns it off).
      const callers = endpoint.key === 'POST /registry/operators/bootstrap/disable' ? principals.filter((p) => p.sub === 'static') : principals;
      const allowed = endpoint.isPublic ? [undefined] : callers.filter((p) => endpoint.roles.includes(p.role));
      const caseArb: fc.Arbitrary<Case> = fc.record({
        principal: fc.constantFrom(...allowed),
        segments: fc.tuple(...endpoint.pathParams.map(() => pathSegment(realIds))),
        query: fc.oneof(fc.constant(''), queryString(endpoint.queryParams)),
        body: bodyArb,
        idempotencyKey: endpoint.headers.includes('idempotency-key') ? idempotencyKey : fc.constant(undefined),
      });
      // A tiny oversized share, outside fast-check's bias towards small values: one in fifty bodies.
      const oversized = (c: Case, n: number): Case => (n % 50 === 49 && endpoint.method !== 'GET' ? { ...c, body: { kind: 'json', text: `{"name":"${'x'.repeat(MAX_BODY_BYTES)}"}` } } : c);

      const statuses = new Map<number, number>();
      let runs = 0;
      const property = fc.asyncProperty(caseArb, async (generated) => {
        const c = oversized(generated, runs);
        runs += 1;
        total += 1;
        let i = 0;
        const path = endpoint.path.replace(/:\w+/g, () => c.segments[i++]) + c.query;
        const answer = await send(endpoint.method, path, c);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const request = `${endpoint.method} ${short(path, 300)} as ${c.principal?.role ?? 'anonymous'}${c.idempotencyKey === undefined ? '' : ` (Idempotency-Key ${short(c.idempotencyKey, 60)})`}\nbody: ${c.body.kind === 'none' ? '(none)' : short(c.body.text)}`;
        const problem = answerProblem(answer);
        if (problem) throw new Error(`${problem}\n${request}\nanswer: ${answer.status} ${short(answer.text)}`);
        if (answer.status >= 300 || endpoint.method === 'GET') {
          const after = await stores.counts();
          if (JSON.stringify(after) !== JSON.stringify(baseline)) {
            const changed = Object.keys(after).filter((k) => after[k] !== baseline[k]).map((k) => `${k}: ${baseline[k]} → ${after[k]}`);
            baseline = after;
            throw new Error(`a ${answer.status} stored something (${changed.join(', ')})\n${request}\nanswer: ${short(answer.text)}`);
          }
        } else {
          // An accepted write may store, and sets consumers off: wait until they are done, then take stock.
          accepted += 1;
          await stores.settle();
          baseline = await stores.counts();
        }
      });
      try {
        await fc.assert(property, { numRuns: runsFor(endpoint), seed: SEED + index, includeErrorInReport: true });
      } catch (error) {
        failures.push(`${endpoint.key} (FUZZ_SEED=${SEED}, endpoint seed ${SEED + index}):\n${error instanceof Error ? error.message : String(error)}`);
        await stores.settle();
        baseline = await stores.counts();
      }
      const byStatus = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
      summary.push(`${endpoint.key.padEnd(60)} ${String(runs).padStart(5)} cases  ${byStatus}`);
      if (!endpoint.isPublic) {
        // The token always passes the guard: the requests reach validation and the handlers.
        if ((statuses.get(401) ?? 0) > 0) failures.push(`${endpoint.key}: ${statuses.get(401)} answers were 401 although every token was valid`);
      }
    }
    process.stdout.write(`\nHTTP fuzz: ${endpoints.length} endpoints, ${total} requests (${accepted} accepted writes) in ${Math.round((Date.now() - started) / 1000)} s, seed ${SEED}\n${summary.join('\n')}\n`);
    expect(failures).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(endpoints.reduce((sum, endpoint) => sum + runsFor(endpoint), 0));

    // Nothing a fuzzed request set off made a consumer give up on a message.
    const deadLetters = await new MeshfabClient(host.url).get<{ service: string; deadLetters: unknown[] }[]>('/admin/dead-letters', OPERATOR);
    expect(deadLetters.filter((d) => d.deadLetters.length > 0)).toEqual([]);
  }, 1_800_000);
});
