import { randomBytes } from 'node:crypto';
import { newEndpointSecret, SecretBox } from './secret-box.js';

describe('SecretBox: endpoint secrets sealed at rest', () => {
  const box = SecretBox.fromKey(randomBytes(32));

  it('opens what it sealed for the same endpoint, and keeps the secret out of the sealed text', () => {
    const secret = newEndpointSecret();
    const sealed = box.seal(secret, 'we_1');
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(box.open(sealed, 'we_1')).toBe(secret);
  });

  it('refuses a sealed secret moved to another endpoint, altered, or opened with another key', () => {
    const sealed = box.seal(newEndpointSecret(), 'we_1');
    expect(() => box.open(sealed, 'we_2')).toThrow();
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3], 'base64');
    flipped[0] ^= 1;
    expect(() => box.open([...parts.slice(0, 3), flipped.toString('base64')].join('.'), 'we_1')).toThrow();
    expect(() => SecretBox.fromKey(randomBytes(32)).open(sealed, 'we_1')).toThrow();
  });

  it('derives a stable key from the JWT secret when none is configured, and checks a configured one', () => {
    const a = SecretBox.fromConfig(undefined, 'jwt-secret-long-enough-0123456789');
    const b = SecretBox.fromConfig(undefined, 'jwt-secret-long-enough-0123456789');
    expect(b.open(a.seal('whsec_x', 'we_1'), 'we_1')).toBe('whsec_x');
    expect(() => SecretBox.fromConfig('c2hvcnQ=', 'x')).toThrow(/32 bytes/);
    expect(SecretBox.fromConfig(randomBytes(32).toString('hex'), 'x')).toBeInstanceOf(SecretBox);
  });

  it('makes Standard Webhooks secrets of 32 random bytes', () => {
    const secret = newEndpointSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newEndpointSecret()).not.toBe(secret);
  });
});
