import { hkdfSync, type KeyObject } from 'node:crypto';
import { SealedBox } from '#libs/platform';

/**
 * The bearer token of a registration answer, encrypted before the answer is kept for `Idempotency-Key`
 * replays (a SealedBox: AES-256-GCM, the row's scope and key as associated data, so a sealed token read
 * elsewhere or moved to another row does not open). The key is derived (HKDF-SHA256) from the registry's
 * signing key: nothing more to configure or keep, and a database dump alone holds no usable token. After the
 * signing key is rotated the old sealed tokens no longer open: a replay then answers the member without its token.
 */
export class TokenSeal {
  private readonly box: SealedBox;

  constructor(signingKey: KeyObject) {
    const material = signingKey.export({ format: 'der', type: 'pkcs8' });
    this.box = new SealedBox(Buffer.from(hkdfSync('sha256', material, 'meshfab-registry', 'idempotent registration answers v1', 32)));
  }

  seal(token: string, context: string): string {
    return this.box.seal(token, context);
  }

  /** The token, or undefined when it was sealed with another key or for another row. */
  open(sealed: string, context: string): string | undefined {
    return this.box.open(sealed, context);
  }
}
