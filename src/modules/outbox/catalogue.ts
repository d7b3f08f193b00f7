// The typed catalogue of everything that travels through the outbox (style rule 7). The
// `type` is also the RabbitMQ routing key. Payloads are complete: a consumer never has to
// read the database to do its job. Payload shapes are versioned: add fields, never change
// or remove one; a breaking change gets a new type name (e.g. `mail.welcome.v2`).
import type { Locale } from '../../lib/locale.js';

/** Every mail payload may name the recipient's language (issue 8); absent means English. */
interface MailLocale {
  locale?: Locale;
}

export interface WelcomeMailPayload extends MailLocale {
  v: 1;
  user_id: number;
  username: string;
  email: string;
}

/**
 * Account mails carrying a single-use link (`link` = PUBLIC_URL + page + `#token=...`: in the
 * fragment, so the token never reaches a server or a log).
 * The token travels in the payload (the consumer needs it to build the mail); the database
 * keeps only its SHA-256 in account_tokens. `expires_at` is ISO 8601.
 */
export interface AccountLinkMailPayload extends MailLocale {
  v: 1;
  user_id: number;
  username: string;
  /** The recipient: for verification, the address being verified. */
  email: string;
  link: string;
  expires_at: string;
}
export type VerifyEmailMailPayload = AccountLinkMailPayload;
export type PasswordResetMailPayload = AccountLinkMailPayload;

/** What a security notice (issue 12, S19) tells the account's owner. */
export type SecurityNoticeKind =
  | 'password_changed'
  | 'email_changed'
  | 'sessions_revoked'
  | 'account_archived'
  | 'account_restored';

/**
 * mail.security_notice: something happened to the account that its owner must be able to
 * react to; the mail links the password recovery page. For `email_changed` one mail goes to
 * the old address (`email`) and one to the new one; `new_email` is set on both.
 */
export interface SecurityNoticeMailPayload extends MailLocale {
  v: 1;
  user_id: number;
  username: string;
  /** The recipient. */
  email: string;
  kind: SecurityNoticeKind;
  occurred_at: string;
  new_email?: string;
}

// --- Internship projects: domain events (published for webhooks; routing key = type).
// Every payload carries `v: 1`, the ids involved, `actor_id` (who did it; null for the
// system) and `occurred_at` (ISO 8601).

/** The state of a project as a webhook consumer needs it. */
export interface ProjectSnapshotV1 {
  id: number;
  title: string;
  description: string;
  repository_url: string | null;
  tags: string[];
  status: 'draft' | 'recruiting' | 'active' | 'completed';
  starts_on: string | null;
  ends_on: string | null;
  developer_slots: number;
  tester_slots: number;
  created_by: number;
  is_active: boolean;
}

interface ProjectEventBase {
  v: 1;
  project_id: number;
  actor_id: number | null;
  occurred_at: string;
}

export interface ProjectCreatedPayload extends ProjectEventBase {
  project: ProjectSnapshotV1;
}
export interface ProjectUpdatedPayload extends ProjectEventBase {
  /** API field names that changed (status changes are `project.status_changed`). */
  changed: string[];
  project: ProjectSnapshotV1;
}
export interface ProjectStatusChangedPayload extends ProjectEventBase {
  from: ProjectSnapshotV1['status'];
  to: ProjectSnapshotV1['status'];
  title: string;
}
export interface ProjectArchivalPayload extends ProjectEventBase {
  title: string;
  status: ProjectSnapshotV1['status'];
}
export interface MemberJoinedPayload extends ProjectEventBase {
  user_id: number;
  username: string;
  role: 'mentor' | 'developer' | 'tester';
  /** How the user joined: appointed by a superuser, or an accepted application. */
  via: 'appointment' | 'application';
  application_id: number | null;
  joined_at: string;
}
export interface MemberRemovedPayload extends ProjectEventBase {
  user_id: number;
  username: string;
  role: 'mentor' | 'developer' | 'tester';
}
interface ApplicationEventBase extends ProjectEventBase {
  application_id: number;
  applicant_id: number;
  role: 'developer' | 'tester';
}
export interface ApplicationSubmittedPayload extends ApplicationEventBase {
  applicant_username: string;
  motivation: string;
  project_title: string;
}
export interface ApplicationDecidedPayload extends ApplicationEventBase {
  status: 'accepted' | 'rejected';
  reason: string | null;
  decided_by: number;
  decided_at: string;
}
export type ApplicationWithdrawnPayload = ApplicationEventBase;

/** mail.application_submitted: one message per mentor of the project (the recipient). */
export interface ApplicationSubmittedMailPayload extends MailLocale {
  v: 1;
  /** The recipient mentor. */
  user_id: number;
  username: string;
  email: string;
  application_id: number;
  project_id: number;
  project_title: string;
  applicant_username: string;
  role: 'developer' | 'tester';
  motivation: string;
}

/** mail.application_decided: to the applicant (the recipient). */
export interface ApplicationDecidedMailPayload extends MailLocale {
  v: 1;
  user_id: number;
  username: string;
  email: string;
  application_id: number;
  project_id: number;
  project_title: string;
  role: 'developer' | 'tester';
  status: 'accepted' | 'rejected';
  reason: string | null;
}

// --- Users: domain events (issue 9; for webhooks). Like the project events: `v: 1`,
// `actor_id` (null when the system or an operator script did it) and `occurred_at`. They
// carry no password hash, token or other secret: only the public state of the account.

/** The state of a user as a webhook consumer needs it (no hash, no token). */
export interface UserSnapshotV1 {
  id: number;
  username: string;
  email: string;
  is_active: boolean;
  is_superuser: boolean;
  email_verified: boolean;
  created_at: string;
}

interface UserEventBase {
  v: 1;
  user_id: number;
  actor_id: number | null;
  occurred_at: string;
  user: UserSnapshotV1;
}
export type UserCreatedPayload = UserEventBase;
export type UserEmailVerifiedPayload = UserEventBase;
export interface UserUpdatedPayload extends UserEventBase {
  /** API field names that changed (`username`, `email`). */
  changed: string[];
}
export type UserArchivalPayload = UserEventBase;
export interface UserRoleChangedPayload extends UserEventBase {
  from: 'user' | 'superuser';
  to: 'user' | 'superuser';
}

/** mail.webhook_disabled: to the creator of a subscription the service disabled. */
export interface WebhookDisabledMailPayload {
  v: 1;
  user_id: number;
  username: string;
  email: string;
  subscription_id: number;
  url: string;
  reason: string;
}

/**
 * webhooks.deliver (internal): attempt the given deliveries (ping, redeliver, recover). The
 * API writes it in the transaction that creates or resets the deliveries.
 */
export interface WebhookDeliverPayload {
  v: 1;
  delivery_ids: number[];
}

export type OutboxMessage =
  | { type: 'mail.welcome'; payload: WelcomeMailPayload }
  | { type: 'mail.verify_email'; payload: VerifyEmailMailPayload }
  | { type: 'mail.password_reset'; payload: PasswordResetMailPayload }
  | { type: 'mail.security_notice'; payload: SecurityNoticeMailPayload }
  | { type: 'mail.application_submitted'; payload: ApplicationSubmittedMailPayload }
  | { type: 'mail.application_decided'; payload: ApplicationDecidedMailPayload }
  | { type: 'project.created'; payload: ProjectCreatedPayload }
  | { type: 'project.updated'; payload: ProjectUpdatedPayload }
  | { type: 'project.status_changed'; payload: ProjectStatusChangedPayload }
  | { type: 'project.archived'; payload: ProjectArchivalPayload }
  | { type: 'project.restored'; payload: ProjectArchivalPayload }
  | { type: 'member.joined'; payload: MemberJoinedPayload }
  | { type: 'member.removed'; payload: MemberRemovedPayload }
  | { type: 'application.submitted'; payload: ApplicationSubmittedPayload }
  | { type: 'application.decided'; payload: ApplicationDecidedPayload }
  | { type: 'application.withdrawn'; payload: ApplicationWithdrawnPayload }
  | { type: 'user.created'; payload: UserCreatedPayload }
  | { type: 'user.email_verified'; payload: UserEmailVerifiedPayload }
  | { type: 'user.updated'; payload: UserUpdatedPayload }
  | { type: 'user.archived'; payload: UserArchivalPayload }
  | { type: 'user.restored'; payload: UserArchivalPayload }
  | { type: 'user.role_changed'; payload: UserRoleChangedPayload }
  | { type: 'mail.webhook_disabled'; payload: WebhookDisabledMailPayload }
  | { type: 'webhooks.deliver'; payload: WebhookDeliverPayload };

export type OutboxType = OutboxMessage['type'];

/**
 * Payload fields that hold a single-use secret: the relay removes them from the row in the
 * transaction that marks it published (the message in RabbitMQ keeps them for the mail
 * consumer), so `outbox_events` never keeps a usable link (ADR 0009).
 */
export const SECRET_PAYLOAD_FIELDS: Partial<Record<OutboxType, readonly string[]>> = {
  'mail.verify_email': ['link'],
  'mail.password_reset': ['link'],
};
