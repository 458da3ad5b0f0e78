import {
  publishedKeySet,
  SERVICE_AUDIENCES,
  signingKeyFromSeed,
  TokenIssuer,
  TokenVerifier,
  type IssueTokenInput,
  type Principal,
  type SigningKey,
} from '#libs/platform';

/**
 * Tokens for tests, signed with an Ed25519 key derived from `seed`: a host started with
 * {@link testSigningEnv}(seed) (or a PlatformModule given {@link testPublicKeys}(seed)) accepts them,
 * exactly as it accepts the registry's. A seed is a test's stand-in for the registry's key file.
 */
export interface TestTokens {
  issue(input: IssueTokenInput): Promise<string>;
  verify(token: string, audience?: string | readonly string[]): Promise<Principal>;
  key: SigningKey;
}

export function testSigningKey(seed: string): SigningKey {
  return signingKeyFromSeed(seed);
}

export function testTokens(seed: string, options: { now?: () => Date } = {}): TestTokens {
  const key = testSigningKey(seed);
  const issuer = new TokenIssuer(key, options);
  const verifier = new TokenVerifier({ jwks: publishedKeySet(key) }, options);
  return { key, issue: (input) => issuer.issue(input), verify: (token, audience = SERVICE_AUDIENCES) => verifier.verify(token, audience) };
}

/** MESHFAB_JWT_PUBLIC_KEYS of the seed's key (for PlatformConfig in tests). */
export function testPublicKeys(seed: string): string {
  return JSON.stringify(publishedKeySet(testSigningKey(seed)));
}

/** The signing options a service module is given when it is the registry (the others ignore them). */
export function testSigning(seed: string): { key: SigningKey; keySet: ReturnType<typeof publishedKeySet> } {
  const key = testSigningKey(seed);
  return { key, keySet: publishedKeySet(key) };
}

/**
 * Environment of a host signing with the seed's key when it hosts the registry, and verifying with its
 * public key when it does not (a host without the registry never reads the private key).
 */
export function testSigningEnv(seed: string): { MESHFAB_REGISTRY_SIGNING_KEY: string; MESHFAB_JWT_PUBLIC_KEYS: string } {
  return { MESHFAB_REGISTRY_SIGNING_KEY: testSigningKey(seed).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), MESHFAB_JWT_PUBLIC_KEYS: testPublicKeys(seed) };
}
