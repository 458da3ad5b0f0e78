// Each e2e network keeps its services' data in schemas of its own, dropped when the test ends.
import { schemaVariable } from '#libs/runtime';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { NETWORK_SERVICES } from '../../apps/network/src/network.services.js';

/** A fresh schema per service, keyed by the variable its host reads it from (`MESHFAB_<NAME>_SCHEMA`). */
export function freshSchemas(prefix: string, services: readonly { name: string }[] = NETWORK_SERVICES): Record<string, string> {
  return Object.fromEntries(services.map((s) => [schemaVariable(s.name), uniqueSchema(`${prefix}_${s.name}`)]));
}

/** Drops every schema an environment names in a `MESHFAB_<NAME>_SCHEMA` variable; E2E_KEEP_SCHEMAS keeps them to look at. */
export async function dropSchemas(env: Record<string, string | undefined>): Promise<void> {
  if (process.env.E2E_KEEP_SCHEMAS) return;
  for (const [key, schema] of Object.entries(env)) if (/^MESHFAB_[A-Z]+_SCHEMA$/.test(key) && schema) await dropSchema(testDatabaseUrl(), schema);
}
