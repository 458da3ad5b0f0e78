import { randomBytes } from 'node:crypto';
import { SealedBox } from '#libs/platform';

/**
 * Endpoint signing secrets at rest. The service must sign with the secret itself (HMAC), so it cannot
 * keep only a hash: each secret is sealed (SealedBox: AES-256-GCM) under the service's key, bound to its endpoint
 * id (additional data), so a row copied onto another endpoint does not open. The key is
 * MESHFAB_NOTIFICATIONS_SECRET_KEY (32 bytes, base64 or hex), a key of its own: nothing else is sealed or
 * signed with it (the embedded network generates one under its data folder).
 */
export class SecretBox {
  private constructor(private readonly box: SealedBox) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('MESHFAB_NOTIFICATIONS_SECRET_KEY must be 32 bytes (base64 or hex)');
    return new SecretBox(new SealedBox(key));
  }

  static fromConfig(configuredKey: string): SecretBox {
    const key = /^[0-9a-f]{64}$/i.test(configuredKey) ? Buffer.from(configuredKey, 'hex') : Buffer.from(configuredKey, 'base64');
    return SecretBox.fromKey(key);
  }

  seal(secret: string, endpointId: string): string {
    return this.box.seal(secret, endpointId);
  }

  open(sealed: string, endpointId: string): string {
    const secret = this.box.open(sealed, endpointId);
    if (secret === undefined) throw new Error('not a sealed secret of this endpoint under this key');
    return secret;
  }
}

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form). */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
