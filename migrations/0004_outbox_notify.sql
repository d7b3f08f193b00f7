-- Wake the outbox relays when rows are inserted (LISTEN outbox_events). NOTIFY is delivered
-- at commit, so a relay never sees a row before its transaction commits (R3); a rolled-back
-- insert notifies nobody. One notification per statement; relays also poll as a fallback.
CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_events', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER outbox_events_notify_after_insert
AFTER INSERT ON outbox_events
FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify();
