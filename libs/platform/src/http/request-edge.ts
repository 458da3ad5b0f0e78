import { HttpException, HttpStatus, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { IsInt, Max, Min } from 'class-validator';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '../errors/error-response.js';

/** How much request body an app accepts (`loadConfig(HttpLimitsConfig, env)`; defaults below). */
export class HttpLimitsConfig {
  /** Largest request body in bytes; a longer one is refused with 413 before it is read. */
  @IsInt() @Min(1024) @Max(100 * 1024 * 1024) MESHFAB_HTTP_MAX_BODY_BYTES: number = 1024 * 1024;
  /** Deepest nesting of objects and arrays in a JSON body; a deeper one is refused with 400 before it is parsed. */
  @IsInt() @Min(2) @Max(1000) MESHFAB_HTTP_MAX_JSON_DEPTH: number = 32;
}

export interface JsonBodyLimits {
  maxBodyBytes: number;
  maxDepth: number;
}

export const DEFAULT_JSON_BODY_LIMITS: JsonBodyLimits = { maxBodyBytes: 1024 * 1024, maxDepth: 32 };

export function jsonBodyLimitsOf(config: HttpLimitsConfig): JsonBodyLimits {
  return { maxBodyBytes: config.MESHFAB_HTTP_MAX_BODY_BYTES, maxDepth: config.MESHFAB_HTTP_MAX_JSON_DEPTH };
}

const refused = (status: number, error: string, message: string) => new HttpException({ error, message } satisfies ErrorBody, status);

/**
 * Thrown from body-parser's `verify` to stop before parsing. body-parser decorates whatever it catches
 * as an http-error, which Nest would answer with a bare "Bad Request"; the error handler installed
 * right after the parser turns it back into our code and message.
 */
class JsonBodyRefused extends Error {
  constructor(readonly problem: ErrorBody) {
    super(problem.message);
  }
}

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const LETTER_U = 0x75; // u

/**
 * One pass over the raw UTF-8 bytes, before JSON.parse: nesting deeper than `maxDepth` (which would
 * make the parser, class-transformer and the validator recurse without bound), or a `\u0000` escape
 * (PostgreSQL stores no NUL in text or jsonb, so such a string could only fail deep in a handler).
 * Multi-byte UTF-8 sequences never contain ASCII bytes, so reading byte by byte is safe.
 */
export function jsonBodyProblem(raw: Uint8Array, maxDepth: number): ErrorBody | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === QUOTE) inString = false;
      else if (byte === BACKSLASH) {
        if (raw[i + 1] === LETTER_U && String.fromCharCode(...raw.subarray(i + 2, i + 6)) === '0000') {
          return { error: 'nul_character', message: 'the request body contains a NUL character (\\u0000), which cannot be stored' };
        }
        i += 1; // the escaped character cannot end the string
      }
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) return { error: 'json_too_deep', message: `the request body nests objects and arrays more than ${maxDepth} levels deep` };
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth -= 1;
  }
  return undefined;
}

/** The raw bytes of a JSON or CSV body, kept beside the parsed one (signed webhooks verify these bytes). */
export interface RawBodyRequest extends IncomingMessage {
  rawBody?: Buffer;
}

/**
 * `application/json` or `application/<anything>+json`, in UTF-8 (RFC 8259 §8.1), `text/csv` (bank
 * statements; the handler reads `rawBody`), or no body at all.
 */
function mediaTypeProblem(request: IncomingMessage): ErrorBody | undefined {
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return undefined;
  const [type = '', ...parameters] = (request.headers['content-type'] ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (!/^application\/([a-z0-9.+-]+\+)?json$/.test(type) && type !== 'text/csv') {
    return { error: 'unsupported_media_type', message: `send the request body as application/json${type ? `, not ${type}` : ' (the Content-Type header is missing)'}` };
  }
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return { error: 'unsupported_media_type', message: `send JSON in UTF-8, not ${charset}` };
  }
  return undefined;
}

/**
 * What every request passes before routing: no NUL in the URL (400; `%00` in a path or query parameter
 * could only fail in PostgreSQL), request bodies in JSON only (415 otherwise), at most `maxBodyBytes`
 * (413, decided from Content-Length before reading when it is given), nested at most `maxDepth` levels
 * and free of NUL characters (400, checked on the raw bytes before parsing). Call before the app
 * initialises, so these come ahead of Nest's default parsers (create the app with `bodyParser: false`
 * to have none of those). Requests Node's own parser refuses get JSON errors too.
 */
export function useRequestEdge(app: INestApplication, limits: JsonBodyLimits = DEFAULT_JSON_BODY_LIMITS): void {
  answerUnparsableRequestsAsJson(app.getHttpServer() as Server);
  app.use((request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => {
    if (/%00/i.test(request.url ?? '')) {
      next(refused(HttpStatus.BAD_REQUEST, 'nul_character', 'the URL contains a NUL character (%00), which cannot be stored'));
      return;
    }
    const problem = mediaTypeProblem(request);
    if (problem) {
      next(refused(HttpStatus.UNSUPPORTED_MEDIA_TYPE, problem.error, problem.message));
      return;
    }
    // A declared length over the limit is refused before a byte of the body is read; the connection
    // closes after the answer, so the client need not send the rest (body-parser would read it all first).
    if (Number(request.headers['content-length'] ?? 0) > limits.maxBodyBytes) {
      response.setHeader('Connection', 'close');
      next(refused(HttpStatus.PAYLOAD_TOO_LARGE, 'payload_too_large', `the request body is larger than ${limits.maxBodyBytes} bytes`));
      return;
    }
    next();
  });
  (app as NestExpressApplication).useBodyParser('json', {
    limit: limits.maxBodyBytes,
    verify: (request: RawBodyRequest, _response: ServerResponse, raw: Buffer) => {
      const problem = jsonBodyProblem(raw, limits.maxDepth);
      if (problem) throw new JsonBodyRefused(problem);
      request.rawBody = raw;
    },
  });
  (app as NestExpressApplication).useBodyParser('raw', {
    type: 'text/csv',
    limit: limits.maxBodyBytes,
    verify: (request: RawBodyRequest, _response: ServerResponse, raw: Buffer) => {
      if (raw.includes(0)) throw new JsonBodyRefused({ error: 'nul_character', message: 'the request body contains a NUL character, which cannot be stored' });
      request.rawBody = raw;
    },
  });
  app.use((error: unknown, _request: IncomingMessage, _response: ServerResponse, next: (error?: unknown) => void) => {
    next(error instanceof JsonBodyRefused ? refused(HttpStatus.BAD_REQUEST, error.problem.error, error.problem.message) : error);
  });
}

/**
 * Requests Node's HTTP parser refuses before any handler sees them (a request line or headers past
 * the 16 KiB limit, broken HTTP) get the same JSON error shape as everything else instead of an empty
 * body: 431 `headers_too_large` or 400 `bad_request`.
 */
function answerUnparsableRequestsAsJson(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, body]: [number, ErrorBody] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, { error: 'headers_too_large', message: 'the request line or headers are longer than the server accepts (16 KiB)' }]
        : [400, { error: 'bad_request', message: 'the request is not valid HTTP' }];
    const json = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  });
}
