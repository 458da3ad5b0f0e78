/**
 * Runs before every test file of every Jest project.
 *
 * - `reflect-metadata` for NestJS decorators.
 * - The endpoints of the integration infrastructure: global-setup.ts sets `DATABASE_URL` and
 *   `KAFKA_BROKERS` in the Jest process, which test environments inherit; should a runner not
 *   carry them, they are read from the file the setup wrote for this run (the Jest process is
 *   this process with --runInBand, else the parent of this worker).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ENDPOINTS_FILE = fileURLToPath(new URL('../../../.data/test-infrastructure.json', import.meta.url));

if (!process.env.DATABASE_URL || !process.env.KAFKA_BROKERS) {
  const endpoints = readEndpoints();
  if (endpoints && (endpoints.pid === process.pid || endpoints.pid === process.ppid)) {
    process.env.DATABASE_URL ??= endpoints.databaseUrl;
    process.env.KAFKA_BROKERS ??= endpoints.kafkaBrokers;
  }
}

function readEndpoints(): { pid: number; databaseUrl: string; kafkaBrokers: string } | undefined {
  try {
    return JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as { pid: number; databaseUrl: string; kafkaBrokers: string };
  } catch {
    return undefined;
  }
}
