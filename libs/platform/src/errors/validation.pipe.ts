import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ValidatorOptions } from '@nestjs/common/interfaces/external/validator-options.interface.js';
import { withoutSubject } from '../config/validation-message.js';
import { nestedShapeErrors } from '../http/nested-objects.js';

/** Also refuses an array where a nested DTO wants an object (class-validator lets those through). */
class RequestValidationPipe extends ValidationPipe {
  protected override async validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> {
    const errors = await super.validate(object, validatorOptions);
    return errors.length > 0 ? errors : nestedShapeErrors(object);
  }
}

/** One invalid field of a request, by its path in the body (`route.0.process`). */
export interface FieldProblems {
  field: string;
  problems: string[];
}

/**
 * The app's ValidationPipe: unknown properties are refused, payloads become DTO instances, and a
 * failure answers 400 `{ error: 'validation_failed', message: 'field: reason; …', fields: [...] }`.
 */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const fields = fieldProblems(errors);
      const message = fields.map(({ field, problems }) => `${field}: ${problems.join(', ')}`).join('; ');
      return new BadRequestException({ error: 'validation_failed', message, fields });
    },
  });
}

export function fieldProblems(errors: readonly ValidationError[], parent?: string): FieldProblems[] {
  return errors.flatMap((error) => {
    const field = parent === undefined ? error.property : `${parent}.${error.property}`;
    const problems = Object.values(error.constraints ?? {}).map((message) => withoutSubject(message, error.property));
    const own = problems.length > 0 ? [{ field, problems }] : [];
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}
