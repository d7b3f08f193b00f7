// The mail consumer (issue 3): one handler on the shared consumer core (events/consumer.ts,
// ADR 0009), which parses, counts attempts, retries through TTL tiers and dead-letters. For
// each message: validate and render, claim the event id in mail_deliveries, send by SMTP,
// commit the claim, then ack (claims of mails in flight together share a transaction:
// delivery-batcher.ts). Temporary failures are retried; permanent ones (SMTP 5xx, bad
// payload, unknown type) and exhausted retries go to <queue>.dead with the reason in headers.
// Side effects come through ports (ADR 0029): the broker, mail_deliveries (MailDeliveryStore),
// the SMTP sender and the clock, so the unit tests drive it without the network.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { Broker } from '../events/broker.js';
import {
  errorText,
  EventConsumer,
  type EventMessage,
  type EventOutcome,
  type HandlerResult,
} from '../events/consumer.js';
import type { MailDeliveryStore } from './deliveries.store.js';
import { batchesInFlight, DeliveryBatcher } from './delivery-batcher.js';
import { composeMail } from './registry.js';
import { classifySendError, type MailSender } from './smtp.js';
import type { MailContext } from './template.js';
import type { MailTopology } from './topology.js';

export type DeadReason =
  'invalid_message' | 'unknown_type' | 'invalid_payload' | 'smtp_rejected' | 'max_attempts';

/** What the handler did with one message (style rule 7: handlers say what they did). */
export type MailOutcome =
  | { status: 'sent'; eventId: string }
  | { status: 'duplicate'; eventId: string }
  | { status: 'retry'; eventId: string; attempt: number; delayMs: number; error: string }
  | { status: 'dead'; eventId: string; reason: DeadReason; error: string };

export interface MailConsumerOptions {
  broker: Broker;
  /** The idempotency record (pgMailDeliveryStore in production). */
  deliveries: MailDeliveryStore;
  sender: MailSender;
  topology: MailTopology;
  from: string;
  context: MailContext;
  prefetch: number;
  /** Mails in flight at once (at most `prefetch`). */
  concurrency: number;
  /** Most mails sharing one mail_deliveries transaction. */
  batchSize: number;
  ratePerSecond: number;
  log: Logger;
  /** Observes every outcome (tests, metrics). */
  onOutcome?: (o: MailOutcome) => void;
  /** The rate limiter's time and waits, dead letters' `x-dead-at` (default: the system clock). */
  clock?: Clock;
}

/** Spaces sends evenly so one worker never exceeds `perSecond` (R11). */
class RateLimiter {
  private next = 0;
  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {}
  async take(): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.perSecond;
    if (slot > now) {
      await new Promise<void>((r) => this.clock.setTimer(r, slot - now));
    }
  }
}

type MailDeadReason = 'unknown_type' | 'invalid_payload' | 'smtp_rejected';

function toMailOutcome(o: EventOutcome<MailDeadReason>): MailOutcome | null {
  switch (o.status) {
    case 'done':
      return { status: 'sent', eventId: o.eventId };
    case 'duplicate':
      return { status: 'duplicate', eventId: o.eventId };
    case 'retry':
      return {
        status: 'retry',
        eventId: o.eventId,
        attempt: o.attempt,
        delayMs: o.delayMs,
        error: o.error,
      };
    case 'dead':
      return { status: 'dead', eventId: o.eventId, reason: o.reason, error: o.error };
    case 'skipped':
    case 'deferred':
      return null; // the mail handler never skips or defers
  }
}

export class MailConsumer {
  private readonly core: EventConsumer<MailDeadReason>;
  private readonly limiter: RateLimiter;
  private readonly batcher: DeliveryBatcher;

  constructor(private readonly o: MailConsumerOptions) {
    const clock = o.clock ?? systemClock;
    this.limiter = new RateLimiter(o.ratePerSecond, clock);
    this.batcher = new DeliveryBatcher(
      o.deliveries,
      o.batchSize,
      batchesInFlight(Math.min(o.concurrency, o.prefetch), o.batchSize),
    );
    this.core = new EventConsumer<MailDeadReason>({
      broker: o.broker,
      topology: o.topology,
      prefetch: o.prefetch,
      concurrency: o.concurrency,
      log: o.log,
      clock,
      handler: (m) => this.handle(m),
      onOutcome: (e) => {
        const mail = toMailOutcome(e);
        if (mail !== null) {
          o.onOutcome?.(mail);
        }
      },
    });
  }

  start(): void {
    this.core.start();
  }

  /** Registered with the broker and taking messages (worker readiness). */
  get running(): boolean {
    return this.core.running;
  }

  /** Stops taking messages and waits for handlers in flight; unacked messages return to the queue. */
  stop(): Promise<void> {
    return this.core.stop();
  }

  private async handle(m: EventMessage): Promise<HandlerResult<MailDeadReason>> {
    const { eventId, type } = m;
    const composed = composeMail(type, m.body, this.o.context);
    if (!composed.ok) {
      return { status: 'dead', reason: composed.reason, error: composed.detail };
    }
    const mail = composed.mail;
    // Claim, send, commit: grouped with the mails in flight beside it (delivery-batcher.ts).
    const result = await this.batcher.submit({
      eventId,
      type,
      recipient: mail.to,
      send: async () => {
        await this.limiter.take();
        return this.o.sender.send({
          from: this.o.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: `<${eventId}@ifd.mail>`,
          headers: { 'X-IFD-Event-Id': eventId, 'X-IFD-Event-Type': type },
        });
      },
    });
    switch (result.status) {
      case 'sent':
        return { status: 'done' };
      case 'duplicate':
        return { status: 'duplicate' };
      case 'send_failed':
        if (classifySendError(result.error) === 'permanent') {
          return { status: 'dead', reason: 'smtp_rejected', error: errorText(result.error) };
        }
        return { status: 'retry', error: `smtp: ${errorText(result.error)}` };
      case 'db_failed':
        return { status: 'retry', error: `database: ${errorText(result.error)}` };
    }
  }
}
