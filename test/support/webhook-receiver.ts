// A member's webhook receiver as a third party would write it: a plain HTTP server that checks the
// Standard Webhooks signature itself (HMAC-SHA256 over `id.timestamp.body` with the endpoint's secret,
// computed here, not with Meshfab's signer), refuses what does not verify, and keeps each webhook-id once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  id: string;
  path: string;
  type: string;
  body: { id: string; type: string; timestamp: string; data: Record<string, unknown> };
  receivedAt: number;
  times: number;
  /** `v1,` signatures in the header the first time (two while a rotated-out secret still signs). */
  signatures: number;
}

export class WebhookReceiver {
  private server?: Server;
  port = 0;
  /** Secrets by path: each endpoint of the test has a path of its own. */
  readonly secrets = new Map<string, string>();
  /** Paths that answer 500 (a receiver with a bug). */
  readonly failing = new Set<string>();
  /** By `<path> <webhook-id>`: each endpoint (path) keeps each webhook-id once. */
  readonly received = new Map<string, ReceivedWebhook>();
  duplicates = 0;
  badSignatures = 0;
  refusedWhileFailing = 0;
  /** Each answer waits this long (a slow receiver keeps deliveries in flight). */
  delayMs = 0;
  /** While set, answers wait for it (the deliveries stay in flight at the sender). */
  hold?: Promise<void>;
  /** Requests waiting on `hold` now. */
  held = 0;

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Down: the port refuses connections (and open keep-alive connections are cut) until start() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  get up(): boolean {
    return this.server !== undefined;
  }

  ofType(type: string, path?: string): ReceivedWebhook[] {
    return [...this.received.values()].filter((w) => w.type === type && (path === undefined || w.path === path));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const path = req.url ?? '/';
    const id = String(req.headers['webhook-id'] ?? '');
    const timestamp = String(req.headers['webhook-timestamp'] ?? '');
    const signatures = String(req.headers['webhook-signature'] ?? '').split(' ');
    const secret = this.secrets.get(path);
    if (!secret || !id || !verifies(secret, id, timestamp, raw, signatures) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
      this.badSignatures += 1;
      res.writeHead(401).end();
      return;
    }
    if (this.failing.has(path)) {
      this.refusedWhileFailing += 1;
      res.writeHead(500).end('receiver bug');
      return;
    }
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.hold) {
      this.held += 1;
      await this.hold;
      this.held -= 1;
    }
    const seen = this.received.get(`${path} ${id}`);
    if (seen) {
      seen.times += 1;
      this.duplicates += 1;
    } else {
      const body = JSON.parse(raw.toString('utf8')) as ReceivedWebhook['body'];
      this.received.set(`${path} ${id}`, { id, path, type: body.type, body, receivedAt: Date.now(), times: 1, signatures: signatures.filter((x) => x.startsWith('v1,')).length });
    }
    res.writeHead(204).end();
  }
}

function verifies(secret: string, id: string, timestamp: string, body: Buffer, signatures: string[]): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body.toString('utf8')}`).digest();
  return signatures.some((s) => {
    if (!s.startsWith('v1,')) return false;
    const given = Buffer.from(s.slice(3), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A Server-Sent Events client (what a dashboard's EventSource does): collects events until aborted. */
export class EventStreamClient {
  readonly events: { id: string; event: string; data: { id: string; type: string; data: Record<string, unknown> } }[] = [];
  heartbeats = 0;
  status = 0;
  private readonly abort = new AbortController();
  private done?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly lastEventId?: string,
  ) {}

  async open(): Promise<void> {
    const response = await fetch(this.url, {
      headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream', ...(this.lastEventId ? { 'last-event-id': this.lastEventId } : {}) },
      signal: this.abort.signal,
    });
    this.status = response.status;
    if (!response.ok || !response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    this.done = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(':')) this.heartbeats += 1;
            const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
            if (fields.data) this.events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) as EventStreamClient['events'][number]['data'] });
          }
        }
      } catch {
        // aborted
      }
    })();
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
