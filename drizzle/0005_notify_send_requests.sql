-- Custom SQL migration: wake the on-prem nas-sync job as soon as the Worker asks it to send a NAS
-- file (nas_send_requests), instead of at its next poll. Empty payload: the job claims what is open.
-- Inserts only (the job's and the Worker's own updates would otherwise wake it); polling stays the
-- fallback for anything missed (a pooled endpoint delivers no notifications).
CREATE OR REPLACE FUNCTION nas_send_requests_notify_pending() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('nas_send_requests_pending', '');
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER nas_send_requests_notify_pending
	AFTER INSERT ON nas_send_requests
	FOR EACH STATEMENT
	EXECUTE FUNCTION nas_send_requests_notify_pending();
