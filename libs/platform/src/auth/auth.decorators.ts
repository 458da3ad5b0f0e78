import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { DomainError } from '#libs/domain';
import { apiPublic, apiRoles } from '../openapi/openapi.decorators.js';
import type { Principal, Role } from './principal.js';

export const IS_PUBLIC = 'meshfab:public';
export const REQUIRED_ROLES = 'meshfab:roles';

/** The HTTP request once the AuthGuard has let it through. */
export interface AuthenticatedRequest extends IncomingMessage {
  principal?: Principal;
}

/** A handler or controller that needs no bearer token (health, metrics, docs); the OpenAPI document says so. */
export const Public = (): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(IS_PUBLIC, true), apiPublic());

/** Only these roles may call; on a handler it replaces the controller's list (in the OpenAPI document too). */
export const Roles = (...roles: [Role, ...Role[]]): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(REQUIRED_ROLES, roles), apiRoles(roles));

/** The verified caller. On a `@Public()` handler there is none, and using it answers 401. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new DomainError('missing_token', 'this request needs a bearer token', 'unauthorized');
  return principal;
});
