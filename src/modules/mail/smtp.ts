// The SMTP adapter: nodemailer with pooled connections (MailDev and most relays greet each new
// connection slowly; pooling is what makes hundreds of mails per second possible).
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable Message-ID derived from the event id, so receivers can deduplicate too. */
  messageId: string;
  headers: Record<string, string>;
}

export interface MailSender {
  send(mail: OutgoingMail): Promise<{ messageId: string; response: string }>;
  close(): void;
}

export function createSmtpSender(smtpUrl: string, poolSize: number): MailSender {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true as const,
    maxConnections: poolSize,
    maxMessages: Infinity,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } satisfies SMTPPool.Options);
  return {
    async send(mail) {
      const info = (await transport.sendMail(mail)) as { messageId: string; response: string };
      return { messageId: info.messageId, response: info.response };
    },
    close: () => transport.close(),
  };
}

export type SendFailure = 'temporary' | 'permanent';

/**
 * SMTP 5xx replies are permanent (the server refuses this mail for good); 4xx replies,
 * connection refused/reset, timeouts and anything unknown are temporary (retry later).
 */
export function classifySendError(err: unknown): SendFailure {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  if (typeof code === 'number' && code >= 500 && code < 600) {
    return 'permanent';
  }
  return 'temporary';
}
