-- ADR 0014: the statement trigger of 0004 made every transaction that wrote an outbox row
-- take PostgreSQL's notification-queue lock while committing, so those commits ran one at a
-- time. Relays now poll adaptively and are woken after commit, outside the writers'
-- transactions (src/modules/outbox/outbox.signal.ts). IF EXISTS: safe on any database state.
DROP TRIGGER IF EXISTS outbox_events_notify_after_insert ON outbox_events;
--> statement-breakpoint
DROP FUNCTION IF EXISTS outbox_events_notify();
