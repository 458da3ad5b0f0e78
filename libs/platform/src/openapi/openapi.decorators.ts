import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiHeader, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI extension naming the roles an operation admits (the `@Roles` of its handler or controller). */
export const ROLES_EXTENSION = 'x-meshfab-roles';
/** OpenAPI extension marking an operation that needs no bearer token (`@Public`). */
export const PUBLIC_EXTENSION = 'x-meshfab-public';

/** The characters an `Idempotency-Key` may hold, as every service checks them. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\w.:-]{1,200}$';

/**
 * Documents the `Idempotency-Key` header: `required` where the service refuses a call without one
 * (money moves), optional where it only makes a retry return the first answer.
 */
export function ApiIdempotencyKey(required: boolean): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required,
      description: required
        ? 'Required: a key of your choosing (1-200 letters, digits or ._:-); the same key with the same body returns the first answer and does nothing twice, with another body it answers 409.'
        : 'Optional: with a key (1-200 letters, digits or ._:-), a retry with the same key and body returns the first answer instead of acting twice.',
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN, maxLength: 200 },
    }),
  );
}

/** The body of every error answer (4xx and 5xx). */
export class ErrorBodyDto {
  @ApiProperty({ description: 'Machine-readable code, snake_case (e.g. `validation_failed`, `not_found`, `forbidden_role`).', example: 'validation_failed', pattern: '^[a-z][a-z0-9_]*$' })
  error!: string;

  @ApiProperty({ description: 'What went wrong, for a person.', example: 'quantity must be a positive integer' })
  message!: string;

  @ApiPropertyOptional({ description: 'Facts about the error (the field at fault, the roles required, the limit exceeded...).', type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;
}

/** Applied by `@Roles`/`@Public` so the OpenAPI document states who may call (see setupOpenApi). */
export const apiRoles = (roles: readonly string[]) => ApiExtension(ROLES_EXTENSION, [...roles]);
export const apiPublic = () => ApiExtension(PUBLIC_EXTENSION, true);
