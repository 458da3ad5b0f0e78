// docker-compose.yml, checked as Docker Compose reads it: variables interpolated (`${VAR:-default}`,
// `${VAR:?error}`), YAML merge keys resolved, then validated against the Compose Specification's JSON
// schema, the one the npm package dclint ships (node_modules/dclint/schemas/compose.schema.json, from
// compose-spec/compose-spec). And every published port binds to 127.0.0.1 unless MESHFAB_BIND_ADDRESS says otherwise.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { MESHFAB_SERVICES } from '#libs/contracts';
import { loadConfig } from '#libs/platform';
import { RuntimeConfig } from '#libs/runtime';

type Json = any;
const schema: Json = JSON.parse(readFileSync('node_modules/dclint/schemas/compose.schema.json', 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
const COMPOSE = readFileSync('docker-compose.yml', 'utf8');
const ENV = { MESHFAB_JWT_SECRET: 'a-jwt-secret-of-at-least-32-characters-0123' }; // what .env holds

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

  it('gives each of the five services what it needs to start on its own, and refuses to start without MESHFAB_JWT_SECRET', () => {
    const compose = load(COMPOSE);
    for (const service of MESHFAB_SERVICES) {
      const definition = compose.services[service];
      expect(definition.command).toEqual(['node', `dist/apps/${service}/src/main.js`]);
      const config = loadConfig(RuntimeConfig, definition.environment as Record<string, string>);
      expect([config.DATABASE_URL, config.brokers()]).toEqual(['postgres://meshfab:meshfab@postgres:5432/meshfab', ['kafka:9092']]);
    }
    expect(() => {
      load(COMPOSE, {});
    }).toThrow(/MESHFAB_JWT_SECRET is missing a value/);
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
});
