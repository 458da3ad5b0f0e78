import { SignJWT } from 'jose';
import { DomainError } from '#libs/domain';
import { TokenService } from './token.service.js';

const SECRET = 'a-test-secret-that-is-long-enough-123';

function clock(start: string): { now: () => Date; advance: (seconds: number) => void } {
  let current = new Date(start).getTime();
  return { now: () => new Date(current), advance: (seconds) => (current += seconds * 1000) };
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('TokenService', () => {
  const tokens = new TokenService(SECRET);

  it('issues a token that verifies to the same principal', async () => {
    const token = await tokens.issue({ sub: 'brand-1', role: 'brand', tokenId: 'jti-1' });

    await expect(tokens.verify(token)).resolves.toEqual({ sub: 'brand-1', role: 'brand', tokenId: 'jti-1' });
  });

  it('gives each token a random id when none is named', async () => {
    const first = await tokens.verify(await tokens.issue({ sub: 'w-1', role: 'workshop' }));
    const second = await tokens.verify(await tokens.issue({ sub: 'w-1', role: 'workshop' }));

    expect(first.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.tokenId).not.toBe(second.tokenId);
  });

  it('refuses an expired token with token_expired', async () => {
    const time = clock('2030-01-01T00:00:00Z');
    const timed = new TokenService(SECRET, { now: time.now });
    const token = await timed.issue({ sub: 'brand-1', role: 'brand', expiresIn: '15m' });

    time.advance(14 * 60);
    await expect(timed.verify(token)).resolves.toMatchObject({ sub: 'brand-1' });
    time.advance(2 * 60);
    const error = await rejection(timed.verify(token));
    expect(error).toMatchObject({ code: 'token_expired', kind: 'unauthorized' });
  });

  it('refuses a token whose payload was tampered with', async () => {
    const token = await tokens.issue({ sub: 'brand-1', role: 'brand' });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'operator' })).toString('base64url');

    const error = await rejection(tokens.verify(`${header}.${forged}.${signature}`));
    expect(error).toMatchObject({ code: 'invalid_token', kind: 'unauthorized' });
  });

  it('refuses a token signed with another secret', async () => {
    const other = new TokenService('another-secret-that-is-long-enough-456');
    const token = await other.issue({ sub: 'brand-1', role: 'brand' });

    expect(await rejection(tokens.verify(token))).toMatchObject({ code: 'invalid_token' });
  });

  it('refuses garbage and tokens of another issuer', async () => {
    const foreign = new TokenService(SECRET, { issuer: 'elsewhere' });

    expect(await rejection(tokens.verify('not.a.token'))).toMatchObject({ code: 'invalid_token' });
    expect(await rejection(tokens.verify(await foreign.issue({ sub: 'b', role: 'brand' })))).toMatchObject({ code: 'invalid_token' });
  });

  it('refuses a correctly signed token that names no known role', async () => {
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('meshfab')
      .setSubject('x')
      .setJti('j')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));

    expect(await rejection(tokens.verify(token))).toMatchObject({ code: 'invalid_token' });
  });

  it('refuses an unsigned (alg none) token', async () => {
    const token = await tokens.issue({ sub: 'brand-1', role: 'brand' });
    const [, payload] = token.split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');

    expect(await rejection(tokens.verify(`${none}.${payload}.`))).toMatchObject({ code: 'invalid_token' });
  });

  it('will not start with a short secret', () => {
    expect(() => new TokenService('too-short')).toThrow(/at least 32 characters/);
  });
});
