-- The intake of group chatter as one call (src/events/handlers/message.ts `intakeStatement`):
-- record the inbox row and, when the sender's and the chat's rows are fresh and the message is
-- new, store the message and its file in the same statement, the inbox row `done` at once.
--
-- Why a function: the same logic as one statement with CTEs (issue 17, first version) cost
-- Postgres a parse, an analysis and a plan on every event, about half of its CPU per event. Through
-- PgBouncer's transaction pooling (Neon's pooled endpoint) a named prepared statement does not
-- survive from one request to the next, but a PL/pgSQL function's plans are cached in the server
-- connection, which does. pgbench with the driver's protocol (-M extended) on this machine: about
-- 1,400 calls/s as the CTE statement, 2,000 to 2,600 as this function.
--
-- The caller decides which events may take this way; anything this function does not store it
-- leaves `processing`, for the usual path. It returns the inbox row's id and status, or no row
-- for a redelivery (the key was recorded before). `now()` is the transaction's: for an event done
-- here, `received_at = processed_at` (test/intake.test.ts tells the ways apart by that).
-- A change to these tables' columns must be made here too: test/intake.test.ts covers every shape.
CREATE OR REPLACE FUNCTION linebot_intake_message(
  p_ttl_seconds float8,
  p_line_user_id varchar, p_line_chat_id varchar,
  p_message_pk uuid, p_message_id varchar, p_source_type varchar, p_message_type varchar,
  p_content text, p_reply_token varchar, p_quote_token varchar, p_quoted_message_id varchar,
  p_raw_message jsonb, p_sent_at timestamptz,
  p_file_pk uuid, p_file_type varchar, p_file_name varchar, p_file_size bigint, p_duration integer,
  p_webhook_event_id varchar, p_destination text, p_event_type varchar, p_inbox_source_type varchar,
  p_event_timestamp bigint, p_is_redelivery boolean, p_payload jsonb)
RETURNS TABLE (id bigint, status varchar)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_user_pk uuid;
  v_chat_pk uuid;
  v_ready boolean;
  v_id bigint;
  v_status varchar;
  v_message_pk uuid;
BEGIN
  -- Fresh as the Worker's `isStale` judges it, by Postgres' clock.
  SELECT u.id INTO v_user_pk FROM line_users u
   WHERE u.line_user_id = p_line_user_id AND u.profile_refreshed_at > now() - make_interval(secs => p_ttl_seconds);
  IF p_line_chat_id IS NOT NULL THEN
    SELECT g.id INTO v_chat_pk FROM line_groups g
     WHERE g.line_group_id = p_line_chat_id AND g.summary_refreshed_at > now() - make_interval(secs => p_ttl_seconds);
  END IF;
  -- A message stored before (or its tombstone, after an unsend) goes the usual way.
  v_ready := v_user_pk IS NOT NULL AND (p_line_chat_id IS NULL OR v_chat_pk IS NOT NULL)
             AND NOT EXISTS (SELECT 1 FROM line_messages m WHERE m.message_id = p_message_id);

  INSERT INTO line_webhook_events AS e (webhook_event_id, destination, event_type, source_type, event_timestamp,
                                        is_redelivery, payload, status, locked_at, processed_at)
  VALUES (p_webhook_event_id, p_destination, p_event_type, p_inbox_source_type, p_event_timestamp, p_is_redelivery,
          p_payload, CASE WHEN v_ready THEN 'done' ELSE 'processing' END,
          CASE WHEN v_ready THEN NULL ELSE now() END, CASE WHEN v_ready THEN now() END)
  ON CONFLICT (webhook_event_id) DO NOTHING
  RETURNING e.id, e.status INTO v_id, v_status;
  IF v_id IS NULL THEN
    RETURN;
  END IF;

  IF v_status = 'done' THEN
    INSERT INTO line_messages AS m (id, message_id, file_id, line_user_id, line_group_id, source_type, message_type,
                                    content, reply_token, quote_token, quoted_message_id, raw_message, sent_at)
    VALUES (p_message_pk, p_message_id, p_file_pk, v_user_pk, v_chat_pk, p_source_type, p_message_type,
            p_content, p_reply_token, p_quote_token, p_quoted_message_id, p_raw_message, p_sent_at)
    ON CONFLICT (message_id) DO NOTHING
    RETURNING m.id INTO v_message_pk;
    IF v_message_pk IS NOT NULL AND p_file_pk IS NOT NULL THEN
      INSERT INTO line_files (id, message_id, file_type, file_name, file_size, duration)
      VALUES (p_file_pk, v_message_pk, p_file_type, p_file_name, p_file_size, p_duration)
      ON CONFLICT (message_id) DO NOTHING;
    END IF;
  END IF;

  id := v_id;
  status := v_status;
  RETURN NEXT;
END
$fn$;
