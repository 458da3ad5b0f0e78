/**
 * `npm run demo`: the CLI around runDemo. Starts the network in this process (or drives `--url`),
 * signs the inspectors' tokens, shows progress on stderr, prints the report, and with `--json` one
 * JSON object of the key figures on the last line of stdout.
 *
 * Inspectors are registered by the operator (POST /registry/inspectors): only the registry signs tokens.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startHost, type RunningHost } from '#libs/runtime';
import { MeshfabClient } from '../client/meshfab-client.js';
import { NETWORK_SERVICES } from '../network.services.js';
import { DEMO_USAGE, parseDemoArgs, type DemoCliOptions } from './cli-options.js';
import { progressDisplay } from './progress.js';
import { buildScenario } from './network-model.js';
import { formatPeakSeason, peakSeasonLevelling } from './peak-season.js';
import { formatReport } from './report.js';
import { runDemo } from './scenario.js';

const err = (line: string) => process.stderr.write(`${line}\n`);

function readSecret(dataDir: string, file: string): string | undefined {
  const path = join(dataDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

interface Network {
  url: string;
  operatorToken: string;
  description: string;
  host?: RunningHost;
  /** Drops this run's schemas from a database that is not the demo's own (DATABASE_URL), after the host stopped. */
  cleanUp?: () => Promise<void>;
}

/** The network to drive: the one at --url, or a new one in this process (its own schemas per run). */
async function network(options: DemoCliOptions, runId: string): Promise<Network> {
  if (options.url) {
    const dataDir = resolve(options.dataDir ?? process.env.MESHFAB_DATA_DIR ?? './.data');
    const operatorToken = options.operatorToken ?? process.env.MESHFAB_OPERATOR_TOKEN ?? readSecret(dataDir, 'operator-token');
    if (!operatorToken) throw new Error(`no operator token: pass --operator-token, set MESHFAB_OPERATOR_TOKEN, or point --data-dir at the network's data folder (no ${join(dataDir, 'operator-token')})`);
    return { url: options.url, operatorToken, description: `network at ${options.url}` };
  }
  const dataDir = options.dataDir ?? '.data/demo';
  // Each run gets its own schemas, so a later run never offers work to an earlier run's workshops.
  const schemas = Object.fromEntries(NETWORK_SERVICES.map((s) => [`MESHFAB_${s.name.toUpperCase()}_SCHEMA`, `demo_${runId.toLowerCase().replace(/-/g, '_')}_${s.name}`]));
  const env: NodeJS.ProcessEnv = {
    ...schemas,
    ...process.env,
    MESHFAB_DATA_DIR: dataDir,
    PORT: process.env.PORT ?? '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    // Beside, not instead of, the embedded PostgreSQL that `npm start` runs on 54329.
    MESHFAB_EMBEDDED_PG_PORT: process.env.MESHFAB_EMBEDDED_PG_PORT ?? '54339',
  };
  err(`starting the network (${env.DATABASE_URL ? 'DATABASE_URL' : `embedded PostgreSQL under ${join(dataDir, 'postgres')}`}, schemas demo_${runId}_*) …`);
  const host = await startHost('network', NETWORK_SERVICES, { embedded: true, env });
  // startHost read (or generated) the operator token into env, from the data folder.
  const databaseUrl = env.DATABASE_URL;
  const cleanUp =
    databaseUrl && !options.keep
      ? async () => {
          const client = new pg.Client({ connectionString: databaseUrl });
          await client.connect();
          try {
            for (const schema of Object.values(schemas)) await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`);
          } finally {
            await client.end();
          }
        }
      : undefined;
  return { url: host.url, operatorToken: env.MESHFAB_OPERATOR_TOKEN!, description: `network started in this process at ${host.url}`, host, cleanUp };
}

async function main(): Promise<number> {
  let options: DemoCliOptions;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    err(`${error instanceof Error ? error.message : String(error)}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  const runId = options.resume ?? randomBytes(4).toString('hex');
  const net = await network(options, runId);
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    err(`\n${signal}: stopping. Continue this run later with: npm run demo -- --resume ${runId} --seed ${options.seed} --workshops ${options.workshops} --orders ${options.orders}${options.url ? ` --url ${options.url}` : ''}`);
    void (net.host?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  try {
    err(`run ${runId}: ${options.workshops} workshops, ${options.orders} orders, seed ${options.seed} (${net.description})`);
    const display = progressDisplay(process.stderr, options.progress);
    const result = await runDemo(new MeshfabClient(net.url), { operatorToken: net.operatorToken }, {
      workshops: options.workshops,
      orders: options.orders,
      seed: options.seed,
      runId,
      timeoutMs: options.timeoutSeconds * 1000,
      unrecoveredScrapRate: options.unrecoveredScrap,
      leaveNetwork: Boolean(options.url),
      resume: Boolean(options.resume),
      onProgress: (p) => display.update(p),
      log: options.verbose ? (line) => display.note(line) : undefined,
    });
    display.done();
    await net.host?.stop();
    await net.cleanUp?.();
    process.stdout.write(`${formatReport(result, { seed: options.seed, network: net.description })}\n`);
    // The peak season with load levelling off and on, from the same seed (matching's settings, or their defaults).
    const levelling = peakSeasonLevelling(
      buildScenario({ seed: options.seed, workshops: options.workshops, orders: options.orders }),
      Number(process.env.MESHFAB_MATCHING_PEAK_THRESHOLD || 0.8),
      Number(process.env.MESHFAB_MATCHING_PEAK_PENALTY || 0.05),
    );
    process.stdout.write(`\n${formatPeakSeason(levelling).join('\n')}\n`);
    if (options.json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
    const { ledger } = result.summary;
    return ledger.sumOfBalances === 0 && ledger.escrowOfCompletedOrders === 0 && ledger.paidLotsEqualPassedLots && result.audit.ok ? 0 : 1;
  } catch (error) {
    err(`\ndemo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    err(`continue this run with: npm run demo -- --resume ${runId} --seed ${options.seed} --workshops ${options.workshops} --orders ${options.orders}${options.url ? ` --url ${options.url}` : ''}`);
    await net.host?.stop().catch(() => undefined);
    return 1;
  }
}

process.exit(await main());
