// The database port of the outbox relay (issue 14, point 5; ADR 0026): what the relay needs
// from the outbox table, and nothing else. PostgreSQL implements it (`pgOutboxStore` in
// outbox.repository.ts); the relay's unit tests use an in-memory one. The relay imports no
// driver: claiming, marking and listening are this port's business.

export interface PendingEvent {
  id: number;
  eventId: string;
  type: string;
  payload: unknown;
  attempts: number;
  createdAt: Date;
}

export interface FailedPublish {
  id: number;
  error: string;
  /** Milliseconds from now before the next attempt. */
  delayMs: number;
}

/**
 * Rows claimed by one relay: nobody else claims them until the claim is settled or aborted
 * (PostgreSQL: one transaction holding FOR UPDATE SKIP LOCKED row locks).
 */
export interface OutboxClaim {
  readonly rows: PendingEvent[];
  /**
   * Records the outcome and releases the claim: `published` rows are marked published (and
   * their single-use secrets scrubbed), `failed` ones get attempts + 1, the error and their
   * next attempt time. Rows in neither list stay pending as they were.
   */
  settle(published: number[], failed: FailedPublish[]): Promise<void>;
  /** Releases the claim without recording anything (every row stays as it was). */
  abort(): Promise<void>;
}

/** What the store tells a relay that listens for other processes' commits. */
export interface OutboxListener {
  /** Rows were committed elsewhere (PostgreSQL: a NOTIFY on the outbox channel). */
  notify(): void;
  /** Listening (again): rows committed while not listening are to be claimed now. */
  listening(): void;
}

export interface OutboxStore {
  /** Claims up to `limit` rows that are due, oldest due first. */
  claim(limit: number): Promise<OutboxClaim>;
  /**
   * Listens for rows committed by other processes until the returned function is called
   * (and awaited). A store that cannot hear them never calls `listener`; the relay's polls
   * cover that, as they cover a lost notification.
   */
  listen(listener: OutboxListener): () => Promise<void>;
}
