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

export type OutboxMessage =
  | { type: 'mail.welcome'; payload: WelcomeMailPayload }
  | { type: 'mail.verify_email'; payload: VerifyEmailMailPayload }
  | { type: 'mail.password_reset'; payload: PasswordResetMailPayload }
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
  | { type: 'application.withdrawn'; payload: ApplicationWithdrawnPayload };

export type OutboxType = OutboxMessage['type'];
