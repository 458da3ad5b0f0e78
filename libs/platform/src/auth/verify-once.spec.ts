import { jest } from '@jest/globals';
import { publishedKeySet, signingKeyFromSeed } from './signing-key.js';
import { TokenIssuer } from './token-issuer.js';
import { TokenVerifier } from './token-verifier.js';
import { audienceOf, verifyOnce } from './verify-once.js';

describe('verifyOnce', () => {
  const key = signingKeyFromSeed('verify-once-spec');
  const issuer = new TokenIssuer(key);
  const tokens = new TokenVerifier({ jwks: publishedKeySet(key) });

  it('verifies a request’s token once and hands every later asker the same outcome', async () => {
    const token = await issuer.issue({ sub: 'brand-1', role: 'brand' });
    const verify = jest.spyOn(tokens, 'verify');
    const request = {};
    const first = verifyOnce(tokens, request, token, ['orders']);
    expect(verifyOnce(tokens, request, token, ['orders'])).toBe(first);
    expect((await first).sub).toBe('brand-1');
    expect(verify).toHaveBeenCalledTimes(1);
    await verifyOnce(tokens, {}, token, ['orders']); // another request verifies its own
    expect(verify).toHaveBeenCalledTimes(2);
    verify.mockRestore();
  });

  it('hands a refusal to every asker too', async () => {
    const request = {};
    await expect(verifyOnce(tokens, request, 'not-a-jwt', ['orders'])).rejects.toThrow();
    await expect(verifyOnce(tokens, request, 'not-a-jwt', ['orders'])).rejects.toThrow();
  });
});

describe('audienceOf', () => {
  it('is the service a path starts with when hosted here, else every hosted service', () => {
    const hosted = ['registry', 'orders'];
    expect(audienceOf('/orders/o-1', hosted)).toEqual(['orders']);
    expect(audienceOf('/registry?x=1', hosted)).toEqual(['registry']);
    expect(audienceOf('/settlement/balances', hosted)).toEqual(hosted);
    expect(audienceOf('/admin/dead-letters', hosted)).toEqual(hosted);
  });
});
