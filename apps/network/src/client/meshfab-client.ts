/**
 * A small typed client of the network's public HTTP APIs, used by the demo and the end-to-end tests:
 * every call names the member it acts as (a bearer token) and throws on an unexpected status with the
 * server's error body in the message.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} → ${status} ${JSON.stringify(body)}`);
  }
}

export interface CallOptions {
  token: string;
  body?: unknown;
  idempotencyKey?: string;
  /** Statuses that count as success (default: 2xx). */
  expect?: number[];
}

/**
 * Calls tried again while a service is down or restarting: the connection refused or broken, no answer
 * in time, or 503/502/504/429. Off by default. A POST without an Idempotency-Key whose connection broke
 * mid-request may have been handled: the retry then gets the server's answer to a repeated request.
 */
export interface RetryOptions {
  /** Give up (throwing the last error) once a call has been retried for this long. */
  forMs: number;
  /** First pause between tries; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Abort a single try that has no answer after this long (default 30 s). */
  attemptTimeoutMs?: number;
  /** Told of every retry (for a harness's log or counts). */
  onRetry?: (what: string, reason: string) => void;
}

const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

export class MeshfabClient {
  /** `baseUrl`: the network's URL, or a function picking a service's URL by path (distributed). */
  constructor(
    private readonly baseUrl: string | ((path: string) => string),
    private readonly options: { retry?: RetryOptions } = {},
  ) {}

  urlOf(path: string): string {
    return `${typeof this.baseUrl === 'string' ? this.baseUrl : this.baseUrl(path)}${path}`;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions): Promise<{ status: number; body: T }> {
    const retry = this.options.retry;
    if (!retry) return this.callOnce<T>(method, path, options);
    const deadline = Date.now() + retry.forMs;
    let delay = retry.initialDelayMs ?? 200;
    for (;;) {
      let reason: string;
      try {
        return await this.callOnce<T>(method, path, options, retry.attemptTimeoutMs ?? 30_000);
      } catch (error) {
        const retriable = error instanceof HttpError ? RETRIED_STATUSES.has(error.status) && !options.expect?.includes(error.status) : true;
        if (!retriable || Date.now() + delay > deadline) throw error;
        reason = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
      }
      retry.onRetry?.(`${method} ${path}`, reason);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, retry.maxDelayMs ?? 2_000);
    }
  }

  private async callOnce<T>(method: string, path: string, options: CallOptions, timeoutMs?: number): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const response = await fetch(this.urlOf(path), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const body = (text ? JSON.parse(text) : null) as T;
    const ok = options.expect ? options.expect.includes(response.status) : response.status >= 200 && response.status < 300;
    if (!ok) throw new HttpError(response.status, body, `${method} ${path}`);
    return { status: response.status, body };
  }

  get<T = Record<string, unknown>>(path: string, token: string): Promise<T> {
    return this.call<T>('GET', path, { token }).then((r) => r.body);
  }

  /** Every item of a cursor-paged list (`{ items, hasMore, nextCursor }`), following nextCursor page by page. */
  async getAll<T = Record<string, unknown>>(path: string, token: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: { items: T[]; hasMore: boolean; nextCursor: string | null } = await this.get(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path, token);
      items.push(...page.items);
      cursor = page.hasMore ? page.nextCursor : null;
    } while (cursor);
    return items;
  }

  post<T = Record<string, unknown>>(path: string, token: string, body: unknown = {}, idempotencyKey?: string): Promise<T> {
    return this.call<T>('POST', path, { token, body, idempotencyKey }).then((r) => r.body);
  }

  put<T = Record<string, unknown>>(path: string, token: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, { token, body }).then((r) => r.body);
  }
}

/** Polls `probe` until it returns something other than undefined/null/false, or fails with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
