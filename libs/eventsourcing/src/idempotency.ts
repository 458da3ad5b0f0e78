import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '#libs/domain';
import { ident } from './sql.js';

export interface IdempotentResponse<T> {
  status: number;
  body: T;
  /** True when this is the stored answer to an earlier identical request. */
  replayed: boolean;
}

/**
 * `Idempotency-Key` support for money-moving and creating POSTs: the first request's response is
 * stored in the same transaction as its effect; a repeat with the same key and body gets the same
 * response, a repeat with a different body gets a 409 (`idempotency_key_reused`).
 */
export class IdempotencyKeys {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${ident(schema)}.idempotency_keys`;
  }

  static hash(request: unknown): string {
    return createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
  }

  async run<T>(
    scope: string,
    key: string,
    request: unknown,
    effect: (manager: EntityManager) => Promise<{ status: number; body: T }>,
  ): Promise<IdempotentResponse<T>> {
    const requestHash = IdempotencyKeys.hash(request);
    return this.dataSource.transaction(async (manager) => {
      // Serialise requests with the same key: the second waits for the first to commit.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.schema}:${scope}:${key}`]);
      const rows: { request_hash: string; status: number; response: T }[] = await manager.query(
        `SELECT request_hash, status, response FROM ${this.table} WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      if (rows.length > 0) {
        if (rows[0].request_hash !== requestHash) {
          throw new DomainError('idempotency_key_reused', `Idempotency-Key ${key} was already used for a different request`, 'conflict');
        }
        return { status: rows[0].status, body: rows[0].response, replayed: true };
      }
      const result = await effect(manager);
      await manager.query(
        `INSERT INTO ${this.table} (scope, key, request_hash, status, response) VALUES ($1, $2, $3, $4, $5)`,
        [scope, key, requestHash, result.status, JSON.stringify(result.body ?? null)],
      );
      return { ...result, replayed: false };
    });
  }
}
