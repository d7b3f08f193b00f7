// The typed catalogue of everything that travels through the outbox (style rule 7). The
// `type` is also the RabbitMQ routing key. Payloads are complete: a consumer never has to
// read the database to do its job. Payload shapes are versioned: add fields, never change
// or remove one; a breaking change gets a new type name (e.g. `mail.welcome.v2`).

export interface WelcomeMailPayload {
  v: 1;
  user_id: number;
  username: string;
  email: string;
}

export type OutboxMessage = { type: 'mail.welcome'; payload: WelcomeMailPayload };

export type OutboxType = OutboxMessage['type'];
