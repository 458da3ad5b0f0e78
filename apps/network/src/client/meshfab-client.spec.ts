import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, MeshfabClient } from './meshfab-client.js';

/** A local HTTP server answering with the statuses given, one per request (the last one repeats). */
async function serve(statuses: number[], port = 0): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    const status = statuses[Math.min(hits, statuses.length - 1)];
    hits += 1;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status < 400 ? { ok: true } : { error: 'e', message: `status ${status}` }));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

/** A port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const { server, url } = await serve([200]);
  await close(server);
  return Number(new URL(url).port);
}

describe('MeshfabClient retries', () => {
  it('does not retry by default: a refused connection and a 503 fail at once', async () => {
    const port = await freePort();
    await expect(new MeshfabClient(`http://127.0.0.1:${port}`).get('/x', 't')).rejects.toThrow('fetch failed');
    const { server, url, hits } = await serve([503, 200]);
    try {
      await expect(new MeshfabClient(url).get('/x', 't')).rejects.toBeInstanceOf(HttpError);
      expect(hits()).toBe(1);
    } finally {
      await close(server);
    }
  });

  it('retries 503 and 429 until the service answers', async () => {
    const { server, url, hits } = await serve([503, 429, 200]);
    const retried: string[] = [];
    try {
      const client = new MeshfabClient(url, { retry: { forMs: 5_000, initialDelayMs: 10, onRetry: (what) => retried.push(what) } });
      await expect(client.post('/orders', 't', {})).resolves.toEqual({ ok: true });
      expect(hits()).toBe(3);
      expect(retried).toEqual(['POST /orders', 'POST /orders']);
    } finally {
      await close(server);
    }
  });

  it('retries a refused connection until the service listens', async () => {
    const port = await freePort();
    const client = new MeshfabClient(`http://127.0.0.1:${port}`, { retry: { forMs: 10_000, initialDelayMs: 50, maxDelayMs: 100 } });
    const call = client.get('/health', 't');
    await new Promise((r) => setTimeout(r, 300));
    const { server } = await serve([200], port);
    try {
      await expect(call).resolves.toEqual({ ok: true });
    } finally {
      await close(server);
    }
  });

  it('never retries an answer the caller must see (4xx), and gives up after forMs', async () => {
    const { server, url, hits } = await serve([404]);
    try {
      await expect(new MeshfabClient(url, { retry: { forMs: 5_000, initialDelayMs: 10 } }).get('/x', 't')).rejects.toMatchObject({ status: 404 });
      expect(hits()).toBe(1);
    } finally {
      await close(server);
    }
    const down = await serve([503]);
    try {
      await expect(new MeshfabClient(down.url, { retry: { forMs: 200, initialDelayMs: 20, maxDelayMs: 40 } }).get('/x', 't')).rejects.toMatchObject({ status: 503 });
      expect(down.hits()).toBeGreaterThan(1);
    } finally {
      await close(down.server);
    }
  });
});
