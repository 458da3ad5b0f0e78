import { randomBytes } from 'node:crypto';
import { loadConfig } from '#libs/platform';
import { NotificationsConfig } from '../../config.js';
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

  it('opens with the same configured key (base64 or hex), and refuses a key of the wrong size', () => {
    const raw = randomBytes(32);
    const sealed = SecretBox.fromConfig(raw.toString('base64')).seal('whsec_x', 'we_1');
    expect(SecretBox.fromConfig(raw.toString('hex')).open(sealed, 'we_1')).toBe('whsec_x');
    expect(() => SecretBox.fromConfig(randomBytes(32).toString('base64')).open(sealed, 'we_1')).toThrow();
    expect(() => SecretBox.fromConfig('c2hvcnQ=')).toThrow(/32 bytes/);
  });

  it('requires MESHFAB_NOTIFICATIONS_SECRET_KEY (no key derived from another secret) of 32 bytes', () => {
    expect(() => loadConfig(NotificationsConfig, {})).toThrow(/MESHFAB_NOTIFICATIONS_SECRET_KEY/);
    expect(() => loadConfig(NotificationsConfig, { MESHFAB_NOTIFICATIONS_SECRET_KEY: 'c2hvcnQ=' })).toThrow(/MESHFAB_NOTIFICATIONS_SECRET_KEY: must be 32 bytes/);
    const key = randomBytes(32).toString('base64');
    expect(loadConfig(NotificationsConfig, { MESHFAB_NOTIFICATIONS_SECRET_KEY: key }).MESHFAB_NOTIFICATIONS_SECRET_KEY).toBe(key);
  });

  it('makes Standard Webhooks secrets of 32 random bytes', () => {
    const secret = newEndpointSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newEndpointSecret()).not.toBe(secret);
  });
});
