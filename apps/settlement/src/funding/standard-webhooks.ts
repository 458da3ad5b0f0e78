import { secretKey } from '#libs/platform';

export { secretKey, signWebhook, verifyWebhook, WebhookRefused, type WebhookHeaders } from '#libs/platform';

/** `sandbox=whsec_…,stripe=…` → map; refuses bad names and short secrets (validated at start-up). */
export function parseProviderSecrets(text: string | undefined): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const part of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq).trim() : '';
    const secret = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!/^[a-z][a-z0-9-]{1,31}$/.test(name)) throw new Error(`MESHFAB_SETTLEMENT_PROVIDER_SECRETS: "${name || part.slice(0, 20)}" is not a provider name (lowercase letters, digits, dashes)`);
    if (secrets.has(name)) throw new Error(`MESHFAB_SETTLEMENT_PROVIDER_SECRETS: provider ${name} is listed twice`);
    if (secretKey(secret).length < 24 || (!secret.startsWith('whsec_') && secret.length < 32)) {
      throw new Error(`MESHFAB_SETTLEMENT_PROVIDER_SECRETS: the secret of ${name} is too short (at least 32 characters, or whsec_ and 24 bytes in base64)`);
    }
    secrets.set(name, secret);
  }
  return secrets;
}
