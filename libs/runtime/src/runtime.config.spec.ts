import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '#libs/platform';
import { RuntimeConfig } from './runtime.config.js';

const BASE = { KAFKA_BROKERS: 'kafka-1:9093,kafka-2:9093' };
const PASSWORD = 'the-kafka-password-never-echoed';
const security = (env: Record<string, string>) => loadConfig(RuntimeConfig, { ...BASE, ...env }).kafkaSecurity();

const dir = mkdtempSync(join(tmpdir(), 'meshfab-kafka-tls-'));
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
writeFileSync(join(dir, 'ca.pem'), CA);
writeFileSync(join(dir, 'cert.pem'), CA);
writeFileSync(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----\n');
writeFileSync(join(dir, 'not-pem.txt'), 'hello');

describe('Kafka TLS and SASL settings (RuntimeConfig.kafkaSecurity)', () => {
  it('none: PLAINTEXT, as before', () => {
    expect(security({})).toBeUndefined();
  });

  it('SCRAM-SHA-512 (Kafka spelling) with user and password', () => {
    expect(security({ MESHFAB_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', MESHFAB_KAFKA_SASL_USERNAME: 'orders', MESHFAB_KAFKA_SASL_PASSWORD: PASSWORD })).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'orders', password: PASSWORD },
    });
  });

  it('PLAIN over TLS with the system CAs', () => {
    expect(security({ MESHFAB_KAFKA_TLS: 'true', MESHFAB_KAFKA_SASL_MECHANISM: 'plain', MESHFAB_KAFKA_SASL_USERNAME: 'orders', MESHFAB_KAFKA_SASL_PASSWORD: PASSWORD })).toEqual({
      ssl: true,
      sasl: { mechanism: 'plain', username: 'orders', password: PASSWORD },
    });
  });

  it('TLS with a CA and a client certificate read from their files', () => {
    const result = security({
      MESHFAB_KAFKA_TLS: 'true',
      MESHFAB_KAFKA_TLS_CA_FILE: join(dir, 'ca.pem'),
      MESHFAB_KAFKA_TLS_CERT_FILE: join(dir, 'cert.pem'),
      MESHFAB_KAFKA_TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    expect(result?.ssl).toEqual({ ca: CA, cert: CA, key: expect.stringContaining('BEGIN PRIVATE KEY') });
    expect(result?.sasl).toBeUndefined();
  });

  it('a mechanism without its user name and password is refused, naming both', () => {
    expect(() => security({ MESHFAB_KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toThrow(
      /MESHFAB_KAFKA_SASL_USERNAME: is required with MESHFAB_KAFKA_SASL_MECHANISM=scram-sha-512[\s\S]*MESHFAB_KAFKA_SASL_PASSWORD: is required/,
    );
  });

  it('a user name or password without a mechanism is refused, without echoing the password', () => {
    let message = '';
    try {
      security({ MESHFAB_KAFKA_SASL_USERNAME: 'orders', MESHFAB_KAFKA_SASL_PASSWORD: PASSWORD });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/MESHFAB_KAFKA_SASL_MECHANISM: is required with MESHFAB_KAFKA_SASL_USERNAME or _PASSWORD \(plain, scram-sha-256, scram-sha-512\)/);
    expect(message).not.toContain(PASSWORD);
  });

  it('an unknown mechanism is refused at load', () => {
    expect(() => security({ MESHFAB_KAFKA_SASL_MECHANISM: 'GSSAPI', MESHFAB_KAFKA_SASL_USERNAME: 'orders', MESHFAB_KAFKA_SASL_PASSWORD: PASSWORD })).toThrow(/MESHFAB_KAFKA_SASL_MECHANISM/);
  });

  it('TLS files without MESHFAB_KAFKA_TLS=true, a certificate without its key, unreadable and non-PEM files are refused', () => {
    expect(() => security({ MESHFAB_KAFKA_TLS_CA_FILE: join(dir, 'ca.pem') })).toThrow(/MESHFAB_KAFKA_TLS_CA_FILE: is used only with MESHFAB_KAFKA_TLS=true/);
    expect(() => security({ MESHFAB_KAFKA_TLS: 'true', MESHFAB_KAFKA_TLS_CERT_FILE: join(dir, 'cert.pem') })).toThrow(/MESHFAB_KAFKA_TLS_KEY_FILE: a client certificate and its key go together/);
    expect(() => security({ MESHFAB_KAFKA_TLS: 'true', MESHFAB_KAFKA_TLS_CA_FILE: join(dir, 'missing.pem') })).toThrow(/MESHFAB_KAFKA_TLS_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/);
    expect(() => security({ MESHFAB_KAFKA_TLS: 'true', MESHFAB_KAFKA_TLS_CA_FILE: join(dir, 'not-pem.txt') })).toThrow(/MESHFAB_KAFKA_TLS_CA_FILE: .*not-pem\.txt holds no PEM block/);
  });

  it('Kafka security without KAFKA_BROKERS is refused (it would silently do nothing)', () => {
    expect(() => loadConfig(RuntimeConfig, { MESHFAB_KAFKA_TLS: 'true' }).kafkaSecurity()).toThrow(/KAFKA_BROKERS: the Kafka TLS\/SASL settings need brokers/);
  });
});

describe('database pool settings', () => {
  it('a pool of one connection is refused at load: opening a service holds one for its migration lock while another migrates', () => {
    expect(() => loadConfig(RuntimeConfig, { ...BASE, MESHFAB_DB_POOL_SIZE: '1' })).toThrow(/MESHFAB_DB_POOL_SIZE/);
    expect(loadConfig(RuntimeConfig, { ...BASE, MESHFAB_DB_POOL_SIZE: '2' }).MESHFAB_DB_POOL_SIZE).toBe(2);
  });

  it('auto-prepared statements are on unless MESHFAB_DB_AUTO_PREPARE=false', () => {
    expect(loadConfig(RuntimeConfig, BASE).MESHFAB_DB_AUTO_PREPARE).toBe(true);
    expect(loadConfig(RuntimeConfig, { ...BASE, MESHFAB_DB_AUTO_PREPARE: 'false' }).MESHFAB_DB_AUTO_PREPARE).toBe(false);
    expect(() => loadConfig(RuntimeConfig, { ...BASE, MESHFAB_DB_AUTO_PREPARE: 'sometimes' })).toThrow(/MESHFAB_DB_AUTO_PREPARE/);
  });
});
