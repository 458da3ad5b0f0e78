import { jest } from '@jest/globals';
import { TokenService } from './token.service.js';
import { verifyOnce } from './verify-once.js';

describe('verifyOnce', () => {
  const tokens = new TokenService('verify-once-spec-secret-0123456789abcdef');

  it('verifies a request’s token once and hands every later asker the same outcome', async () => {
    const token = await tokens.issue({ sub: 'brand-1', role: 'brand' });
    const verify = jest.spyOn(tokens, 'verify');
    const request = {};
    const first = verifyOnce(tokens, request, token);
    expect(verifyOnce(tokens, request, token)).toBe(first);
    expect((await first).sub).toBe('brand-1');
    expect(verify).toHaveBeenCalledTimes(1);
    await verifyOnce(tokens, {}, token); // another request verifies its own
    expect(verify).toHaveBeenCalledTimes(2);
    verify.mockRestore();
  });

  it('hands a refusal to every asker too', async () => {
    const request = {};
    await expect(verifyOnce(tokens, request, 'not-a-jwt')).rejects.toThrow();
    await expect(verifyOnce(tokens, request, 'not-a-jwt')).rejects.toThrow();
  });
});
