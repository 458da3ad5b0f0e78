import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateWebhookEndpointDto {
  /** Where to POST: https (http to 127.0.0.1 only where the platform allows it). */
  @IsString() @MaxLength(2048) url!: string;
  /** Event types to receive (see GET /notifications/event-types), or ["*"] for every type the member may receive. */
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @IsString({ each: true }) eventTypes!: string[];
  @IsOptional() @IsString() @MaxLength(200) description?: string;
}

export class UpdateWebhookEndpointDto {
  @IsOptional() @IsString() @MaxLength(2048) url?: string;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @IsString({ each: true }) eventTypes?: string[];
  @IsOptional() @IsString() @MaxLength(200) description?: string;
  /** `enabled` re-enables an endpoint the service disabled (its failure count starts again); `disabled` pauses it. */
  @IsOptional() @IsIn(['enabled', 'disabled']) status?: 'enabled' | 'disabled';
}

/** A member's webhook endpoint (its secret is never shown again after creation or rotation). */
export class WebhookEndpointViewDto {
  /** `we_…` */
  id!: string;
  /** The brand or workshop that owns it. */
  memberId!: string;
  url!: string;
  description!: string | null;
  /** Subscribed event types, or ["*"] for every type the member may receive. */
  eventTypes!: string[];
  /** `disabled`: paused by the member, or by the service after repeated failures (see disabledReason). */
  status!: 'enabled' | 'disabled';
  disabledReason!: string | null;
  disabledAt!: string | null;
  /** Failed attempts in a row since the last success. */
  consecutiveFailures!: number;
  /** When the current run of failures began (ISO 8601), or null. */
  failingSince!: string | null;
  createdAt!: string;
  updatedAt!: string;
}

/** A new endpoint with its signing secret, shown this once. */
export class CreatedWebhookEndpointDto extends WebhookEndpointViewDto {
  /** Standard Webhooks secret (`whsec_` + base64 of 32 random bytes): verify `webhook-signature` with it. Shown once. */
  secret!: string;
}

/** An endpoint after a secret rotation: the new secret, shown once; the previous one still signs until previousSecretValidUntil. */
export class RotatedWebhookEndpointDto extends CreatedWebhookEndpointDto {
  previousSecretValidUntil!: string | null;
}

/** The caller's endpoints. */
export class WebhookEndpointListDto {
  items!: WebhookEndpointViewDto[];
  total!: number;
}

/** Event types the caller's role may subscribe to. */
export class EventTypeListDto {
  items!: string[];
}

/** One webhook (an event told to one endpoint) and where its delivery stands. */
export class WebhookDeliveryViewDto {
  id!: string;
  endpointId!: string;
  /** The `webhook-id` header of every attempt (the same on retries and redeliveries). */
  messageId!: string;
  /** The event type. */
  type!: string;
  /** pending, delivered or failed (retries given up; redeliverable). */
  status!: string;
  attempts!: number;
  /** When a pending delivery is tried next, or null. */
  nextAttemptAt!: string | null;
  lastAttemptAt!: string | null;
  /** The receiver's HTTP status of the last attempt, or null (no answer). */
  lastStatusCode!: number | null;
  lastError!: string | null;
  deliveredAt!: string | null;
  createdAt!: string;
}

/** A page of the delivery log, newest first: pass nextCursor as `?cursor=` for the next. */
export class WebhookDeliveryPageDto {
  items!: WebhookDeliveryViewDto[];
  /** Deliveries matching the filter, on every page. */
  total!: number;
  hasMore!: boolean;
  nextCursor!: string | null;
}
