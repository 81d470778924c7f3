-- Custom SQL migration: wake the on-prem NAS sync job (scripts/nas-sync/) as soon as media rows are
-- inserted, instead of at its next poll. The payload is empty: the job just claims what is due.
-- Once per statement, so a batch insert is one notification; inserts only (the job's own updates
-- would otherwise wake it). Polling stays the fallback for anything missed.
CREATE OR REPLACE FUNCTION line_files_notify_pending() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('line_files_pending', '');
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER line_files_notify_pending
	AFTER INSERT ON line_files
	FOR EACH STATEMENT
	EXECUTE FUNCTION line_files_notify_pending();
