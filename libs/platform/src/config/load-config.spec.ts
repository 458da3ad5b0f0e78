import { IsBoolean, IsInt, IsString, Min } from 'class-validator';
import { loadConfig } from './load-config.js';
import { PlatformConfig } from './platform.config.js';

const SECRET = 'a-test-secret-that-is-long-enough-123';

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
    const config = loadConfig(PlatformConfig, { MESHFAB_JWT_SECRET: SECRET });

    expect(config).toBeInstanceOf(PlatformConfig);
    expect(config).toMatchObject({ PORT: 3000, MESHFAB_JWT_SECRET: SECRET, LOG_LEVEL: 'info', MESHFAB_RATE_LIMIT_PER_SECOND: 1000, MESHFAB_RATE_LIMIT_ANONYMOUS_BURST: 60 });
  });

  it('converts numbers and booleans from their string form', () => {
    const config = loadConfig(ServiceConfig, {
      MESHFAB_JWT_SECRET: SECRET,
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
    expect(loadConfig(PlatformConfig, { MESHFAB_JWT_SECRET: SECRET, PORT: '' }).PORT).toBe(3000);
  });

  it('lists every bad variable and why, without echoing values', () => {
    const load = () =>
      loadConfig(ServiceConfig, {
        MESHFAB_JWT_SECRET: 'short-secret',
        PORT: 'eighty',
        KAFKA_ENABLED: 'maybe',
        LOG_LEVEL: 'loud',
      });

    expect(load).toThrow(/Invalid configuration \(ServiceConfig\)/);
    const message = captureMessage(load);
    expect(message).toContain('MESHFAB_JWT_SECRET: must be longer than or equal to 32 characters');
    expect(message).toContain('PORT: must be an integer number');
    expect(message).toContain('KAFKA_ENABLED: must be a boolean value');
    expect(message).toMatch(/LOG_LEVEL: must be one of the following values: fatal, error/);
    expect(message).toContain('DATABASE_URL: is required');
    expect(message).not.toContain('short-secret');
  });

  it('requires the JWT secret: there is no default one', () => {
    expect(() => loadConfig(PlatformConfig, {})).toThrow('MESHFAB_JWT_SECRET: is required');
  });

  it('ignores variables the class does not declare', () => {
    const config = loadConfig(PlatformConfig, { MESHFAB_JWT_SECRET: SECRET, HOME: '/root' });

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
