/**
 * `npm run asyncapi`: writes docs/asyncapi.json from the contracts registry (see asyncapi.ts).
 * `--check`: writes nothing, exits 1 when the file differs from what the code declares now.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NETWORK_SERVICES } from '../network.services.js';
import { buildAsyncApiDocument, renderAsyncApi } from './asyncapi.js';

export const ASYNCAPI_PATH = 'docs/asyncapi.json';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const rendered = renderAsyncApi(buildAsyncApiDocument(NETWORK_SERVICES, version));
if (process.argv.includes('--check')) {
  const current = (() => {
    try {
      return readFileSync(ASYNCAPI_PATH, 'utf8');
    } catch {
      return '';
    }
  })();
  if (current !== rendered) {
    process.stderr.write(`${ASYNCAPI_PATH} is stale: run npm run asyncapi\n`);
    process.exit(1);
  }
  process.stdout.write(`${ASYNCAPI_PATH} is up to date\n`);
} else {
  mkdirSync(dirname(ASYNCAPI_PATH), { recursive: true });
  writeFileSync(ASYNCAPI_PATH, rendered);
  const doc = JSON.parse(rendered) as { channels: object; components: { messages: object } };
  process.stdout.write(`wrote ${ASYNCAPI_PATH}: ${Object.keys(doc.channels).length} channels, ${Object.keys(doc.components.messages).length} messages\n`);
}
