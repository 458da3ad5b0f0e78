import type { Logger } from 'pino';
import type { VerificationKeys } from './auth/token-verifier.js';
import type { PlatformConfig } from './config/platform.config.js';

export const PLATFORM_OPTIONS = Symbol('PLATFORM_OPTIONS');

export interface PlatformModuleOptions {
  /** Names the app in logs (`service`) and metrics (`service` label). */
  serviceName: string;
  /** The validated config: `loadConfig(PlatformConfig)` or a subclass of it. */
  config: PlatformConfig;
  /** A pino logger to use instead of JSON on stdout; tests pass one that captures lines. */
  logger?: Logger;
  /**
   * The bootstrap credential (MESHFAB_OPERATOR_TOKEN): a static bearer token that acts as the operator
   * `bootstrap`, beside signed JWTs, until a named operator turns it off (then refused as revoked).
   * Compared in constant time; at least 32 characters.
   */
  operatorToken?: string;
  /**
   * The public keys bearer tokens are verified with; without them, MESHFAB_JWT_PUBLIC_KEYS or
   * MESHFAB_JWKS_URL of the config. Never a private key: only the registry signs.
   */
  verificationKeys?: VerificationKeys;
  /**
   * The services this app hosts (default: `[serviceName]`): a token is accepted when its `aud` names the
   * service the request's path is for (see audienceOf).
   */
  audiences?: readonly string[];
  /** How long each readiness check may take; default 3000 ms. */
  readinessTimeoutMs?: number;
}
