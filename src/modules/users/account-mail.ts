import type { Executor } from '../../db/client.js';
import type { Locale } from '../../lib/locale.js';
import { accountTokensRepository, newAccountToken } from './account-tokens.repository.js';
import type { AccountTokenPurpose } from './account-tokens.table.js';
import type { OutboxMessage, SecurityNoticeKind } from '../outbox/catalogue.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';

/** Whom an account mail goes to, in their language. */
export interface MailRecipient {
  id: number;
  username: string;
  email: string;
  locale: Locale;
}

export interface AccountMailSettings {
  /** PUBLIC_URL: the base of the links in mails. */
  publicUrl: string;
  emailVerificationTtl: number; // seconds
  passwordResetTtl: number; // seconds
}

/**
 * The page of the web application that receives each link. The token travels in the URL
 * fragment (`#token=...`): browsers never send a fragment to a server, so it reaches no
 * access log and no Referer (S18); the page reads it and removes it from the address bar.
 */
export const LINK_PATHS: Record<AccountTokenPurpose, string> = {
  verify_email: '/verify-email',
  password_reset: '/reset-password',
};

/**
 * Issues single-use account tokens and schedules the mails that carry them, inside the
 * caller's transaction (the mail exists if and only if the change commits).
 */
export class AccountMailer {
  constructor(private readonly settings: AccountMailSettings) {}

  ttlOf(purpose: AccountTokenPurpose): number {
    return purpose === 'verify_email'
      ? this.settings.emailVerificationTtl
      : this.settings.passwordResetTtl;
  }

  expiryOf(purpose: AccountTokenPurpose): Date {
    return new Date(Date.now() + this.ttlOf(purpose) * 1000);
  }

  link(purpose: AccountTokenPurpose, token: string): string {
    return `${this.settings.publicUrl}${LINK_PATHS[purpose]}#token=${encodeURIComponent(token)}`;
  }

  /** A new verification link for the user's current address; older links stop working. */
  async sendVerification(tx: Executor, user: MailRecipient): Promise<void> {
    const { token, tokenHash } = newAccountToken();
    const expiresAt = this.expiryOf('verify_email');
    await accountTokensRepository.invalidateAll(tx, user.id, 'verify_email');
    await accountTokensRepository.insert(tx, {
      userId: user.id,
      purpose: 'verify_email',
      tokenHash,
      email: user.email,
      expiresAt,
    });
    await appendToOutbox(tx, {
      type: 'mail.verify_email',
      payload: {
        v: 1,
        user_id: user.id,
        username: user.username,
        email: user.email,
        locale: user.locale,
        link: this.link('verify_email', token),
        expires_at: expiresAt.toISOString(),
      },
    });
  }

  /** The recovery mail for a token already inserted (see insertForEmail). */
  async sendPasswordReset(
    tx: Executor,
    user: MailRecipient,
    token: string,
    expiresAt: Date,
  ): Promise<void> {
    await appendToOutbox(tx, {
      type: 'mail.password_reset',
      payload: {
        v: 1,
        user_id: user.id,
        username: user.username,
        email: user.email,
        locale: user.locale,
        link: this.link('password_reset', token),
        expires_at: expiresAt.toISOString(),
      },
    });
  }
}

/**
 * A security notice (issue 12, S19) for the account's owner, in their language, to the
 * address given (the account's, or for an e-mail change also the old one).
 */
export function securityNotice(
  user: MailRecipient,
  kind: SecurityNoticeKind,
  opts: { to?: string; newEmail?: string } = {},
): OutboxMessage {
  return {
    type: 'mail.security_notice',
    payload: {
      v: 1,
      user_id: user.id,
      username: user.username,
      email: opts.to ?? user.email,
      locale: user.locale,
      kind,
      occurred_at: new Date().toISOString(),
      ...(opts.newEmail === undefined ? {} : { new_email: opts.newEmail }),
    },
  };
}

/**
 * "Every session of your account was signed out": call it inside the transaction that
 * revokes all of a user's sessions (password change does; the sessions routes' "revoke all"
 * should), so the mail exists if and only if the revocation commits.
 */
export async function notifySessionsRevoked(tx: Executor, user: MailRecipient): Promise<void> {
  await appendToOutbox(tx, securityNotice(user, 'sessions_revoked'));
}
