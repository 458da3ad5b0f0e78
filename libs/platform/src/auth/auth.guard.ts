import { Inject, Injectable, type CanActivate, type ExecutionContext, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { DomainError } from '#libs/domain';
import { ADMIN_ENDPOINT, ALLOW_WHILE_SUSPENDED, IS_PUBLIC, REQUIRED_ROLES, type AuthenticatedRequest } from './auth.decorators.js';
import { BOOTSTRAP_PRINCIPAL, isOperatorToken } from './operator-token.js';
import type { Principal, Role } from './principal.js';
import { TOKEN_REVOCATION, type TokenRevocationCheck } from './token-revocation.js';
import { TokenVerifier } from './token-verifier.js';
import { audienceOf, verifyOnce } from './verify-once.js';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from '../platform.options.js';

const BEARER = /^Bearer +(\S+)$/i;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every HTTP handler needs a valid bearer token unless marked `@Public()`; `@Roles(...)` narrows
 * who may call. Meant as the app's APP_GUARD (PlatformModule registers it). Handlers of other
 * transports (Kafka event patterns) are not HTTP calls and pass untouched.
 */
@Injectable()
export class AuthGuard implements CanActivate, OnApplicationBootstrap {
  private revocation?: TokenRevocationCheck;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    private readonly moduleRef: ModuleRef,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
  ) {
    if (options.operatorToken !== undefined && options.operatorToken.length < 32) {
      throw new Error('the operator token must be at least 32 characters long');
    }
  }

  /** Finds the optional revocation check wherever in the app it is provided. */
  onApplicationBootstrap(): void {
    try {
      this.revocation = this.moduleRef.get<TokenRevocationCheck>(TOKEN_REVOCATION, { strict: false });
    } catch {
      this.revocation = undefined;
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;

    const admin = this.reflector.getAllAndOverride<boolean | undefined>(ADMIN_ENDPOINT, targets);
    if (admin && this.options.config.MESHFAB_ADMIN_ENDPOINTS === 'open') return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(request, request.headers.authorization);
    const roles = admin ? (['operator'] as Role[]) : this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    // A service credential is no member: it gets through only where a handler names it.
    if ((roles && !roles.includes(principal.role)) || (principal.role === 'service' && !roles?.includes('service'))) {
      const required = roles ?? ['operator', 'brand', 'workshop', 'inspector'];
      throw new DomainError('forbidden_role', `only ${required.join(' or ')} may do this`, 'forbidden', {
        requiredRoles: required,
        role: principal.role,
      });
    }
    if (!READS.has(request.method ?? 'GET') && !this.reflector.getAllAndOverride<boolean | undefined>(ALLOW_WHILE_SUSPENDED, targets)) {
      if (this.revocation?.isSuspended && (await this.revocation.isSuspended(principal))) {
        throw new DomainError('member_suspended', 'this member is suspended: it may read its own data and appeal, nothing else until it is reinstated', 'forbidden');
      }
    }
    request.principal = principal;
    return true;
  }

  /** The caller of a request that passes no handler (the OpenAPI pages): the same checks, for an operator. */
  async authenticateOperator(request: AuthenticatedRequest): Promise<Principal> {
    const principal = await this.authenticate(request, request.headers.authorization);
    if (principal.role !== 'operator') throw new DomainError('forbidden_role', 'only operator may do this', 'forbidden', { requiredRoles: ['operator'], role: principal.role });
    return principal;
  }

  private async authenticate(request: AuthenticatedRequest, header: string | undefined): Promise<Principal> {
    if (!header) {
      throw new DomainError('missing_token', 'send a bearer token: Authorization: Bearer <token>', 'unauthorized');
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      throw new DomainError('invalid_token', 'the Authorization header must read: Bearer <token>', 'unauthorized');
    }
    const path = (request as AuthenticatedRequest & { originalUrl?: string }).originalUrl ?? request.url ?? '';
    const principal = isOperatorToken(this.options.operatorToken, token)
      ? { ...BOOTSTRAP_PRINCIPAL }
      : await verifyOnce(this.tokens, request, token, audienceOf(path, this.options.audiences ?? [this.options.serviceName]));
    if (this.revocation && (await this.revocation.isRevoked(principal))) {
      throw new DomainError('token_revoked', 'the bearer token has been revoked', 'unauthorized');
    }
    return principal;
  }
}
