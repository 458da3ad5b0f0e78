import { Body, Controller, Get, Injectable, Module, Param, Post, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsIn, IsInt, IsString, Min, MinLength, ValidateNested } from 'class-validator';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { NotFound } from '#libs/domain';
import { CurrentPrincipal, Roles } from './auth/auth.decorators.js';
import { assertOwnership } from './auth/ownership.js';
import type { Principal } from './auth/principal.js';
import { TOKEN_REVOCATION, type TokenRevocationCheck } from './auth/token-revocation.js';
import { loadConfig } from './config/load-config.js';
import { PlatformConfig } from './config/platform.config.js';
import { configureHttpApp } from './configure-http-app.js';
import { INTERNAL_ERROR_MESSAGE } from './errors/error-response.js';
import { HealthRegistry } from './health/health.registry.js';
import { currentCorrelationId } from './logging/correlation.js';
import { createLogger } from './logging/logger.js';
import { ObservabilityModule } from './observability.module.js';
import { PlatformModule } from './platform.module.js';
import { testPublicKeys, testTokens } from '#libs/testing';

const SECRET = 'a-test-secret-that-is-long-enough-123';

class RouteStepDto {
  @IsIn(['cut', 'sew', 'print'])
  process!: string;

  @IsInt()
  @Min(1)
  minutes!: number;
}

class CreateOrderDto {
  @IsString()
  @MinLength(3)
  title!: string;

  @ValidateNested({ each: true })
  @Type(() => RouteStepDto)
  @ArrayMinSize(1)
  route!: RouteStepDto[];
}

@Controller('orders')
class OrdersController {
  @Post()
  @Roles('brand', 'operator')
  create(@Body() order: CreateOrderDto, @CurrentPrincipal() principal: Principal): object {
    return { owner: principal.sub, steps: order.route.length, minutes: order.route[0].minutes, typed: order instanceof CreateOrderDto };
  }

  @Get('fail')
  fail(): never {
    throw new Error('connect ECONNREFUSED password=hunter2');
  }

  @Post('race')
  race(): never {
    throw Object.assign(new Error('stream order-1 is at version 4, not 3'), { name: 'ConcurrencyError' });
  }

  @Get(':id')
  find(@Param('id') id: string, @CurrentPrincipal() principal: Principal): object {
    if (id !== 'o-1') throw new NotFound('order', id);
    assertOwnership(principal, 'brand-1', 'order', id);
    return { id, correlationId: currentCorrelationId() };
  }
}

@Injectable()
class RevokedTokens implements TokenRevocationCheck {
  async isRevoked(principal: Principal): Promise<boolean> {
    return principal.tokenId === 'revoked-jti';
  }
}

@Injectable()
class Dependencies implements OnModuleInit {
  brokerDown = false;

  constructor(private readonly health: HealthRegistry) {}

  onModuleInit(): void {
    this.health.register('database', async () => {});
    this.health.register('broker', async () => {
      if (this.brokerDown) throw new Error('no broker at localhost:9092');
    });
  }
}

/** A feature module: it provides the revocation check and imports only ObservabilityModule. */
@Module({
  imports: [ObservabilityModule],
  controllers: [OrdersController],
  providers: [{ provide: TOKEN_REVOCATION, useClass: RevokedTokens }, Dependencies],
})
class OrdersModule {}

interface TestApp {
  app: INestApplication;
  url: string;
  logs: Array<Record<string, unknown>>;
  dependencies: Dependencies;
}

const OPERATOR_TOKEN = 'op_static-operator-token-for-the-platform-spec';

async function boot(serviceName: string, env: Record<string, string> = {}): Promise<TestApp> {
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig(PlatformConfig, { MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(SECRET), LOG_LEVEL: 'debug', ...env });
  const logger = createLogger({ serviceName, level: config.LOG_LEVEL }, destination);
  const moduleRef = await Test.createTestingModule({
    imports: [PlatformModule.forRoot({ serviceName, config, logger, readinessTimeoutMs: 200, operatorToken: OPERATOR_TOKEN, audiences: ['orders'] }), OrdersModule],
  }).compile();
  const app = moduleRef.createNestApplication();
  configureHttpApp(app, { openApi: { title: 'Orders', version: '1.0.0' } });
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, logs, dependencies: app.get(Dependencies) };
}

describe('PlatformModule over HTTP', () => {
  const tokens = testTokens(SECRET);
  let testApp: TestApp;
  let brandToken: string;

  beforeAll(async () => {
    testApp = await boot('orders-spec');
    brandToken = await tokens.issue({ sub: 'brand-1', role: 'brand' });
  });

  afterAll(async () => {
    await testApp.app.close();
  });

  const call = (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
    return fetch(`${testApp.url}${path}`, { ...init, headers, body });
  };

  const validOrder = { title: 'Linen shirts', route: [{ process: 'cut', minutes: 30 }] };

  it('accepts a valid body from a permitted role, as a DTO instance', async () => {
    const response = await call('/orders', { method: 'POST', token: brandToken, json: validOrder });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ owner: 'brand-1', steps: 1, minutes: 30, typed: true });
  });

  it('accepts the configured static operator token as the operator, and nothing close to it', async () => {
    const ok = await call('/orders', { method: 'POST', token: OPERATOR_TOKEN, json: validOrder });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ owner: 'bootstrap' }); // the bootstrap credential acts as the operator `bootstrap`

    const near = await call('/orders', { method: 'POST', token: `${OPERATOR_TOKEN.slice(0, -1)}X`, json: validOrder });
    expect(near.status).toBe(401);
    expect(await near.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 401 missing_token without a token', async () => {
    const response = await call('/orders/o-1');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="meshfab"');
    expect(await response.json()).toMatchObject({ error: 'missing_token' });
  });

  it('answers 401 invalid_token for a forged token or a header that is not Bearer', async () => {
    const forged = await testTokens('another-secret-that-is-long-enough-456').issue({ sub: 'brand-1', role: 'operator' });

    const response = await call('/orders/o-1', { token: forged });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });

    const basic = await call('/orders/o-1', { headers: { authorization: 'Basic YnJhbmQ6cHc=' } });
    expect(basic.status).toBe(401);
    expect(await basic.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 401 wrong_audience for a genuine token meant for other services', async () => {
    const forSettlement = await tokens.issue({ sub: 'brand-1', role: 'brand', audience: ['settlement'] });

    const response = await call('/orders/o-1', { token: forSettlement });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'wrong_audience' });
  });

  it('answers 401 token_revoked for a revoked token', async () => {
    const revoked = await tokens.issue({ sub: 'brand-1', role: 'brand', tokenId: 'revoked-jti' });

    const response = await call('/orders/o-1', { token: revoked });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await response.json()).toMatchObject({ error: 'token_revoked' });
  });

  it('answers 403 forbidden_role naming the roles allowed', async () => {
    const workshop = await tokens.issue({ sub: 'workshop-1', role: 'workshop' });

    const response = await call('/orders', { method: 'POST', token: workshop, json: validOrder });

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: 'forbidden_role',
      message: 'only brand or operator may do this',
      details: { requiredRoles: ['brand', 'operator'], role: 'workshop' },
    });
  });

  it('answers 400 validation_failed naming nested and unknown fields', async () => {
    const response = await call('/orders', {
      method: 'POST',
      token: brandToken,
      json: { title: 'Linen shirts', route: [{ process: 'cut', minutes: 30 }, { process: 'weld', minutes: 0 }], price: 5 },
    });

    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string; fields: Array<{ field: string; problems: string[] }> };
    expect(body.error).toBe('validation_failed');
    expect(body.fields).toEqual(
      expect.arrayContaining([
        { field: 'price', problems: ['should not exist'] },
        { field: 'route.1.process', problems: ['must be one of the following values: cut, sew, print'] },
        { field: 'route.1.minutes', problems: ['must not be less than 1'] },
      ]),
    );
    expect(body.fields).toHaveLength(3);
    expect(body.message).toContain('route.1.process: must be one of the following values: cut, sew, print');
  });

  it('answers 400 malformed_json for a body that is not JSON', async () => {
    const response = await call('/orders', {
      method: 'POST',
      token: brandToken,
      headers: { 'content-type': 'application/json' },
      body: '{"title": "Linen',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'malformed_json', message: 'the request body is not valid JSON' });
  });

  it('answers 404 with the domain error body, and the same for what belongs to someone else', async () => {
    const missing = await call('/orders/o-404', { token: brandToken });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'order_not_found', message: 'order o-404 does not exist', details: { id: 'o-404' } });

    const otherBrand = await tokens.issue({ sub: 'brand-2', role: 'brand' });
    const foreign = await call('/orders/o-1', { token: otherBrand });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual({ error: 'order_not_found', message: 'order o-1 does not exist', details: { id: 'o-1' } });
  });

  it('answers 409 concurrency_conflict for a ConcurrencyError', async () => {
    const response = await call('/orders/race', { method: 'POST', token: brandToken });

    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: 'concurrency_conflict' });
  });

  it('answers 500 internal_error without the stack or message, and logs both', async () => {
    const response = await call('/orders/fail', { token: brandToken, headers: { 'x-correlation-id': 'corr-500' } });

    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal_error', message: INTERNAL_ERROR_MESSAGE });
    expect(text).not.toMatch(/hunter2|ECONNREFUSED|\bat /);
    const logged = testApp.logs.find((line) => line.correlationId === 'corr-500' && line.level === 'error');
    expect(logged).toMatchObject({ service: 'orders-spec', status: 500, err: { message: 'connect ECONNREFUSED password=hunter2' } });
    expect((logged!.err as { stack: string }).stack).toContain('OrdersController.fail');
  });

  it('echoes the caller correlation id and carries it into the handler, or makes one', async () => {
    const given = await call('/orders/o-1', { token: brandToken, headers: { 'x-correlation-id': 'corr-abc-1' } });
    expect(given.headers.get('x-correlation-id')).toBe('corr-abc-1');
    expect(await given.json()).toEqual({ id: 'o-1', correlationId: 'corr-abc-1' });

    const made = await call('/orders/o-1', { token: brandToken });
    expect(made.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);

    const unsafe = await call('/health', { headers: { 'x-correlation-id': 'bad id\twith spaces' } });
    expect(unsafe.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with 404 not_found in the same shape', async () => {
    const response = await call('/nowhere', { token: brandToken });

    expect(response.status).toBe(404);
    expect(response.headers.get('x-correlation-id')).toBeTruthy();
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('serves /health without a token', async () => {
    const response = await call('/health');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves /health/ready: 200 when every check passes, 503 naming the failing one', async () => {
    const ready = await call('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: { status: 'ok' }, broker: { status: 'ok' } } });

    testApp.dependencies.brokerDown = true;
    try {
      const failing = await call('/health/ready');
      expect(failing.status).toBe(503);
      expect(await failing.json()).toEqual({
        status: 'failing',
        checks: { database: { status: 'ok' }, broker: { status: 'failing', message: 'no broker at localhost:9092' } },
      });
    } finally {
      testApp.dependencies.brokerDown = false;
    }
  });

  it('reports a check that hangs as failing after the timeout', async () => {
    testApp.app.get(HealthRegistry).register('slow', () => new Promise(() => {}));

    const response = await call('/health/ready');

    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ checks: { slow: { status: 'failing', message: 'no answer within 200 ms' } } });
  });

  it('serves /metrics to operators only (by default), with request durations by route pattern', async () => {
    await call('/orders/o-1', { token: brandToken });
    expect((await call('/metrics')).status).toBe(401);
    expect((await call('/metrics', { token: brandToken })).status).toBe(403);

    const response = await call('/metrics', { token: OPERATOR_TOKEN });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    const line = text.split('\n').find((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('route="/orders/:id"') && l.includes('status_code="200"'));
    expect(line).toBeDefined();
    expect(line).toContain('method="GET"');
    expect(line).toContain('service="orders-spec"');
    expect(text).not.toContain('route="/orders/o-1"');
  });

  it('serves the OpenAPI document at /docs-json to operators only (by default), with the bearer scheme', async () => {
    expect(await call('/docs-json')).toMatchObject({ status: 401 });
    expect((await call('/docs', { token: brandToken })).status).toBe(403);
    const response = await call('/docs-json', { token: OPERATOR_TOKEN });

    expect(response.status).toBe(200);
    const document = (await response.json()) as { info: { title: string }; components: { securitySchemes: Record<string, unknown> }; paths: Record<string, unknown> };
    expect(document.info.title).toBe('Orders');
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.paths)).toContain('/orders');
    expect((await call('/docs', { token: OPERATOR_TOKEN })).status).toBe(200);
  });

  it('lets a second app run in the same process with its own metrics', async () => {
    const second = await boot('second-spec', { MESHFAB_ADMIN_ENDPOINTS: 'open' });
    try {
      const response = await fetch(`${second.url}/metrics`); // open, as the embedded network serves it
      expect((await fetch(`${second.url}/docs-json`)).status).toBe(200);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('service="second-spec"');
      expect(text).not.toContain('service="orders-spec"');
    } finally {
      await second.app.close();
    }
  });
});

describe('HTTP hardening', () => {
  let plain: TestApp;
  let proxied: TestApp;
  const tokens = testTokens(SECRET);

  beforeAll(async () => {
    plain = await boot('hardening-plain', { MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: '0.01', MESHFAB_RATE_LIMIT_ANONYMOUS_BURST: '2' });
    proxied = await boot('hardening-proxied', {
      MESHFAB_CORS_ORIGINS: 'https://app.meshfab.example',
      MESHFAB_TRUSTED_PROXIES: 'loopback',
      MESHFAB_RATE_LIMIT_ANONYMOUS_PER_SECOND: '0.01',
      MESHFAB_RATE_LIMIT_ANONYMOUS_BURST: '2',
    });
  });
  afterAll(async () => {
    await plain?.app.close();
    await proxied?.app.close();
  });

  it('sends the security headers and no X-Powered-By, on answers and refusals alike', async () => {
    for (const response of [await fetch(`${plain.url}/orders/o-1`, { headers: { authorization: `Bearer ${await tokens.issue({ sub: 'brand-1', role: 'brand' })}` } }), await fetch(`${plain.url}/health`)]) {
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
    }
  });

  it('answers CORS only for the configured origins', async () => {
    const preflight = (url: string, origin: string) =>
      fetch(`${url}/orders`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const allowed = await preflight(proxied.url, 'https://app.meshfab.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.meshfab.example');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect((await preflight(proxied.url, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(plain.url, 'https://app.meshfab.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keys the anonymous limit on the client a trusted proxy names, and ignores X-Forwarded-For from anyone else', async () => {
    const anonymous = (url: string, client: string) => fetch(`${url}/orders/o-1`, { headers: { 'x-forwarded-for': client } }).then((r) => r.status);
    // Behind a trusted proxy (loopback here) each client has its own bucket of 2.
    expect([await anonymous(proxied.url, '203.0.113.7'), await anonymous(proxied.url, '203.0.113.7'), await anonymous(proxied.url, '203.0.113.7')]).toEqual([401, 401, 429]);
    expect(await anonymous(proxied.url, '198.51.100.9')).toBe(401);
    // Without trusted proxies a forged X-Forwarded-For buys no new bucket.
    const statuses: number[] = [];
    for (let i = 0; i < 4 && !statuses.includes(429); i += 1) statuses.push(await anonymous(plain.url, `203.0.113.${10 + i}`));
    expect(statuses).toContain(429);
    expect(await anonymous(plain.url, '192.0.2.200')).toBe(429);
  });
});
