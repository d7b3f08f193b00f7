import type { Executor } from '../../db/client.js';
import type { Locale } from '../../lib/locale.js';
import { accountTokensRepository, newAccountToken } from './account-tokens.repository.js';
import type { AccountTokenPurpose } from './account-tokens.table.js';
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
