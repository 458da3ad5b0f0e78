import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';

/** Where the console's files are: `apps/network/console`, copied beside the compiled code by `npm run build`. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The console's files by URL path, read once: its own, and Preact with htm in one ES module (the `htm` package). */
export function consoleFiles(dir = CONSOLE_DIR): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(`/console/${name}`, { type, body: readFileSync(join(dir, name)) });
  }
  // The browser build of `htm/preact/standalone` (its "browser" export), found from the package's main file.
  const htm = join(dirname(createRequire(import.meta.url).resolve('htm')), '..');
  files.set('/console/vendor/preact-htm.js', { type: TYPES['.js'], body: readFileSync(join(htm, 'preact', 'standalone.module.js')) });
  files.set('/console/', files.get('/console/index.html')!);
  return files;
}

/**
 * Serves the console at `/console/` from the network's own HTTP server (no process of its own): GET and
 * HEAD of its files only; anything else under /console goes on to the API's 404. Its Content-Security-Policy
 * (self only) is set by the platform's hardening (CONSOLE_CSP).
 */
export function mountConsole(app: INestApplication, dir = CONSOLE_DIR): void {
  const files = consoleFiles(dir);
  app.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
    const path = (request.url ?? '').split('?')[0];
    if ((request.method !== 'GET' && request.method !== 'HEAD') || (path !== '/console' && !path.startsWith('/console/'))) return next();
    if (path === '/console') {
      response.statusCode = 301;
      response.setHeader('Location', '/console/');
      return void response.end();
    }
    const file = files.get(path);
    if (!file) return next();
    response.setHeader('Content-Type', file.type);
    response.setHeader('Content-Length', file.body.length);
    response.end(request.method === 'HEAD' ? undefined : file.body);
  });
}
