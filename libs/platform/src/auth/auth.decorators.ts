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

export const ADMIN_ENDPOINT = 'meshfab:admin-endpoint';

/** `/metrics` and the like: public when MESHFAB_ADMIN_ENDPOINTS is `open`, else for operators only. */
export const AdminEndpoint = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ENDPOINT, true);

export const ALLOW_WHILE_SUSPENDED = 'meshfab:allow-while-suspended';

/** A write a suspended member may still make (its appeal). Every other write of a suspended member is a 403 `member_suspended`. */
export const AllowWhileSuspended = (): MethodDecorator & ClassDecorator => SetMetadata(ALLOW_WHILE_SUSPENDED, true);

/** Only these roles may call; on a handler it replaces the controller's list (in the OpenAPI document too). */
export const Roles = (...roles: [Role, ...Role[]]): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(REQUIRED_ROLES, roles), apiRoles(roles));

/** The verified caller. On a `@Public()` handler there is none, and using it answers 401. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new DomainError('missing_token', 'this request needs a bearer token', 'unauthorized');
  return principal;
});
