import { pgTable, primaryKey, text, uuid, varchar } from 'drizzle-orm/pg-core';
import { tsColumn } from '../../db/columns.js';

// Idempotent consumer record: an event id here has been delivered (sent) already, so a
// redelivered or duplicated message is acknowledged without sending again (R5, R6).
export const mailDeliveries = pgTable(
  'mail_deliveries',
  {
    eventId: uuid('event_id').notNull(),
    type: varchar('type', { length: 100 }).notNull(),
    recipient: varchar('recipient', { length: 320 }).notNull(),
    smtpMessageId: text('smtp_message_id'),
    sentAt: tsColumn('sent_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'pk_mail_deliveries', columns: [t.eventId] })],
);
