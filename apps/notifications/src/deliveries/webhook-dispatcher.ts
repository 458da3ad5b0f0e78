import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { ident, ServiceDatabase } from '#libs/eventsourcing';
import { rowsOf } from '../sql-rows.js';
import { MetricsService, signWebhook } from '#libs/platform';
import { NOTIFICATIONS_CLOCK, NOTIFICATIONS_CONFIG, SECRET_BOX, type NotificationsConfig } from '../config.js';
import { ENDPOINT_DISABLED } from '../member-events/domain/member-notices.js';
import { MemberEventsService, messageBody, WakeSignal } from '../member-events/member-events.service.js';
import type { SecretBox } from '../webhook-endpoints/domain/secret-box.js';
import { nextAttemptAt, shouldDisable, type DisablePolicy, type RetryPolicy } from './domain/retry-schedule.js';
import { sendWebhook, type SendResult } from './webhook-sender.js';

interface FailingEndpoint {
  member_id: string;
  member_role: 'brand' | 'workshop';
  url: string;
  consecutive_failures: number;
  failing_since: Date;
  status: string;
}

interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  attempts: number;
  created_at: Date;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
  message_id: string;
  type: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
  recorded_at: Date;
}

/**
 * Delivers the webhook outbox: claims due deliveries of enabled endpoints with a lease (several
 * instances share the work; a delivery whose dispatcher died mid-flight is claimed again when its lease
 * ends, so nothing is lost and a receiver may see a webhook-id twice), signs each per Standard Webhooks,
 * POSTs it, and records the attempt: delivered, or tried again with exponential back-off for up to 24 h.
 * An endpoint failing without a break is disabled and its member told (WebhookEndpointDisabled).
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(WebhookDispatcher.name);
  private readonly s: string;
  private stopped = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private woken = false;
  private readonly outcomes: Counter<'outcome'>;
  private readonly timeToDeliver: Histogram;
  private readonly retry: RetryPolicy;
  private readonly disable: DisablePolicy;

  constructor(
    @Inject(ServiceDatabase) private readonly database: ServiceDatabase,
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @Inject(NOTIFICATIONS_CLOCK) private readonly clock: () => Date,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(WakeSignal) signal: WakeSignal,
    @Inject(MemberEventsService) private readonly events: MemberEventsService,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    this.s = ident(database.schema);
    signal.listen(() => this.wake());
    this.retry = { initialBackoffMs: config.MESHFAB_NOTIFICATIONS_RETRY_INITIAL_MS, maxBackoffMs: config.MESHFAB_NOTIFICATIONS_RETRY_MAX_MS, windowMs: config.MESHFAB_NOTIFICATIONS_RETRY_WINDOW_MS };
    this.disable = { afterFailures: config.MESHFAB_NOTIFICATIONS_DISABLE_AFTER_FAILURES, afterMs: config.MESHFAB_NOTIFICATIONS_DISABLE_AFTER_MS };
    this.outcomes = metrics.counter({
      name: 'meshfab_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, failed (retried later), given_up (past the retry window), endpoint_disabled',
      labelNames: ['outcome'],
    });
    this.timeToDeliver = metrics.histogram({
      name: 'meshfab_webhook_time_to_deliver_seconds',
      help: 'From the event being recorded for its member to its webhook being delivered',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600, 86400],
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.MESHFAB_NOTIFICATIONS_DELIVER) return;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let claimed = 0;
      try {
        claimed = await this.deliverDue();
      } catch (error) {
        this.log.warn(`webhook dispatch failed, trying again: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (claimed >= this.config.MESHFAB_NOTIFICATIONS_BATCH || this.stopped) continue;
      if (this.woken) {
        this.woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.MESHFAB_NOTIFICATIONS_POLL_MS);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
      this.woken = false;
    }
  }

  /** Claims and sends one batch of due deliveries; returns how many it claimed. */
  async deliverDue(): Promise<number> {
    const now = this.clock();
    const claimed: ClaimedDelivery[] = rowsOf<ClaimedDelivery>(await this.database.dataSource.query(
      `WITH due AS (
         SELECT d.id FROM ${this.s}.webhook_deliveries d JOIN ${this.s}.webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until < $1) AND e.status = 'enabled'
          ORDER BY d.next_attempt_at, d.id LIMIT $3 FOR UPDATE OF d SKIP LOCKED)
       UPDATE ${this.s}.webhook_deliveries d SET claimed_until = $2 FROM due, ${this.s}.webhook_endpoints e, ${this.s}.member_events m
        WHERE d.id = due.id AND e.id = d.endpoint_id AND m.seq = d.event_seq
       RETURNING d.id::text AS id, d.endpoint_id, d.attempts, d.created_at, e.url, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_until,
                 m.message_id, m.type, m.occurred_at, m.payload, m.recorded_at`,
      [now, new Date(now.getTime() + this.config.MESHFAB_NOTIFICATIONS_LEASE_MS), this.config.MESHFAB_NOTIFICATIONS_BATCH],
    ));
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    return claimed.length;
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const sentAt = this.clock();
    const timestamp = Math.floor(sentAt.getTime() / 1000);
    const body = JSON.stringify(messageBody(delivery));
    const secrets = [this.box.open(delivery.secret_sealed, delivery.endpoint_id)];
    if (delivery.previous_secret_sealed && delivery.previous_secret_until && delivery.previous_secret_until > sentAt) {
      secrets.push(this.box.open(delivery.previous_secret_sealed, delivery.endpoint_id));
    }
    const headers = {
      'webhook-id': delivery.message_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': secrets.map((secret) => signWebhook(secret, delivery.message_id, timestamp, body)).join(' '),
    };
    const result = await sendWebhook(delivery.url, headers, body, {
      timeoutMs: this.config.MESHFAB_NOTIFICATIONS_TIMEOUT_MS,
      allowPrivateTargets: this.config.MESHFAB_NOTIFICATIONS_ALLOW_PRIVATE_TARGETS,
      allowHttpLoopback: this.config.MESHFAB_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK,
    });
    await this.record(delivery, sentAt, result);
  }

  private async record(delivery: ClaimedDelivery, sentAt: Date, result: SendResult): Promise<void> {
    const ok = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
    const attempts = delivery.attempts + 1;
    const error = ok ? null : (result.error ?? `answered ${result.statusCode}`);
    const doneAt = this.clock();
    const outcome = await this.database.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO ${this.s}.webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)`, [
        delivery.id,
        attempts,
        sentAt,
        result.statusCode ?? null,
        error,
        result.durationMs,
      ]);
      if (ok) {
        await manager.query(
          `UPDATE ${this.s}.webhook_deliveries SET status = 'delivered', attempts = $2, delivered_at = $3, last_attempt_at = $4, last_status_code = $5, last_error = NULL, claimed_until = NULL WHERE id = $1`,
          [delivery.id, attempts, doneAt, sentAt, result.statusCode],
        );
        await manager.query(`UPDATE ${this.s}.webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1 AND consecutive_failures > 0`, [delivery.endpoint_id]);
        return 'delivered' as const;
      }
      const next = nextAttemptAt(attempts, delivery.created_at, doneAt, this.retry);
      await manager.query(
        `UPDATE ${this.s}.webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, last_attempt_at = $5, last_status_code = $6, last_error = $7, claimed_until = NULL WHERE id = $1`,
        [delivery.id, next ? 'pending' : 'failed', attempts, next, sentAt, result.statusCode ?? null, error],
      );
      const [endpoint] = rowsOf<FailingEndpoint>(await manager.query(
        `UPDATE ${this.s}.webhook_endpoints SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, $2)
          WHERE id = $1 RETURNING member_id, member_role, url, consecutive_failures, failing_since, status`,
        [delivery.endpoint_id, sentAt],
      ));
      if (endpoint?.status === 'enabled' && shouldDisable(endpoint.consecutive_failures, endpoint.failing_since, doneAt, this.disable)) {
        const reason = `${endpoint.consecutive_failures} failed attempts in a row since ${endpoint.failing_since.toISOString()} (last: ${error})`;
        await manager.query(`UPDATE ${this.s}.webhook_endpoints SET status = 'disabled', disabled_reason = $2, disabled_at = $3, updated_at = $3 WHERE id = $1`, [
          delivery.endpoint_id,
          reason,
          doneAt,
        ]);
        // The member is told on its other channels: its SSE stream and its other endpoints subscribed to it.
        await this.events.tell(manager, `${delivery.endpoint_id}:disabled:${doneAt.toISOString()}`, doneAt, {
          memberId: endpoint.member_id,
          role: endpoint.member_role,
          type: ENDPOINT_DISABLED,
          data: { endpointId: delivery.endpoint_id, url: endpoint.url, reason, disabledAt: doneAt.toISOString() },
        });
        this.log.warn(`webhook endpoint ${delivery.endpoint_id} of ${endpoint.member_id} disabled: ${reason}`);
        return 'endpoint_disabled' as const;
      }
      return next ? ('failed' as const) : ('given_up' as const);
    });
    this.outcomes.inc({ outcome });
    if (outcome === 'delivered') this.timeToDeliver.observe((doneAt.getTime() - delivery.recorded_at.getTime()) / 1000);
  }
}
