// The webhook consumers' database port (issue 14 point 5, ADR 0029): what fan-out and
// delivery do with webhook_subscriptions, webhook_deliveries and webhook_delivery_attempts,
// and nothing more. PostgreSQL implements it in webhooks.repository.ts
// (pgWebhookDeliveryStore); the unit tests an in-memory one.
import type { DeliveryStatus } from './webhooks.table.js';

/** A delivery to publish a job for. */
export interface FannedOut {
  id: number;
  webhookId: string;
}

/** A delivery with what its attempt needs of its subscription. */
export interface DeliveryJob {
  id: number;
  webhookId: string;
  eventType: string;
  body: unknown;
  status: DeliveryStatus;
  subscriptionId: number;
  url: string;
  isActive: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

export interface AttemptRecord {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

export interface AttemptResult {
  deliveryId: number;
  subscriptionId: number;
  attempt: AttemptRecord;
  /** The delivery's status after this attempt (a delivered one stays delivered). */
  status: DeliveryStatus;
  /** Disable the subscription for this reason (410 Gone). */
  disable?: string;
  /** Disable it too when it has failed without a success for this long... */
  disableAfterSeconds: number;
  /** ...measured at this time (the consumer's clock). */
  now: Date;
}

export interface WebhookDeliveryStore {
  /**
   * One delivery per active subscription selecting the type (exact, `prefix.*`, `*`), once
   * per (subscription, event); returns every delivery of the event still pending, new or
   * not (a crash after the insert and before the publishes loses none; duplicates are
   * harmless, receivers deduplicate by webhook-id).
   */
  fanOut(e: { eventId: string; type: string; body: unknown }): Promise<FannedOut[]>;
  /** The webhook ids of existing deliveries (a job of several, split). */
  webhookIds(deliveryIds: number[]): Promise<FannedOut[]>;
  /** The delivery and its subscription; undefined when either is gone. */
  load(deliveryId: number): Promise<DeliveryJob | undefined>;
  /**
   * Records one attempt and its consequences at once: the delivery's status, the
   * subscription's health (failing since / last success) and, when `disable` is set or it
   * has failed for `disableAfterSeconds`, disabling it with a mail to its creator (in the
   * outbox, same transaction). Returns the reason when this attempt disabled it.
   */
  recordAttempt(a: AttemptResult): Promise<string | null>;
  /** A pending delivery that will not be attempted (subscription disabled): dead. */
  markDead(deliveryId: number): Promise<void>;
}
