// The shape every mail template has, plus the few helpers templates share. A template is one
// file in ./templates/ exporting `defineMail(...)`: a payload schema (checked before
// rendering, so a malformed job is a permanent failure, never a crash) and a pure render().
import { Type, type Static, type TProperties, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { DEFAULT_LOCALE, type Locale } from '../../lib/locale.js';
import type { OutboxMessage, OutboxType } from '../outbox/catalogue.js';

/** Outbox types that are e-mails: the mail queue binds `mail.#`. */
export type MailType = Extract<OutboxType, `mail.${string}`>;
export type PayloadOf<K extends OutboxType> = Extract<OutboxMessage, { type: K }>['payload'];

/** What a template may use besides its payload (from config, never from the database). */
export interface MailContext {
  /** Base URL for links in mails, without a trailing slash (PUBLIC_URL). */
  publicUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailTemplate<P> {
  /** Recipient address taken from the payload. */
  to: (payload: P) => string;
  render: (payload: P, ctx: MailContext) => RenderedMail;
  /** Checks an untrusted payload; returns the problems (empty when valid). */
  validate: (payload: unknown) => string[];
}

/**
 * Declares a template. The schema's static type must be assignable to the catalogue's
 * payload for that type, so the two cannot drift apart silently.
 */
export function defineMail<K extends MailType, S extends TSchema>(
  _type: K,
  def: {
    schema: Static<S> extends PayloadOf<K> ? S : never;
    to: (payload: PayloadOf<K>) => string;
    render: (payload: PayloadOf<K>, ctx: MailContext) => RenderedMail;
  },
): MailTemplate<PayloadOf<K>> {
  const check = Compile(def.schema as TSchema);
  return {
    to: def.to,
    render: def.render,
    validate: (payload) =>
      check.Check(payload)
        ? []
        : [...check.Errors(payload)].map((e) => `${e.instancePath || '/'} ${e.message}`),
  };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes a user-provided value for HTML text or a quoted attribute. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** The common HTML frame of every mail; `body` must already be escaped HTML. */
export function htmlLayout(title: string, body: string, locale: Locale = DEFAULT_LOCALE): string {
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family: -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif; line-height: 1.5; color: #1f2933;">',
    body,
    '</body>',
    '</html>',
  ].join('\n');
}

// --- Languages (issue 8). Each template keeps a typed dictionary `Record<Locale, ...>`, so a
// missing translation is a compile error; the recipient's locale travels in the payload
// (older payloads without it are English).

/** The recipient's language; payloads written before issue 8 carry none: English. */
export function localeOf(payload: { locale?: Locale }): Locale {
  return payload.locale ?? DEFAULT_LOCALE;
}

const RU_DATE = new Intl.DateTimeFormat('ru-RU', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** A link's expiry as its reader's language writes it (UTC, as the English text always was). */
export function formatExpiry(iso: string, locale: Locale): string {
  const date = new Date(iso);
  switch (locale) {
    case 'en':
      return date.toUTCString();
    case 'ru':
      return `${RU_DATE.format(date)} (UTC)`;
  }
}

/**
 * Every mail payload starts with its version and its recipient; `extra` adds the fields of
 * one mail. Versions change by new type names, never by editing a v1 shape.
 */
export const mailPayload = <P extends TProperties>(extra: P) =>
  Type.Object({
    v: Type.Literal(1),
    user_id: Type.Integer({ minimum: 1 }),
    username: Type.String({ minLength: 1, maxLength: 150 }),
    email: Type.String({ minLength: 3, maxLength: 320, format: 'email' }),
    locale: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('ru')])),
    ...extra,
  });

/** The payload of the account mails that carry a single-use link (verification, reset). */
export const accountLinkPayload = () =>
  mailPayload({
    link: Type.String({ minLength: 1, maxLength: 2000, pattern: '^https?://' }),
    expires_at: Type.String({ format: 'date-time' }),
  });

type AccountLinkPayload = Static<ReturnType<typeof accountLinkPayload>>;

/** The words of one language of a mail whose point is a single-use link. */
export interface LinkMailText {
  subject: string;
  hi: (name: string) => string;
  /** What the link is for: the lines above it in the text part, the paragraph above the
   *  button in HTML (given the address already escaped). */
  intro: (email: string) => string[];
  introHtml: (escapedEmail: string) => string;
  button: string;
  paste: string;
  once: (expires: string) => string;
  ignore: string;
  team: string;
}

/**
 * Verification and password reset are the same mail with other words: a greeting, what the
 * link is for, the link (a button and pasteable text), its single use and expiry, and what to
 * do when the reader did not ask for it. One layout keeps the two from drifting apart.
 */
export function singleUseLinkMail<K extends 'mail.verify_email' | 'mail.password_reset'>(
  type: K,
  words: Record<Locale, LinkMailText>,
): MailTemplate<PayloadOf<K>> {
  const render = (p: AccountLinkPayload): RenderedMail => {
    const locale = localeOf(p);
    const t = words[locale];
    const expires = formatExpiry(p.expires_at, locale);
    return {
      subject: t.subject,
      text: [
        t.hi(p.username),
        '',
        ...t.intro(p.email),
        '',
        p.link,
        '',
        t.once(expires),
        t.ignore,
        '',
        t.team,
        '',
      ].join('\n'),
      html: htmlLayout(
        t.subject,
        [
          `<p>${t.hi(`<strong>${escapeHtml(p.username)}</strong>`)}</p>`,
          `<p>${t.introHtml(escapeHtml(p.email))}</p>`,
          `<p><a href="${escapeHtml(p.link)}">${t.button}</a></p>`,
          `<p>${t.paste}<br>${escapeHtml(p.link)}</p>`,
          `<p>${t.once(escapeHtml(expires))}<br>`,
          `${t.ignore}</p>`,
          `<p>${t.team}</p>`,
        ].join('\n'),
        locale,
      ),
    };
  };
  return defineMail<K, ReturnType<typeof accountLinkPayload>>(type, {
    schema: accountLinkPayload() as never,
    to: (p) => p.email,
    render,
  });
}
