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

export class MeshfabClient {
  /** `baseUrl`: the network's URL, or a function picking a service's URL by path (distributed). */
  constructor(private readonly baseUrl: string | ((path: string) => string)) {}

  urlOf(path: string): string {
    return `${typeof this.baseUrl === 'string' ? this.baseUrl : this.baseUrl(path)}${path}`;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const response = await fetch(this.urlOf(path), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
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
