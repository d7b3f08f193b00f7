// The mail consumer's database port (issue 14 point 5, ADR 0029): what the delivery batcher
// does with mail_deliveries, the idempotent-consumer record (ADR 0004), and nothing more.
// PostgreSQL implements it in deliveries.repository.ts (pgMailDeliveryStore); the unit tests
// an in-memory one. The promises below are what R5 rests on, whichever implementation.

export interface DeliveryClaim {
  /** Lower-case event id (uuid). */
  eventId: string;
  type: string;
  recipient: string;
}

export interface SentMail {
  eventId: string;
  smtpMessageId: string;
}

/** One batch's claims, held until `settle`. */
export interface MailDeliveryBatch {
  /**
   * The event ids claimed now (lower case). An id of the batch missing here was sent
   * already: its record is durable, the mail must not go again.
   */
  readonly claimed: ReadonlySet<string>;
  /**
   * Records the SMTP ids of the sent mails, releases the claims of the failed ones (as if
   * never claimed, so a retry can send) and makes both durable; afterwards the batch is
   * over. Rejects: nothing of the batch is recorded and every claim is released (the mails
   * sent are redelivered and sent again: the R6 window).
   */
  settle(sent: SentMail[], failedIds: string[]): Promise<void>;
}

export interface MailDeliveryStore {
  /**
   * Claims the event ids of a batch that no one has sent. A claim held by another batch
   * (another worker) makes this wait until that batch settles, then counts as sent or as
   * free according to how it settled. Rejects: nothing is claimed.
   */
  claim(claims: DeliveryClaim[]): Promise<MailDeliveryBatch>;
}
