// docker-compose.yml, checked as Docker Compose reads it: variables interpolated (`${VAR:-default}`,
// `${VAR:?error}`), YAML merge keys resolved, then validated against the Compose Specification's JSON
// schema, the one the npm package dclint ships (node_modules/dclint/schemas/compose.schema.json, from
// compose-spec/compose-spec). And every published port binds to 127.0.0.1 unless MESHFAB_BIND_ADDRESS says otherwise.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { MESHFAB_SERVICES } from '#libs/contracts';
import { generateSigningKeyPem, loadConfig, signingKeyFromPem } from '#libs/platform';
import { RuntimeConfig } from '#libs/runtime';

type Json = any;
const schema: Json = JSON.parse(readFileSync('node_modules/dclint/schemas/compose.schema.json', 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
const COMPOSE = readFileSync('docker-compose.yml', 'utf8');
const ENV = { MESHFAB_REGISTRY_SIGNING_KEY: generateSigningKeyPem() }; // what .env holds

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}. */
function interpolate(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      if (bare) return env[bare] ?? '';
      const raw = env[name!];
      const unset = colon ? !raw : raw === undefined;
      if (op === '-') return unset ? (interpolate(arg, env) as string) : raw!;
      if (op === '?') {
        if (unset) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return raw!;
      }
      if (op === '+') return unset ? '' : (interpolate(arg, env) as string);
      return raw ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

const load = (text: string, env: Record<string, string | undefined> = ENV): Json => interpolate(parse(text, { merge: true }), env);

function schemaProblems(compose: Json): string[] {
  return validate(compose) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Each published port and the address it binds on the host (short `ip:host:container` or long syntax). */
function publishedPorts(compose: Json): { service: string; hostIp: string; published: string }[] {
  return Object.entries(compose.services as Record<string, Json>).flatMap(([service, definition]) =>
    ((definition.ports ?? []) as Json[]).map((port) => {
      if (typeof port === 'object') return { service, hostIp: port.host_ip ?? '0.0.0.0', published: String(port.published ?? '') };
      const parts = String(port).split(':');
      return parts.length === 3 ? { service, hostIp: parts[0], published: parts[1] } : { service, hostIp: '0.0.0.0', published: parts[0] };
    }),
  );
}

/**
 * The keys model (libs/runtime/src/run.ts): the registry's container has the signing key, no other does;
 * every other one reaches the registry's JWKS (its container's PORT, the JWKS path) or has the public keys.
 */
function keyProblems(compose: Json): string[] {
  const problems: string[] = [];
  const registryPort = Number(compose.services.registry.environment.PORT);
  for (const service of MESHFAB_SERVICES) {
    const env = compose.services[service].environment as Record<string, string>;
    const config = loadConfig(RuntimeConfig, env);
    if (service === 'registry') {
      if (!config.MESHFAB_REGISTRY_SIGNING_KEY) problems.push('registry: no MESHFAB_REGISTRY_SIGNING_KEY');
      else signingKeyFromPem(config.MESHFAB_REGISTRY_SIGNING_KEY);
      continue;
    }
    if (config.MESHFAB_REGISTRY_SIGNING_KEY || config.MESHFAB_REGISTRY_SIGNING_KEY_FILE) problems.push(`${service}: holds the registry's signing key`);
    if (config.MESHFAB_JWT_PUBLIC_KEYS) continue;
    const url = config.MESHFAB_JWKS_URL ? new URL(config.MESHFAB_JWKS_URL) : undefined;
    if (!url) problems.push(`${service}: no MESHFAB_JWKS_URL or MESHFAB_JWT_PUBLIC_KEYS`);
    else if (url.hostname !== 'registry' || Number(url.port || 80) !== registryPort || url.pathname !== '/registry/.well-known/jwks.json') {
      problems.push(`${service}: MESHFAB_JWKS_URL ${url.href} is not the registry's JWKS (http://registry:${registryPort}/registry/.well-known/jwks.json)`);
    }
  }
  return problems;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(schemaProblems(load(COMPOSE))).toEqual([]);
  });

  it('publishes every port on 127.0.0.1 by default, on MESHFAB_BIND_ADDRESS when set', () => {
    const ports = publishedPorts(load(COMPOSE));
    expect(ports.map((p) => p.service).sort()).toEqual(['inspection', 'kafka', 'matching', 'orders', 'postgres', 'registry', 'settlement']);
    expect(ports.filter((p) => p.hostIp !== '127.0.0.1')).toEqual([]);
    expect(new Set(publishedPorts(load(COMPOSE, { ...ENV, MESHFAB_BIND_ADDRESS: '0.0.0.0' })).map((p) => p.hostIp))).toEqual(new Set(['0.0.0.0']));
  });

  it('gives each of the five services what it needs to start on its own, and refuses to start without the registry signing key', () => {
    const compose = load(COMPOSE);
    for (const service of MESHFAB_SERVICES) {
      const definition = compose.services[service];
      expect(definition.command).toEqual(['node', `dist/apps/${service}/src/main.js`]);
      const config = loadConfig(RuntimeConfig, definition.environment as Record<string, string>);
      expect([config.DATABASE_URL, config.brokers()]).toEqual(['postgres://meshfab:meshfab@postgres:5432/meshfab', ['kafka:9092']]);
    }
    expect(() => {
      load(COMPOSE, {});
    }).toThrow(/MESHFAB_REGISTRY_SIGNING_KEY is missing a value/);
  });

  it('lets the registry alone sign tokens, and every other service fetch its public keys from the registry', () => {
    expect(keyProblems(load(COMPOSE))).toEqual([]);
    expect(COMPOSE).not.toContain('MESHFAB_JWT_SECRET');
  });

  // The checks above can fail.
  it('catches a port published on every interface and a file the schema refuses', () => {
    expect(publishedPorts(load(COMPOSE.replace('"${MESHFAB_BIND_ADDRESS:-127.0.0.1}:3002:3000"', '"3002:3000"'))).filter((p) => p.hostIp !== '127.0.0.1')).toEqual([
      { service: 'orders', hostIp: '0.0.0.0', published: '3002' },
    ]);
    expect(schemaProblems(load(COMPOSE.replace('condition: service_healthy', 'condition: service_ok')))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/services\/(\w+)\/depends_on\/postgres\/condition must be equal to one of the allowed values/)]),
    );
    expect(schemaProblems(load(COMPOSE.replace('restart: unless-stopped', 'restart_policy: unless-stopped')))).toEqual(
      expect.arrayContaining([expect.stringMatching(/must NOT have additional properties .*restart_policy/)]),
    );
  });

  it('catches a service without the registry\'s public keys, one pointed elsewhere, and the signing key given to all', () => {
    expect(keyProblems(load(COMPOSE.replace(/^ {4}MESHFAB_JWKS_URL: .*\n/m, '')))).toEqual(['orders', 'matching', 'inspection', 'settlement'].map((s) => `${s}: no MESHFAB_JWKS_URL or MESHFAB_JWT_PUBLIC_KEYS`));
    expect(keyProblems(load(COMPOSE.replace('http://registry:3000/registry', 'http://registry/registry')))).toEqual(
      expect.arrayContaining(["orders: MESHFAB_JWKS_URL http://registry/registry/.well-known/jwks.json is not the registry's JWKS (http://registry:3000/registry/.well-known/jwks.json)"]),
    );
    const everywhere = COMPOSE.replace('x-environment: &environment\n', 'x-environment: &environment\n  MESHFAB_REGISTRY_SIGNING_KEY: ${MESHFAB_REGISTRY_SIGNING_KEY}\n');
    expect(keyProblems(load(everywhere))).toEqual(['orders', 'matching', 'inspection', 'settlement'].map((s) => `${s}: holds the registry's signing key`));
  });
});
