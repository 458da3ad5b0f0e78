import type { ModuleRef } from '@nestjs/core';
import { ServiceDatabase } from '#libs/eventsourcing';

/** The schema of each service this process hosts, by service name (provided by the host module). */
export const HOSTED_SCHEMAS = Symbol('HOSTED_SCHEMAS');

/** The database of `service` when this process hosts it (the admin controllers' way to a service's store). */
export function hostedDatabase(moduleRef: ModuleRef, schemas: Record<string, string>, service: string): ServiceDatabase | undefined {
  const schema = Object.hasOwn(schemas, service) ? schemas[service] : undefined;
  return schema === undefined ? undefined : moduleRef.get(ServiceDatabase, { strict: false, each: true }).find((d) => d.schema === schema);
}
