import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ErrorBodyDto, IDEMPOTENCY_KEY_PATTERN, PUBLIC_EXTENSION, ROLES_EXTENSION } from './openapi.decorators.js';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  /** Where clients reach the API (default: a server relative to the host serving the document). */
  servers?: { url: string; description?: string }[];
}

export const BEARER_SCHEME = 'bearer';

/** What each path's first segment is about: the operations' tags. */
const TAGS: Record<string, string> = {
  registry: 'Members: brands, workshops (profile, capabilities, capacity), inspectors and their tokens',
  orders: "Brands' orders: submission, status, timeline, cancellation",
  matching: "Offers to workshops, their answers and the subtasks' progress; order plans; capacity ahead",
  quotes: 'Instant quotes (matching): price and dates of an order before it is placed, holds, accepting into an order',
  inspection: 'Inspection lots, results, sampling plans and severity (ISO 2859-1)',
  settlement: 'Money: funding, accounts, escrow statements, payouts, the ledger',
  'sandbox-provider': 'The sandbox payment provider of the embedded network (funds brands in development and tests)',
  admin: 'Operator tools: dead letters, parked streams, event feeds',
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']> & Record<string, unknown>;

/**
 * Swagger UI at `/docs`, the document at `/docs-json`. Schemas come from the DTO and view classes
 * (the @nestjs/swagger plugin's metadata, loaded by the host before this runs); this adds what every
 * operation shares: a tag from its path, a one-line summary from its doc comment (the rest becomes the
 * description), who may call it (bearer JWT and roles, or none for a public one), the error answers with
 * the error body, and the servers.
 */
export function setupOpenApi(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const document = buildOpenApiDocument(app, options);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return document;
}

export function buildOpenApiDocument(app: INestApplication, { title, version, description, servers }: OpenApiOptions): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle(title)
    .setVersion(version)
    .setDescription(
      description ??
        'Meshfab: brands order products made across a network of workshops. Every call needs a bearer JWT (issued at registration, rotated through /registry/members/{memberId}/tokens) unless the operation says it is public. Errors answer `{ error, message, details? }`. Amounts are integer minor units.',
    )
    .setLicense('UNLICENSED', 'https://meshfab.invalid/license')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .addSecurityRequirements(BEARER_SCHEME);
  for (const server of servers ?? [{ url: '/', description: 'The host serving this document' }]) builder.addServer(server.url, server.description);
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorBodyDto], autoTagControllers: false });
  return completeOperations(document);
}

/** Adds to every operation what the controllers state once for all (see setupOpenApi). Exported for its test. */
export function completeOperations(document: OpenAPIObject): OpenAPIObject {
  const usedTags = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (!op) continue;
      const tag = path.split('/')[1] ?? 'meshfab';
      if (!op.tags?.length) op.tags = [tag];
      op.tags.forEach((t) => usedTags.add(t));
      summarize(op);
      idempotencyKeyHeader(op);
      // `@Query('name') name?: string` is documented as required; a handler that requires one says so with @ApiQuery (and a description).
      for (const p of op.parameters ?? []) if ('in' in p && p.in === 'query' && p.required && !p.description) p.required = false;
      const isPublic = op[PUBLIC_EXTENSION] === true;
      const roles = op[ROLES_EXTENSION] as string[] | undefined;
      const who = isPublic ? 'Public: no bearer token.' : roles ? `Roles: ${roles.join(', ')}.` : 'Roles: any authenticated member.';
      op.description = op.description ? `${op.description}\n\n${who}` : who;
      if (isPublic) op.security = [];
      const hasInput = Boolean(op.requestBody) || (op.parameters ?? []).some((p) => 'in' in p && (p.in === 'query' || p.in === 'header'));
      const errors: [string, string][] = [];
      if (hasInput || method !== 'get') errors.push(['400', 'The request is malformed or a field is invalid (`details` names it).']);
      if (!isPublic) errors.push(['401', 'No bearer token, or an invalid, expired or revoked one.']);
      if (roles) errors.push(['403', "The caller's role may not do this, or the resource is not the caller's to change."]);
      if (path.includes('{')) errors.push(['404', 'Nothing with this id that the caller may see.']);
      if (method !== 'get') {
        errors.push(['409', 'The change conflicts with the current state (or the Idempotency-Key was used with another body).']);
        errors.push(['422', 'Well-formed but refused by a business rule (`error` says which).']);
      }
      errors.push(['429', 'Too many requests: slow down (see Retry-After).']);
      errors.push(['503', 'Busy or a dependency is unavailable; nothing was changed: retry after Retry-After seconds.']);
      for (const [status, text] of errors) {
        op.responses[status] ??= { description: text, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBodyDto' } } } };
      }
    }
  }
  document.tags = [...usedTags].sort().map((name) => ({ name, description: TAGS[name] ?? name }));
  return document;
}

/**
 * Nest documents `@Headers('idempotency-key')` as a required `idempotency-key` header; `@ApiIdempotencyKey`
 * states whether it is. Keep that one, else the plain header as optional.
 */
function idempotencyKeyHeader(op: Operation): void {
  const params = op.parameters ?? [];
  const isKey = (p: (typeof params)[number]) => 'in' in p && p.in === 'header' && p.name.toLowerCase() === 'idempotency-key';
  const documented = params.find((p) => isKey(p) && 'description' in p && p.description);
  if (documented) {
    op.parameters = params.filter((p) => !isKey(p) || p === documented);
    return;
  }
  for (const p of params) {
    if (!isKey(p) || !('in' in p)) continue;
    p.name = 'Idempotency-Key';
    p.required = false;
    p.description = 'Optional: with a key (1-200 letters, digits or ._:-), a retry with the same key and body returns the first answer instead of acting twice.';
    p.schema = { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN, maxLength: 200 };
  }
}

/** A one-line summary (the comment's first sentence); the whole comment is the description. */
function summarize(op: Operation): void {
  const text = (op.summary ?? '').trim();
  if (!text) {
    // No doc comment: the handler's name, as words ("OrdersController_stepWork" -> "Step work").
    const name = (op.operationId ?? 'operation').replace(/^.*_/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    op.summary = name.charAt(0).toUpperCase() + name.slice(1);
    return;
  }
  const firstSentence = /^(.*?[.!?])(\s|$)/s.exec(text.replace(/\s*\n\s*/g, ' '))?.[1] ?? text.replace(/\s*\n\s*/g, ' ');
  const summary = firstSentence.replace(/\.$/, '');
  op.summary = summary.length > 120 ? `${summary.slice(0, 117)}...` : summary;
  if (summary !== text.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '')) op.description = [text, op.description].filter(Boolean).join('\n\n');
}
