import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths };
/** The schemas of the API (request and response bodies), by name: `Schemas['OrderViewDto']`. */
export type Schemas = components['schemas'];
export type MeshfabClient = Client<paths>;

/**
 * A typed client of one Meshfab host (`npm start` serves the whole network on one URL). `token` is the
 * member's bearer token; calls without one reach only public operations.
 */
export function createMeshfabClient(baseUrl: string, token?: string): MeshfabClient {
  const client = createClient<paths>({ baseUrl });
  if (token) {
    const auth: Middleware = {
      onRequest({ request }) {
        request.headers.set('Authorization', `Bearer ${token}`);
        return request;
      },
    };
    client.use(auth);
  }
  return client;
}

/** Throws with the API's error body (`{ error, message, details? }`) when a call did not succeed. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok) throw new Error(`${result.response.status} ${result.response.url}: ${JSON.stringify(result.error)}`);
  return result.data as T;
}
