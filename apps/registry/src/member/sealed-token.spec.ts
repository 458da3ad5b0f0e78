import { signingKeyFromSeed } from '#libs/platform';
import { TokenSeal } from './sealed-token.js';

describe('TokenSeal', () => {
  const seal = new TokenSeal(signingKeyFromSeed('seal-spec').privateKey);
  const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJiLTEifQ.c2lnbmF0dXJl';

  it('hides the token and opens it again for the same row', () => {
    const sealed = seal.seal(token, 'register-brand:op-1\u0000key-1');
    expect(sealed).not.toContain(token);
    expect(sealed).not.toContain(token.split('.')[2]);
    expect(seal.open(sealed, 'register-brand:op-1\u0000key-1')).toBe(token);
    expect(seal.seal(token, 'x')).not.toBe(seal.seal(token, 'x')); // a fresh nonce each time
  });

  it('does not open for another row, another key, or a tampered seal', () => {
    const sealed = seal.seal(token, 'row-1');
    expect(seal.open(sealed, 'row-2')).toBeUndefined();
    expect(new TokenSeal(signingKeyFromSeed('another registry key').privateKey).open(sealed, 'row-1')).toBeUndefined();
    const [v, iv, body, tag] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(seal.open([v, iv, flipped.toString('base64url'), tag].join('.'), 'row-1')).toBeUndefined();
    expect(seal.open('plain text', 'row-1')).toBeUndefined();
  });
});
