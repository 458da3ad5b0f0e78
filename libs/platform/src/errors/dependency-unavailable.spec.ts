import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { DependencyUnavailableError, dependencyFailureOf } from './dependency-unavailable.js';
import { toErrorResponse } from './error-response.js';

/** A local TCP server playing a PostgreSQL that is down in one of the ways that matter. */
async function fakeServer(behaviour: 'blackhole' | 'hang-up'): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    if (behaviour === 'hang-up') socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What node-postgres really throws when it cannot get a connection to `port`. */
async function pgErrorConnectingTo(port: number): Promise<unknown> {
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', database: 'x', connectionTimeoutMillis: 300 });
  try {
    await pool.query('SELECT 1');
    throw new Error('expected the query to fail');
  } catch (error) {
    return error;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function closedPort(): Promise<number> {
  const server = await fakeServer('blackhole');
  await server.close();
  return server.port;
}

describe('errors that mean a dependency is unavailable', () => {
  it.each([
    ['refuses connections', async () => pgErrorConnectingTo(await closedPort()), 'PostgreSQL refused the connection'],
    ['accepts and never answers', async () => {
      const server = await fakeServer('blackhole');
      try {
        return await pgErrorConnectingTo(server.port);
      } finally {
        await server.close();
      }
    }, 'PostgreSQL did not answer in time'],
    ['hangs up at once', async () => {
      const server = await fakeServer('hang-up');
      try {
        return await pgErrorConnectingTo(server.port);
      } finally {
        await server.close();
      }
    }, 'PostgreSQL closed the connection'],
  ])('maps what node-postgres throws when the server %s to 503 with Retry-After', async (_, makeError, message) => {
    const error = await makeError();

    const { status, body, headers } = toErrorResponse(error);

    expect(status).toBe(503);
    expect(body).toEqual({ error: 'dependency_unavailable', message: `${message}; try again in a few seconds`, details: { dependency: 'PostgreSQL' } });
    expect(headers).toEqual({ 'Retry-After': '5' });
  });

  it('finds the cause inside what TypeORM wraps it in (driverError) and in causes', () => {
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const queryFailed = Object.assign(new Error(shutdown.message), { name: 'QueryFailedError', driverError: shutdown });

    expect(dependencyFailureOf(queryFailed)?.message).toBe('PostgreSQL is shutting down or starting up; try again in a few seconds');
    expect(dependencyFailureOf(new Error('saving failed', { cause: queryFailed }))?.dependency).toBe('PostgreSQL');
    expect(toErrorResponse(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })).status).toBe(503);
  });

  it('leaves errors of the request or of the code alone: still 500, or what they map to', () => {
    const uniqueViolation = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    const queryFailed = Object.assign(new Error(uniqueViolation.message), { name: 'QueryFailedError', driverError: uniqueViolation });

    expect(dependencyFailureOf(queryFailed)).toBeUndefined();
    expect(toErrorResponse(queryFailed).status).toBe(500);
    // A message that only mentions a refused connection is not one (no socket error code).
    expect(toErrorResponse(new Error('connect ECONNREFUSED password=hunter2')).status).toBe(500);
    expect(toErrorResponse(new Error('Connection terminated unexpectedly, said the test')).status).toBe(500);
  });

  it('answers a DependencyUnavailableError with its own dependency and Retry-After, without leaking addresses', () => {
    const { status, body, headers } = toErrorResponse(new DependencyUnavailableError('Kafka', 'has been unavailable since 2026-01-01T00:00:00.000Z', 9));

    expect(status).toBe(503);
    expect(body).toEqual({
      error: 'dependency_unavailable',
      message: 'Kafka has been unavailable since 2026-01-01T00:00:00.000Z; try again in a few seconds',
      details: { dependency: 'Kafka' },
    });
    expect(headers).toEqual({ 'Retry-After': '9' });
  });

  it('names Kafka for a kafkajs error', () => {
    const error = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
    expect(dependencyFailureOf(error)?.dependency).toBe('Kafka');
  });
});
