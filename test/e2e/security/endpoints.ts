// Every HTTP endpoint a running Nest application serves, as the fuzz suite discovers them from Nest's
// routing metadata, so that an endpoint added later shows up here without anyone listing it.
import type { INestApplication } from '@nestjs/common';
import { discoverEndpoints } from '../fuzz/endpoints.js';

/** `"GET /orders/:id"`: the method and the full path template. */
export type EndpointKey = `${string} /${string}`;

export function enumerateEndpoints(app: INestApplication): EndpointKey[] {
  return discoverEndpoints(app).map((endpoint) => endpoint.key as EndpointKey);
}
