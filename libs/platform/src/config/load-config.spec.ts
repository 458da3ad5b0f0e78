import { IsBoolean, IsInt, IsString, Min } from 'class-validator';
import { loadConfig } from './load-config.js';
import { PlatformConfig } from './platform.config.js';

const JWKS_URL = 'http://registry:3000/registry/.well-known/jwks.json';

class ServiceConfig extends PlatformConfig {
  @IsString()
  DATABASE_URL!: string;

  @IsBoolean()
  KAFKA_ENABLED: boolean = true;

  @IsInt()
  @Min(1)
  BATCH_SIZE: number = 100;
}

describe('loadConfig', () => {
  it('applies the defaults of the property initialisers', () => {
    const config = loadConfig(PlatformConfig, { MESHFAB_JWKS_URL: JWKS_URL });

    expect(config).toBeInstanceOf(PlatformConfig);
    expect(config).toMatchObject({ PORT: 3000, MESHFAB_JWKS_URL: JWKS_URL, LOG_LEVEL: 'info', MESHFAB_RATE_LIMIT_PER_SECOND: 1000, MESHFAB_RATE_LIMIT_ANONYMOUS_BURST: 60 });
  });

  it('converts numbers and booleans from their string form', () => {
    const config = loadConfig(ServiceConfig, {
      MESHFAB_JWKS_URL: JWKS_URL,
      DATABASE_URL: 'postgres://x',
      PORT: '8080',
      KAFKA_ENABLED: 'false',
      BATCH_SIZE: '25',
      LOG_LEVEL: 'debug',
    });

    expect(config.PORT).toBe(8080);
    expect(config.KAFKA_ENABLED).toBe(false);
    expect(config.BATCH_SIZE).toBe(25);
    expect(config.LOG_LEVEL).toBe('debug');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(PlatformConfig, { MESHFAB_JWKS_URL: JWKS_URL, PORT: '' }).PORT).toBe(3000);
  });

  it('lists every bad variable and why, without echoing values', () => {
    const load = () =>
      loadConfig(ServiceConfig, {
        MESHFAB_JWKS_URL: 'not a url',
        PORT: 'eighty',
        KAFKA_ENABLED: 'maybe',
        LOG_LEVEL: 'loud',
      });

    expect(load).toThrow(/Invalid configuration \(ServiceConfig\)/);
    const message = captureMessage(load);
    expect(message).toContain('MESHFAB_JWKS_URL: must be a URL address');
    expect(message).toContain('PORT: must be an integer number');
    expect(message).toContain('KAFKA_ENABLED: must be a boolean value');
    expect(message).toMatch(/LOG_LEVEL: must be one of the following values: fatal, error/);
    expect(message).toContain('DATABASE_URL: is required');
    expect(message).not.toContain('short-secret');
  });

  it('holds no signing secret any more: services verify with the registry’s public keys', () => {
    expect(Object.keys(loadConfig(PlatformConfig, {}))).not.toContain('MESHFAB_JWT_SECRET');
  });

  it('ignores variables the class does not declare', () => {
    const config = loadConfig(PlatformConfig, { MESHFAB_JWKS_URL: JWKS_URL, HOME: '/root' });

    expect(config).not.toHaveProperty('HOME');
  });
});

function captureMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected it to throw');
}
