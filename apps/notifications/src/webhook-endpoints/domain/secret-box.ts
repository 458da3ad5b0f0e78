import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Endpoint signing secrets at rest. The service must sign with the secret itself (HMAC), so it cannot
 * keep only a hash: each secret is sealed with AES-256-GCM under the service's key, bound to its endpoint
 * id (additional data), so a row copied onto another endpoint does not open. The key is
 * MESHFAB_NOTIFICATIONS_SECRET_KEY (32 bytes, base64 or hex), a key of its own: nothing else is sealed or
 * signed with it (the embedded network generates one under its data folder).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('MESHFAB_NOTIFICATIONS_SECRET_KEY must be 32 bytes (base64 or hex)');
    return new SecretBox(key);
  }

  static fromConfig(configuredKey: string): SecretBox {
    const key = /^[0-9a-f]{64}$/i.test(configuredKey) ? Buffer.from(configuredKey, 'hex') : Buffer.from(configuredKey, 'base64');
    return SecretBox.fromKey(key);
  }

  seal(secret: string, endpointId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(endpointId));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${sealed.toString('base64')}`;
  }

  open(box: string, endpointId: string): string {
    const [version, iv, tag, sealed] = box.split('.');
    if (version !== 'v1' || !iv || !tag || !sealed) throw new Error('not a sealed endpoint secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(endpointId));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form). */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
