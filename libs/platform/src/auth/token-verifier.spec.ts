import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JSONWebKeySet } from 'jose';
import { DomainError } from '#libs/domain';
import { DependencyUnavailableError } from '../errors/dependency-unavailable.js';
import { generateSigningKeyPem, parsePublicKeySet, publishedKeySet, signingKeyFromPem, signingKeyFromSeed } from './signing-key.js';
import { REFRESH_AUDIENCE, TokenIssuer } from './token-issuer.js';
import { TokenVerifier } from './token-verifier.js';

const key = signingKeyFromSeed('token-verifier-spec');
const issuer = new TokenIssuer(key);
const verifier = new TokenVerifier({ jwks: publishedKeySet(key) });

function clock(start: string): { now: () => Date; advance: (seconds: number) => void } {
  let current = new Date(start).getTime();
  return { now: () => new Date(current), advance: (seconds) => (current += seconds * 1000) };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('TokenIssuer and TokenVerifier', () => {
  it('issues an EdDSA token naming its key, that verifies with the public key alone', async () => {
    const token = await issuer.issue({ sub: 'brand-1', role: 'brand', tokenId: 'jti-1' });
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'EdDSA', kid: key.kid });
    expect(publishedKeySet(key).keys[0]).not.toHaveProperty('d');
    await expect(verifier.verify(token, 'orders')).resolves.toEqual({ sub: 'brand-1', role: 'brand', tokenId: 'jti-1' });
  });

  it('accepts a token only where its audience names the service', async () => {
    const forOrders = await issuer.issue({ sub: 'w-1', role: 'workshop', audience: ['orders'] });
    await expect(verifier.verify(forOrders, ['orders'])).resolves.toMatchObject({ sub: 'w-1' });
    expect(await rejection(verifier.verify(forOrders, ['settlement']))).toMatchObject({ code: 'wrong_audience', kind: 'unauthorized' });
    const refresh = await issuer.issue({ sub: 'w-1', role: 'workshop', audience: REFRESH_AUDIENCE });
    expect(await rejection(verifier.verify(refresh, ['registry']))).toMatchObject({ code: 'wrong_audience' });
  });

  it('refuses a token without an audience', async () => {
    const token = await new SignJWT({ role: 'brand' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setIssuer('meshfab')
      .setSubject('b')
      .setJti('j')
      .setExpirationTime('1h')
      .sign(key.privateKey);
    expect(await rejection(verifier.verify(token, ['orders']))).toBeInstanceOf(DomainError);
  });

  it('refuses an expired token with token_expired', async () => {
    const time = clock('2030-01-01T00:00:00Z');
    const timedIssuer = new TokenIssuer(key, { now: time.now });
    const timed = new TokenVerifier({ jwks: publishedKeySet(key) }, { now: time.now });
    const token = await timedIssuer.issue({ sub: 'brand-1', role: 'brand', expiresIn: '15m' });
    time.advance(14 * 60);
    await expect(timed.verify(token, 'orders')).resolves.toMatchObject({ sub: 'brand-1' });
    time.advance(2 * 60);
    expect(await rejection(timed.verify(token, 'orders'))).toMatchObject({ code: 'token_expired', kind: 'unauthorized' });
  });

  it('refuses a tampered payload, another key, garbage, another issuer, an unknown role, alg none', async () => {
    const token = await issuer.issue({ sub: 'brand-1', role: 'brand' });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'operator' })).toString('base64url');
    expect(await rejection(verifier.verify(`${header}.${forged}.${signature}`, 'orders'))).toMatchObject({ code: 'invalid_token' });

    const stranger = new TokenIssuer(signingKeyFromSeed('someone else'));
    expect(await rejection(verifier.verify(await stranger.issue({ sub: 'b', role: 'operator' }), 'orders'))).toMatchObject({ code: 'invalid_token' });
    expect(await rejection(verifier.verify('not.a.token', 'orders'))).toMatchObject({ code: 'invalid_token' });
    const foreign = new TokenIssuer(key, { issuer: 'elsewhere' });
    expect(await rejection(verifier.verify(await foreign.issue({ sub: 'b', role: 'brand' }), 'orders'))).toMatchObject({ code: 'invalid_token' });
    const admin = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setIssuer('meshfab').setAudience('orders').setSubject('x').setJti('j').setExpirationTime('1h').sign(key.privateKey);
    expect(await rejection(verifier.verify(admin, 'orders'))).toMatchObject({ code: 'invalid_token' });
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await rejection(verifier.verify(`${none}.${payload}.`, 'orders'))).toMatchObject({ code: 'invalid_token' });
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const publicBytes = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const token = await new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS256', kid: key.kid }).setIssuer('meshfab').setAudience('orders').setSubject('x').setJti('j').setExpirationTime('1h').sign(publicBytes);
    expect(await rejection(verifier.verify(token, 'orders'))).toMatchObject({ code: 'invalid_token' });
  });

  it('signs with an ES256 key as well', async () => {
    const es = signingKeyFromPem((await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const token = await new TokenIssuer(es).issue({ sub: 'b', role: 'brand' });
    await expect(new TokenVerifier({ jwks: publishedKeySet(es) }).verify(token, 'orders')).resolves.toMatchObject({ sub: 'b' });
  });

  it('will not take a key set holding a private key', () => {
    const leaked = JSON.stringify({ keys: [key.privateKey.export({ format: 'jwk' })] });
    expect(() => parsePublicKeySet(leaked, 'MESHFAB_JWT_PUBLIC_KEYS')).toThrow(/private key/);
    expect(() => signingKeyFromPem('not a key')).toThrow(/PEM/);
  });

  describe('with the registry’s JWKS URL', () => {
    let server: Server;
    let served: JSONWebKeySet;
    let fetches = 0;
    let url = '';

    beforeAll(async () => {
      server = createServer((_request, response) => {
        fetches += 1;
        if (!served) {
          response.writeHead(503).end();
          return;
        }
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(served));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/registry/.well-known/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('fetches the keys once, and again when a token names a new kid (rotation)', async () => {
      const first = signingKeyFromPem(generateSigningKeyPem());
      const second = signingKeyFromPem(generateSigningKeyPem());
      served = publishedKeySet(first);
      fetches = 0;
      const remote = new TokenVerifier({ url, cooldownMs: 0 });
      await expect(remote.verify(await new TokenIssuer(first).issue({ sub: 'a', role: 'brand' }), 'orders')).resolves.toMatchObject({ sub: 'a' });
      await expect(remote.verify(await new TokenIssuer(first).issue({ sub: 'b', role: 'brand' }), 'orders')).resolves.toMatchObject({ sub: 'b' });
      expect(fetches).toBe(1);

      served = publishedKeySet(second, publishedKeySet(first)); // rotated: the old key still published
      await expect(remote.verify(await new TokenIssuer(second).issue({ sub: 'c', role: 'brand' }), 'orders')).resolves.toMatchObject({ sub: 'c' });
      await expect(remote.verify(await new TokenIssuer(first).issue({ sub: 'd', role: 'brand' }), 'orders')).resolves.toMatchObject({ sub: 'd' });
      expect(fetches).toBe(2);

      served = publishedKeySet(second); // the old key retired for good
      const retired = await new TokenIssuer(first).issue({ sub: 'e', role: 'brand' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const stale = new TokenVerifier({ url, cooldownMs: 0 });
      expect(await rejection(stale.verify(retired, 'orders'))).toMatchObject({ code: 'invalid_token' });
    });

    it('answers 503 (not 401) while the key set cannot be fetched', async () => {
      served = undefined as unknown as JSONWebKeySet;
      const remote = new TokenVerifier({ url });
      const error = await rejection(remote.verify(await issuer.issue({ sub: 'a', role: 'brand' }), 'orders'));
      expect(error).toBeInstanceOf(DependencyUnavailableError);
    });
  });
});
