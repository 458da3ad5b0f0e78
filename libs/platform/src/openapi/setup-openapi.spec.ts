import type { OpenAPIObject } from '@nestjs/swagger';
import { completeOperations } from './setup-openapi.js';

/** A document as @nestjs/swagger builds it, before completeOperations. */
function document(paths: Record<string, Record<string, unknown>>): OpenAPIObject {
  return { openapi: '3.0.0', info: { title: 't', version: '1' }, paths };
}

const ERROR_REF = { $ref: '#/components/schemas/ErrorBodyDto' };

describe('completeOperations', () => {
  it('tags an operation by its path and states its roles; a public one needs no token', () => {
    const doc = completeOperations(
      document({
        '/orders/{id}': { get: { operationId: 'OrdersController_get', summary: 'One order.', responses: { 200: { description: '' } }, 'x-meshfab-roles': ['brand', 'operator'] } },
        '/sandbox-provider/payments': { post: { operationId: 'Sandbox_pay', summary: 'Pays.', responses: { 202: { description: '' } }, 'x-meshfab-public': true } },
        '/registry/workshops': { get: { operationId: 'WorkshopsController_search', responses: { 200: { description: '' } } } },
      }),
    );

    const get = doc.paths['/orders/{id}'].get!;
    expect(get.tags).toEqual(['orders']);
    expect(get.description).toBe('Roles: brand, operator.');
    expect(get.security).toBeUndefined(); // the document's bearer requirement applies
    const pay = doc.paths['/sandbox-provider/payments'].post!;
    expect(pay.security).toEqual([]);
    expect(pay.description).toBe('Public: no bearer token.');
    expect(Object.keys(pay.responses)).not.toContain('401');
    expect(doc.paths['/registry/workshops'].get!.description).toBe('Roles: any authenticated member.');
    expect(doc.tags!.map((t) => t.name)).toEqual(['orders', 'registry', 'sandbox-provider']);
  });

  it('documents the error answers with the error body: 401/403 by security, 404 on an id path, 409/422 on changes', () => {
    const doc = completeOperations(
      document({
        '/orders/{id}/cancel': { post: { summary: 'Cancels.', responses: { 202: { description: '' } }, 'x-meshfab-roles': ['brand'] } },
        '/orders': { get: { summary: 'Lists.', responses: { 200: { description: '' } } } },
      }),
    );

    const cancel = doc.paths['/orders/{id}/cancel'].post!.responses;
    expect(Object.keys(cancel).sort()).toEqual(['202', '400', '401', '403', '404', '409', '422', '429', '503']);
    expect(cancel['404']).toMatchObject({ content: { 'application/json': { schema: ERROR_REF } } });
    expect(Object.keys(doc.paths['/orders'].get!.responses).sort()).toEqual(['200', '401', '429', '503']);
  });

  it('keeps a one-line summary and moves the rest of the doc comment to the description; names an undocumented operation', () => {
    const doc = completeOperations(
      document({
        '/a': { get: { operationId: 'AController_list', summary: 'Lists things. Inspectors see all;\nworkshops their own.', responses: {} } },
        '/b': { get: { operationId: 'BController_stepWork', responses: {} } },
      }),
    );

    expect(doc.paths['/a'].get!.summary).toBe('Lists things');
    expect(doc.paths['/a'].get!.description).toBe('Lists things. Inspectors see all;\nworkshops their own.\n\nRoles: any authenticated member.');
    expect(doc.paths['/b'].get!.summary).toBe('Step work');
  });

  it('documents Idempotency-Key once: the declared one, else the handler header as optional', () => {
    const declared = { name: 'Idempotency-Key', in: 'header', required: true, description: 'Required: ...', schema: { type: 'string' } };
    const doc = completeOperations(
      document({
        '/settlement/payouts': { post: { summary: 'Pays out.', responses: {}, parameters: [{ name: 'idempotency-key', in: 'header', required: true, schema: { type: 'string' } }, declared] } },
        '/orders': { post: { summary: 'Submits.', responses: {}, parameters: [{ name: 'idempotency-key', in: 'header', required: true, schema: { type: 'string' } }] } },
      }),
    );

    expect(doc.paths['/settlement/payouts'].post!.parameters).toEqual([declared]);
    expect(doc.paths['/orders'].post!.parameters).toEqual([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false })]);
  });

  it('makes a plain named query parameter optional; one documented as required stays required', () => {
    const doc = completeOperations(
      document({
        '/inspection/lots': {
          get: {
            summary: 'Lists.',
            responses: {},
            parameters: [
              { name: 'status', in: 'query', required: true, schema: { type: 'string' } },
              { name: 'lotSize', in: 'query', required: true, description: 'Units in the lot.', schema: { type: 'integer' } },
            ],
          },
        },
      }),
    );

    expect(doc.paths['/inspection/lots'].get!.parameters).toEqual([
      expect.objectContaining({ name: 'status', required: false }),
      expect.objectContaining({ name: 'lotSize', required: true }),
    ]);
  });
});
