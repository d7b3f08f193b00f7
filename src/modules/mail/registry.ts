// The mail job catalogue: every outbox type starting with `mail.` maps to one template.
//
// How to add a mail (e.g. `mail.password_reset`):
//   1. src/modules/outbox/catalogue.ts: add the payload interface (with `v: 1`) and a member
//      `{ type: 'mail.password_reset'; payload: PasswordResetMailPayload }` to OutboxMessage.
//   2. src/modules/mail/templates/password-reset.ts: `export const passwordResetMail =
//      defineMail('mail.password_reset', { schema, to, render })` (copy templates/welcome.ts;
//      escape every user-provided value in the HTML with escapeHtml).
//   3. Add the line `'mail.password_reset': passwordResetMail,` to `mailTemplates` below. The
//      compiler refuses a mail type without a template, and a schema that does not match the
//      catalogue's payload.
//   4. Producers call appendToOutbox(tx, { type: 'mail.password_reset', payload }) inside the
//      transaction of the state change. Nothing else: the relay publishes every type, the
//      mail queue binds `mail.#` (src/modules/events/routes.ts), the worker renders, sends, retries and dead-letters.
// Payloads are versioned: add fields, never change or remove one; a breaking change is a new type.
import type { MailContext, MailTemplate, MailType, PayloadOf, RenderedMail } from './template.js';
import { welcomeMail } from './templates/welcome.js';
import { verifyEmailMail } from './templates/verify-email.js';
import { passwordResetMail } from './templates/password-reset.js';
import { applicationSubmittedMail } from './templates/application-submitted.js';
import { applicationDecidedMail } from './templates/application-decided.js';
import { webhookDisabledMail } from './templates/webhook-disabled.js';
import { securityNoticeMail } from './templates/security-notice.js';

export const mailTemplates: { [K in MailType]: MailTemplate<PayloadOf<K>> } = {
  'mail.welcome': welcomeMail,
  'mail.verify_email': verifyEmailMail,
  'mail.password_reset': passwordResetMail,
  'mail.application_submitted': applicationSubmittedMail,
  'mail.application_decided': applicationDecidedMail,
  'mail.webhook_disabled': webhookDisabledMail,
  'mail.security_notice': securityNoticeMail,
};

export interface ComposedMail extends RenderedMail {
  to: string;
}

export type ComposeResult =
  | { ok: true; mail: ComposedMail }
  | { ok: false; reason: 'unknown_type' | 'invalid_payload'; detail: string };

function isMailType(type: string): type is MailType {
  return Object.hasOwn(mailTemplates, type);
}

/** Validates and renders a job; an unknown type or bad payload is a permanent failure. */
export function composeMail(type: string, payload: unknown, ctx: MailContext): ComposeResult {
  if (!isMailType(type)) {
    return { ok: false, reason: 'unknown_type', detail: `no mail template for type "${type}"` };
  }
  const template = mailTemplates[type] as MailTemplate<unknown>;
  const problems = template.validate(payload);
  if (problems.length > 0) {
    return { ok: false, reason: 'invalid_payload', detail: problems.join('; ') };
  }
  return { ok: true, mail: { to: template.to(payload), ...template.render(payload, ctx) } };
}
