import { parseProviderSecrets, signWebhook, verifyWebhook, WebhookRefused } from './standard-webhooks.js';

const secret = `whsec_${Buffer.from('a-secret-of-at-least-24-bytes-long').toString('base64')}`;
const now = new Date('2026-05-01T00:00:00.000Z');
const ts = Math.floor(now.getTime() / 1000);
const body = Buffer.from('{"type":"payment.succeeded"}');

describe('Standard Webhooks signatures', () => {
  it('accepts its own signature, also among rotated ones', () => {
    const signature = signWebhook(secret, 'msg_1', ts, body);
    expect(() => verifyWebhook(secret, { id: 'msg_1', timestamp: String(ts), signature }, body, now, 300)).not.toThrow();
    expect(() => verifyWebhook(secret, { id: 'msg_1', timestamp: String(ts), signature: `v1,b2xk ${signature}` }, body, now, 300)).not.toThrow();
  });

  it('refuses another body, id, timestamp or secret, and timestamps outside the window', () => {
    const signature = signWebhook(secret, 'msg_1', ts, body);
    const refused = (f: () => void, code: string) => expect(f).toThrow(expect.objectContaining({ code }) as WebhookRefused);
    refused(() => verifyWebhook(secret, { id: 'msg_1', timestamp: String(ts), signature }, Buffer.from('{}'), now, 300), 'webhook_signature_invalid');
    refused(() => verifyWebhook(secret, { id: 'msg_2', timestamp: String(ts), signature }, body, now, 300), 'webhook_signature_invalid');
    refused(() => verifyWebhook(`whsec_${Buffer.from("another-secret-of-at-least-24-bytes").toString("base64")}`, { id: 'msg_1', timestamp: String(ts), signature }, body, now, 300), 'webhook_signature_invalid');
    refused(() => verifyWebhook(secret, { id: 'msg_1', timestamp: String(ts - 301), signature: signWebhook(secret, 'msg_1', ts - 301, body) }, body, now, 300), 'webhook_timestamp_out_of_window');
    refused(() => verifyWebhook(secret, { id: 'msg_1', timestamp: String(ts) }, body, now, 300), 'webhook_headers_missing');
  });

  it('validates the provider secrets at start-up', () => {
    expect([...parseProviderSecrets(`sandbox=${secret}, stripe=${'s'.repeat(32)}`).keys()]).toEqual(['sandbox', 'stripe']);
    expect(() => parseProviderSecrets('sandbox=short')).toThrow(/too short/);
    expect(() => parseProviderSecrets(`Bad Name=${secret}`)).toThrow(/provider name/);
    expect(parseProviderSecrets(undefined).size).toBe(0);
  });
});
