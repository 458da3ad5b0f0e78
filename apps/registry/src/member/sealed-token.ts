import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * The bearer token of a registration answer, encrypted before the answer is kept for `Idempotency-Key`
 * replays (AES-256-GCM, the row's scope and key as associated data, so a sealed token read elsewhere or
 * moved to another row does not open). The key is derived (HKDF-SHA256) from the registry's signing key:
 * nothing more to configure or keep, and a database dump alone holds no usable token. After the signing key
 * is rotated the old sealed tokens no longer open: a replay then answers the member without its token.
 */
export class TokenSeal {
  private readonly key: Buffer;

  constructor(signingKey: KeyObject) {
    const material = signingKey.export({ format: 'der', type: 'pkcs8' });
    this.key = Buffer.from(hkdfSync('sha256', material, 'meshfab-registry', 'idempotent registration answers v1', 32));
  }

  seal(token: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The token, or undefined when it was sealed with another key or for another row. */
  open(sealed: string, context: string): string | undefined {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !body || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
