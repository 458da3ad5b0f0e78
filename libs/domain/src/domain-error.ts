/**
 * What kind of rule a domain error breaks; the HTTP edge maps it to a status:
 * invalid → 400, unauthorized → 401, forbidden → 403, not_found → 404, conflict → 409,
 * rejected → 422 (a well-formed request that the current state does not allow).
 */
export type DomainErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'rejected';

/** A broken business rule: a machine-readable `code` and a message a person understands. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: DomainErrorKind = 'rejected',
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends DomainError {
  constructor(
    readonly field: string,
    reason: string,
    details?: Record<string, unknown>,
  ) {
    super('validation_failed', `${field}: ${reason}`, 'invalid', { field, ...details });
  }
}

export class NotFound extends DomainError {
  constructor(what: string, id: string) {
    super(`${what}_not_found`, `${what} ${id} does not exist`, 'not_found', { id });
  }
}
