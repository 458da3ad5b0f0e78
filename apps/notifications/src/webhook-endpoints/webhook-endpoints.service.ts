import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, NotFound, ValidationFailed } from '#libs/domain';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { rowsOf } from '../sql-rows.js';
import { MAX_PAGE_LIMIT, pageLimit, type Principal } from '#libs/platform';
import { NOTIFICATIONS_CLOCK, NOTIFICATIONS_CONFIG, SECRET_BOX, type NotificationsConfig } from '../config.js';
import { DELIVERIES_WRITTEN, type DeliveriesWritten } from '../member-events/member-events.service.js';
import { SUBSCRIBABLE, type MemberRole } from '../member-events/domain/member-notices.js';
import { endpointUrlProblem } from './domain/endpoint-url.js';
import { newEndpointSecret, type SecretBox } from './domain/secret-box.js';
import type { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './webhook-endpoint.dto.js';

export interface EndpointRow {
  id: string;
  member_id: string;
  member_role: MemberRole;
  url: string;
  description: string | null;
  event_types: string[];
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  disabled_at: Date | null;
  consecutive_failures: number;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function endpointView(row: EndpointRow) {
  return {
    id: row.id,
    memberId: row.member_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    status: row.status,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at?.toISOString() ?? null,
    consecutiveFailures: row.consecutive_failures,
    failingSince: row.failing_since?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  message_id: string;
  type: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    messageId: row.message_id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? (row.next_attempt_at?.toISOString() ?? null) : null,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];
/** How long the previous secret still signs (beside the new one) after a rotation. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** Members' webhook endpoints: registration, changes, secret rotation, the delivery log and manual redelivery. */
@Injectable()
export class WebhookEndpointsService {
  private readonly s: string;

  constructor(
    @Inject(ServiceDatabase) private readonly database: ServiceDatabase,
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @Inject(NOTIFICATIONS_CLOCK) private readonly clock: () => Date,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(DELIVERIES_WRITTEN) private readonly wake: DeliveriesWritten,
  ) {
    this.s = ident(database.schema);
  }

  private role(principal: Principal): MemberRole {
    if (principal.role !== 'brand' && principal.role !== 'workshop') throw new DomainError('forbidden', 'only brands and workshops register webhook endpoints', 'forbidden');
    return principal.role;
  }

  private checkUrl(url: string): string {
    const problem = endpointUrlProblem(url, { allowHttpLoopback: this.config.MESHFAB_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK, allowPrivateTargets: this.config.MESHFAB_NOTIFICATIONS_ALLOW_PRIVATE_TARGETS });
    if (problem) throw new ValidationFailed('url', problem);
    return new URL(url).toString();
  }

  private checkTypes(role: MemberRole, types: string[]): string[] {
    if (types.includes('*')) {
      if (types.length > 1) throw new ValidationFailed('eventTypes', '"*" stands alone');
      return ['*'];
    }
    const unknown = types.filter((t) => !SUBSCRIBABLE[role].includes(t));
    if (unknown.length > 0) throw new ValidationFailed('eventTypes', `a ${role} cannot receive ${unknown.join(', ')} (it may receive ${SUBSCRIBABLE[role].join(', ')})`);
    return [...new Set(types)];
  }

  async create(principal: Principal, dto: CreateWebhookEndpointDto) {
    const role = this.role(principal);
    const url = this.checkUrl(dto.url);
    const types = this.checkTypes(role, dto.eventTypes);
    const id = `we_${randomBytes(12).toString('hex')}`;
    const secret = newEndpointSecret();
    const now = this.clock();
    const row = await this.database.dataSource.transaction(async (manager) => {
      // One member's registrations wait for each other, so the cap holds.
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`meshfab-webhook-endpoints:${principal.sub}`]);
      const [{ count }]: { count: number }[] = await manager.query(`SELECT count(*)::int AS count FROM ${this.s}.webhook_endpoints WHERE member_id = $1`, [principal.sub]);
      if (count >= this.config.MESHFAB_NOTIFICATIONS_MAX_ENDPOINTS) {
        throw new DomainError('too_many_endpoints', `a member may register at most ${this.config.MESHFAB_NOTIFICATIONS_MAX_ENDPOINTS} webhook endpoints`, 'rejected');
      }
      const rows: EndpointRow[] = await manager.query(
        `INSERT INTO ${this.s}.webhook_endpoints (id, member_id, member_role, url, description, event_types, secret_sealed, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
        [id, principal.sub, role, url, dto.description ?? null, types, this.box.seal(secret, id), now],
      );
      return rows[0];
    });
    // The secret is shown once, here; the service keeps it sealed (see SecretBox) and never shows it again.
    return { ...endpointView(row), secret };
  }

  async list(principal: Principal) {
    const rows: EndpointRow[] = await this.database.dataSource.query(`SELECT * FROM ${this.s}.webhook_endpoints WHERE member_id = $1 ORDER BY created_at, id`, [principal.sub]);
    return { items: rows.map(endpointView), total: rows.length };
  }

  /** The member's endpoint; another member's is a 404 like a missing one. */
  async find(principal: Principal, id: string): Promise<EndpointRow> {
    const rows: EndpointRow[] = await this.database.dataSource.query(`SELECT * FROM ${this.s}.webhook_endpoints WHERE id = $1`, [id]);
    if (!rows[0] || (rows[0].member_id !== principal.sub && principal.role !== 'operator')) throw new NotFound('webhook_endpoint', id);
    return rows[0];
  }

  async get(principal: Principal, id: string) {
    return endpointView(await this.find(principal, id));
  }

  async update(principal: Principal, id: string, dto: UpdateWebhookEndpointDto) {
    const row = await this.find(principal, id);
    if (principal.sub !== row.member_id) throw new NotFound('webhook_endpoint', id);
    const url = dto.url === undefined ? row.url : this.checkUrl(dto.url);
    const types = dto.eventTypes === undefined ? row.event_types : this.checkTypes(row.member_role, dto.eventTypes);
    const description = dto.description === undefined ? row.description : dto.description;
    const status = dto.status ?? row.status;
    const reenabled = row.status === 'disabled' && status === 'enabled';
    const paused = row.status === 'enabled' && status === 'disabled';
    const rows: EndpointRow[] = rowsOf<EndpointRow>(await this.database.dataSource.query(
      `UPDATE ${this.s}.webhook_endpoints SET url = $2, event_types = $3, description = $4, status = $5, updated_at = $6,
              disabled_reason = CASE WHEN $7 THEN NULL WHEN $8 THEN 'disabled by the member' ELSE disabled_reason END,
              disabled_at = CASE WHEN $7 THEN NULL WHEN $8 THEN $6 ELSE disabled_at END,
              consecutive_failures = CASE WHEN $7 THEN 0 ELSE consecutive_failures END,
              failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END
        WHERE id = $1 RETURNING *`,
      [id, url, types, description, status, this.clock(), reenabled, paused],
    ));
    if (reenabled) this.wake();
    return endpointView(rows[0]);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const row = await this.find(principal, id);
    if (principal.sub !== row.member_id) throw new NotFound('webhook_endpoint', id);
    await this.database.dataSource.query(`DELETE FROM ${this.s}.webhook_endpoints WHERE id = $1`, [id]);
  }

  /** A new secret, shown once; the previous one keeps signing beside it for 24 h so receivers can switch without losing a webhook. */
  async rotateSecret(principal: Principal, id: string) {
    const row = await this.find(principal, id);
    if (principal.sub !== row.member_id) throw new NotFound('webhook_endpoint', id);
    const secret = newEndpointSecret();
    const now = this.clock();
    const rows: EndpointRow[] = rowsOf<EndpointRow>(await this.database.dataSource.query(
      `UPDATE ${this.s}.webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_secret_until = $3, secret_sealed = $2, updated_at = $4 WHERE id = $1 RETURNING *`,
      [id, this.box.seal(secret, id), new Date(now.getTime() + ROTATION_OVERLAP_MS), now],
    ));
    return { ...endpointView(rows[0]), secret, previousSecretValidUntil: rows[0].previous_secret_until?.toISOString() ?? null };
  }

  /** The endpoint's deliveries, newest first, a page at a time (`cursor` = the last id of the previous page). */
  async deliveries(principal: Principal, id: string, query: { cursor?: string; limit?: string; status?: string }) {
    await this.find(principal, id);
    const limit = pageLimit(query.limit, MAX_PAGE_LIMIT, 50);
    if (query.cursor !== undefined && !/^\d{1,18}$/.test(query.cursor)) throw new ValidationFailed('cursor', 'must be the nextCursor of a previous page');
    if (query.status !== undefined && !DELIVERY_STATUSES.includes(query.status)) throw new ValidationFailed('status', `must be one of ${DELIVERY_STATUSES.join(', ')}`);
    const rows: DeliveryRow[] = await this.database.dataSource.query(
      `SELECT d.id::text AS id, d.endpoint_id, m.message_id, m.type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.delivered_at, d.created_at
         FROM ${this.s}.webhook_deliveries d JOIN ${this.s}.member_events m ON m.seq = d.event_seq
        WHERE d.endpoint_id = $1 AND ($2::bigint IS NULL OR d.id < $2) AND ($3::text IS NULL OR d.status = $3)
        ORDER BY d.id DESC LIMIT $4`,
      [id, query.cursor ?? null, query.status ?? null, limit + 1],
    );
    const [{ total }]: { total: number }[] = await this.database.dataSource.query(
      `SELECT count(*)::int AS total FROM ${this.s}.webhook_deliveries WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2)`,
      [id, query.status ?? null],
    );
    const page = rows.slice(0, limit);
    const hasMore = rows.length > limit;
    return { items: page.map(deliveryView), total, hasMore, nextCursor: hasMore ? page[page.length - 1].id : null };
  }

  /** Sends a delivery again now (same webhook-id, a fresh 24 h of retries), whatever became of it. */
  async redeliver(principal: Principal, endpointId: string, deliveryId: string) {
    const endpoint = await this.find(principal, endpointId);
    if (principal.sub !== endpoint.member_id) throw new NotFound('webhook_endpoint', endpointId);
    if (!/^\d{1,18}$/.test(deliveryId)) throw new NotFound('webhook_delivery', deliveryId);
    const now = this.clock();
    const rows: { id: string }[] = rowsOf<{ id: string }>(await this.database.dataSource.query(
      `UPDATE ${this.s}.webhook_deliveries SET status = 'pending', next_attempt_at = $3, created_at = $3, claimed_until = NULL
        WHERE id = $1 AND endpoint_id = $2 RETURNING id::text AS id`,
      [deliveryId, endpointId, now],
    ));
    if (rows.length === 0) throw new NotFound('webhook_delivery', deliveryId);
    this.wake();
    const page: DeliveryRow[] = await this.database.dataSource.query(
      `SELECT d.id::text AS id, d.endpoint_id, m.message_id, m.type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.delivered_at, d.created_at
         FROM ${this.s}.webhook_deliveries d JOIN ${this.s}.member_events m ON m.seq = d.event_seq WHERE d.id = $1`,
      [deliveryId],
    );
    return deliveryView(page[0]);
  }
}
