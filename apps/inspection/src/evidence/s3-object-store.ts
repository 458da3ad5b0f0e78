import aws4 from 'aws4';
import { DependencyUnavailableError } from '#libs/platform';

/** Where an S3-compatible object store is and how to sign for it (from MESHFAB_INSPECTION_EVIDENCE_S3_*). */
export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `https://host/bucket/key` (MinIO, Ceph, most S3-compatible servers) rather than `https://bucket.host/key`. */
  pathStyle: boolean;
}

/** How an unavailable or refusing object store is named in the 503 `dependency_unavailable` answer. */
export const S3_DEPENDENCY = 'evidence storage (S3)';

const TIMEOUT_MS = 15_000;

/**
 * The three S3 calls evidence needs (HEAD, PUT, GET of one object), signed with AWS Signature V4 (`aws4`) over
 * Node's fetch. Every failure other than a missing object is a DependencyUnavailableError naming the storage
 * (503 with Retry-After): no host names, keys or signatures in what the caller reads.
 */
export class S3ObjectStore {
  constructor(private readonly settings: S3Settings) {}

  /** Whether an object is stored under `key`. */
  async has(key: string): Promise<boolean> {
    const response = await this.send('HEAD', key);
    if (response.status === 404) return false;
    if (!response.ok) throw await refusal(response);
    return true;
  }

  /** Stores `content` under `key`; `sha256` (hex) is the signed payload hash, so the store checks the bytes too. */
  async put(key: string, content: Buffer, sha256: string, contentType: string): Promise<void> {
    const response = await this.send('PUT', key, content, { 'Content-Type': contentType, 'X-Amz-Content-Sha256': sha256 });
    if (!response.ok) throw await refusal(response);
    await response.arrayBuffer();
  }

  /** The object's bytes, or undefined when there is none under `key`. */
  async get(key: string): Promise<Buffer | undefined> {
    const response = await this.send('GET', key);
    if (response.status === 404) {
      await response.arrayBuffer();
      return undefined;
    }
    if (!response.ok) throw await refusal(response);
    return Buffer.from(await response.arrayBuffer());
  }

  private async send(method: 'HEAD' | 'PUT' | 'GET', key: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Response> {
    const url = objectUrl(this.settings, key);
    const signed = aws4.sign(
      { service: 's3', region: this.settings.region, method, host: url.host, path: url.pathname, headers: { ...headers }, body },
      { accessKeyId: this.settings.accessKeyId, secretAccessKey: this.settings.secretAccessKey },
    );
    // fetch sets Host and Content-Length itself, to the values that were signed.
    const sent = Object.fromEntries(Object.entries(signed.headers ?? {}).filter(([name]) => !/^(host|content-length)$/i.test(name)).map(([name, value]) => [name, String(value)]));
    try {
      return await fetch(url, { method, headers: sent, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'did not answer in time' : 'cannot be reached';
      throw new DependencyUnavailableError(S3_DEPENDENCY, reason);
    }
  }
}

/** Path style `ENDPOINT/BUCKET/key`, else virtual-hosted `BUCKET.host/key` (a path in the endpoint is kept). */
export function objectUrl(settings: Pick<S3Settings, 'endpoint' | 'bucket' | 'pathStyle'>, key: string): URL {
  const endpoint = new URL(settings.endpoint);
  const base = endpoint.pathname.replace(/\/+$/, '');
  const path = key.split('/').map(encodeURIComponent).join('/');
  if (settings.pathStyle) return new URL(`${endpoint.protocol}//${endpoint.host}${base}/${settings.bucket}/${path}`);
  return new URL(`${endpoint.protocol}//${settings.bucket}.${endpoint.host}${base}/${path}`);
}

/** A refusal of the store, with S3's error code (`SignatureDoesNotMatch`, `NoSuchBucket`…) when it sent one. */
async function refusal(response: Response): Promise<DependencyUnavailableError> {
  const text = await response.text().catch(() => '');
  const code = /<Code>([A-Za-z]+)<\/Code>/.exec(text)?.[1];
  const what = response.status === 403 ? "refused the service's credentials" : 'refused the request';
  return new DependencyUnavailableError(S3_DEPENDENCY, `${what} (HTTP ${response.status}${code ? ` ${code}` : ''})`);
}
