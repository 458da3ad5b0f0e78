import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';

/** The algorithm the registry signs with: Ed25519 (EdDSA). Verifiers also accept ES256 keys of a JWKS. */
export const SIGNING_ALGORITHM = 'EdDSA';
export const VERIFIED_ALGORITHMS = ['EdDSA', 'ES256'];

/**
 * The registry's private signing key and what may be published of it. Only the registry holds one;
 * every other service gets `publicJwk` (through the JWKS) and can verify, never sign.
 */
export interface SigningKey {
  /** RFC 7638 thumbprint of the public key: the `kid` of every token signed with it. */
  kid: string;
  algorithm: 'EdDSA' | 'ES256';
  privateKey: KeyObject;
  /** The public half as a JWK, with `kid`, `alg` and `use: 'sig'`. */
  publicJwk: JWK;
}

/** A fresh Ed25519 private key as PKCS#8 PEM (what the embedded network keeps under its data folder). */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The signing key of a PKCS#8 PEM holding an Ed25519 or P-256 (ES256) private key. */
export function signingKeyFromPem(pem: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('the signing key is not a PEM-encoded private key (PKCS#8)');
  }
  return signingKeyOf(privateKey);
}

/** The same Ed25519 key for the same seed (tests; never for a real network: anyone with the seed can sign). */
export function signingKeyFromSeed(seed: string): SigningKey {
  const raw = createHash('sha256').update(seed).digest();
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), raw]);
  return signingKeyOf(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
}

export function signingKeyOf(privateKey: KeyObject): SigningKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  let algorithm: SigningKey['algorithm'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') algorithm = 'EdDSA';
  else if (jwk.kty === 'EC' && jwk.crv === 'P-256') algorithm = 'ES256';
  else throw new Error('the signing key must be Ed25519 (EdDSA) or P-256 (ES256)');
  const kid = jwkThumbprint(jwk);
  return { kid, algorithm, privateKey, publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' } };
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
export function jwkThumbprint(jwk: JWK): string {
  const required = jwk.kty === 'OKP' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(required)).digest('base64url');
}

/**
 * A JWKS from JSON text (`{"keys":[…]}`); refuses private members, so a misconfigured
 * verifier can never hold a key that signs.
 */
export function parsePublicKeySet(text: string, variable = 'the key set'): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${variable} is not JSON (expected {"keys":[…]})`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${variable} has no keys (expected {"keys":[…]})`);
  for (const key of keys as JWK[]) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') throw new Error(`${variable} holds something that is not a JWK`);
    if ('d' in key) throw new Error(`${variable} holds a private key: publish and configure public keys only`);
  }
  return { keys: keys as JWK[] };
}

/** What the registry publishes at /registry/.well-known/jwks.json: its current key first, then retired keys still trusted. */
export function publishedKeySet(current: SigningKey, retired?: JSONWebKeySet): JSONWebKeySet {
  const others = (retired?.keys ?? []).filter((key) => key.kid !== current.kid);
  return { keys: [current.publicJwk, ...others] };
}
