// The idempotent-consumer record (mail_deliveries). The worker inserts the event id in a
// transaction before sending and commits after the SMTP server accepted the mail: a duplicate
// of the same event waits on that row lock and then sees it, so it is never sent twice
// (R5); a failed send rolls the row back so the retry can send.
import type pg from 'pg';

export const deliveriesRepository = {
  /** Claims the event id; false when it was sent already (a duplicate). */
  async claim(
    client: pg.ClientBase,
    d: { eventId: string; type: string; recipient: string },
  ): Promise<boolean> {
    const res = await client.query(
      `INSERT INTO mail_deliveries (event_id, type, recipient) VALUES ($1, $2, $3)
       ON CONFLICT (event_id) DO NOTHING`,
      [d.eventId, d.type, d.recipient.slice(0, 320)],
    );
    return res.rowCount === 1;
  },

  async markSent(client: pg.ClientBase, eventId: string, smtpMessageId: string): Promise<void> {
    await client.query(
      `UPDATE mail_deliveries SET smtp_message_id = $2, sent_at = now() WHERE event_id = $1`,
      [eventId, smtpMessageId],
    );
  },

  async isSent(client: pg.Pool | pg.ClientBase, eventId: string): Promise<boolean> {
    const res = await client.query(`SELECT 1 FROM mail_deliveries WHERE event_id = $1`, [eventId]);
    return res.rowCount === 1;
  },
};
