// Regenerates src/schema.d.ts from a running network's OpenAPI document:
//   node scripts/generate.mjs http://localhost:3000/docs-json
// (npm start prints the URL). The committed file must match what the network serves: the test
// test/e2e/generated-client.e2e-spec.ts generates it again from a fresh network and compares.
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? 'http://localhost:3000/docs-json';
const cli = resolve(here, '../../../node_modules/openapi-typescript/bin/cli.js');
execFileSync(process.execPath, [cli, source, '--output', resolve(here, '../src/schema.d.ts')], { stdio: 'inherit' });
