// Every HTTP endpoint of a running app, read from Nest's own route metadata (the decorators the router
// mounted), so an endpoint added later is fuzzed without anyone listing it. Cross-checked against the
// OpenAPI document and against the routes Express actually serves (see http-fuzz.e2e-spec.ts).
import { RequestMethod, type INestApplication, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { getMetadataStorage } from 'class-validator';
import { IS_PUBLIC, REQUIRED_ROLES, ROLES, type Role } from '#libs/platform';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Endpoint {
  /** `POST /orders/:id/cancel` */
  key: string;
  method: HttpMethod;
  path: string;
  pathParams: string[];
  /** Names the handler reads: `@Query('x')` keys and the properties of an `@Query()` DTO. */
  queryParams: string[];
  /** The `@Body()` DTO class, when the handler takes a body. */
  body?: Type;
  headers: string[];
  /** Who may call: the handler's or controller's `@Roles`, else every role; none for `@Public()`. */
  roles: Role[];
  isPublic: boolean;
}

const METHODS: Partial<Record<RequestMethod, HttpMethod>> = {
  [RequestMethod.GET]: 'GET',
  [RequestMethod.POST]: 'POST',
  [RequestMethod.PUT]: 'PUT',
  [RequestMethod.PATCH]: 'PATCH',
  [RequestMethod.DELETE]: 'DELETE',
};

/** A route path or list of paths from Nest's metadata (strings only). */
const asList = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : []);

function joinPath(...parts: string[]): string {
  return `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;
}

/** Property names class-validator knows for a DTO (what `whitelist` lets through). */
export function dtoProperties(dto: Type): string[] {
  return [...new Set(getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false).map((m) => m.propertyName))];
}

interface RouteArgument {
  index: number;
  /** The key of `@Query('x')`, `@Param('id')`, `@Headers('idempotency-key')`; none for the whole object. */
  data?: string;
}

export function discoverEndpoints(app: INestApplication): Endpoint[] {
  const scanner = new MetadataScanner();
  const controllers = new Set<Type>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) if (wrapper.metatype) controllers.add(wrapper.metatype as Type);
  }
  const endpoints: Endpoint[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    const controllerPaths = asList(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as object;
      const httpMethod = METHODS[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const handlerPaths = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
      if (!httpMethod || handlerPaths === undefined) continue; // a message handler or a helper
      const args = Object.entries((Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, RouteArgument>);
      const types = (Reflect.getMetadata('design:paramtypes', prototype, name) ?? []) as Type[];
      const of = (kind: RouteParamtypes) => args.filter(([key]) => key.split(':')[0] === String(kind)).map(([, arg]) => arg);
      const queryParams = of(RouteParamtypes.QUERY).flatMap((arg) => (arg.data === undefined ? dtoProperties(types[arg.index]) : [arg.data]));
      const bodyArg = of(RouteParamtypes.BODY)[0];
      const isPublic = Reflect.getMetadata(IS_PUBLIC, handler) === true || Reflect.getMetadata(IS_PUBLIC, controller) === true;
      const roles = (Reflect.getMetadata(REQUIRED_ROLES, handler) ?? Reflect.getMetadata(REQUIRED_ROLES, controller) ?? [...ROLES]) as Role[];
      for (const base of controllerPaths.length > 0 ? controllerPaths : ['']) {
        for (const own of asList(handlerPaths)) {
          const path = joinPath(base, own);
          endpoints.push({
            key: `${httpMethod} ${path}`,
            method: httpMethod,
            path,
            pathParams: [...path.matchAll(/:(\w+)/g)].map((m) => m[1]),
            queryParams: [...new Set(queryParams)],
            body: bodyArg ? types[bodyArg.index] : undefined,
            headers: of(RouteParamtypes.HEADERS).flatMap((arg) => (arg.data === undefined ? [] : [arg.data.toLowerCase()])),
            roles: isPublic ? [] : roles,
            isPublic,
          });
        }
      }
    }
  }
  return endpoints.sort((a, b) => a.key.localeCompare(b.key));
}

/** `GET /orders/{id}` in the OpenAPI document → `GET /orders/:id`. */
export function openApiOperations(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
    .sort();
}

interface ExpressLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** The routes Express has mounted (what a request can actually reach), as `METHOD /path`. */
export function servedRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack
    .flatMap((layer) => (layer.route ? asList(layer.route.path).flatMap((path) => Object.keys(layer.route?.methods ?? {}).map((m) => `${m.toUpperCase()} ${path}`)) : []))
    .sort();
}
