-- Custom SQL migration: the seed article's ids, names and relations, in place, keeping every row.
-- drizzle-kit would drop and re-add the id columns (losing every relation), so this is by hand:
-- UUIDs are added beside the integer ids, every reference is translated through them, then the
-- integer columns are dropped and the UUID columns take their names. drizzle-kit runs a migration
-- in one transaction: a failure leaves the database as it was.

-- 1. A UUID for every existing row of the four tables.
ALTER TABLE "line_users" ADD COLUMN "new_id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "line_groups" ADD COLUMN "new_id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "line_messages" ADD COLUMN "new_id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "line_files" ADD COLUMN "new_id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint

-- 2. Every reference translated to the UUIDs. line_files.message_id held LINE's message id; it
--    now holds line_messages.id, as in the article, and line_messages.file_id points back.
ALTER TABLE "line_messages" ADD COLUMN "new_line_user_id" uuid;--> statement-breakpoint
ALTER TABLE "line_messages" ADD COLUMN "new_line_group_id" uuid;--> statement-breakpoint
ALTER TABLE "line_messages" ADD COLUMN "is_from_bot" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "line_messages" ADD COLUMN "ai_processed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "line_messages" ADD COLUMN "file_id" uuid;--> statement-breakpoint
ALTER TABLE "line_files" ADD COLUMN "new_message_id" uuid;--> statement-breakpoint
ALTER TABLE "line_binding_codes" ADD COLUMN "new_used_by_line_user_id" uuid;--> statement-breakpoint
ALTER TABLE "line_binding_attempts" ADD COLUMN "new_line_user_id" uuid;--> statement-breakpoint
UPDATE "line_messages" m SET "new_line_user_id" = u."new_id" FROM "line_users" u WHERE u."id" = m."line_user_id";--> statement-breakpoint
UPDATE "line_messages" m SET "new_line_group_id" = g."new_id" FROM "line_groups" g WHERE g."id" = m."line_group_id";--> statement-breakpoint
UPDATE "line_files" f SET "new_message_id" = m."new_id" FROM "line_messages" m WHERE m."message_id" = f."message_id";--> statement-breakpoint
UPDATE "line_messages" m SET "file_id" = f."new_id" FROM "line_files" f WHERE f."message_id" = m."message_id";--> statement-breakpoint
UPDATE "line_binding_codes" c SET "new_used_by_line_user_id" = u."new_id" FROM "line_users" u WHERE u."id" = c."used_by_line_user_id";--> statement-breakpoint
UPDATE "line_binding_attempts" a SET "new_line_user_id" = u."new_id" FROM "line_users" u WHERE u."id" = a."line_user_id";--> statement-breakpoint

-- 3. The integer columns go (their foreign keys, unique constraints and indexes with them) and the
--    UUID columns take their names.
ALTER TABLE "line_binding_attempts" DROP CONSTRAINT "line_binding_attempts_line_user_id_line_users_id_fk";--> statement-breakpoint
ALTER TABLE "line_binding_codes" DROP CONSTRAINT "line_binding_codes_used_by_line_user_id_line_users_id_fk";--> statement-breakpoint
ALTER TABLE "line_files" DROP CONSTRAINT "line_files_message_id_line_messages_message_id_fk";--> statement-breakpoint
ALTER TABLE "line_messages" DROP CONSTRAINT "line_messages_line_user_id_line_users_id_fk";--> statement-breakpoint
ALTER TABLE "line_messages" DROP CONSTRAINT "line_messages_line_group_id_line_groups_id_fk";--> statement-breakpoint

ALTER TABLE "line_binding_attempts" DROP COLUMN "line_user_id";--> statement-breakpoint
ALTER TABLE "line_binding_attempts" RENAME COLUMN "new_line_user_id" TO "line_user_id";--> statement-breakpoint
ALTER TABLE "line_binding_attempts" ALTER COLUMN "line_user_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "line_binding_codes" DROP COLUMN "used_by_line_user_id";--> statement-breakpoint
ALTER TABLE "line_binding_codes" RENAME COLUMN "new_used_by_line_user_id" TO "used_by_line_user_id";--> statement-breakpoint

ALTER TABLE "line_files" DROP COLUMN "message_id";--> statement-breakpoint
ALTER TABLE "line_files" RENAME COLUMN "new_message_id" TO "message_id";--> statement-breakpoint
ALTER TABLE "line_files" ALTER COLUMN "message_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "line_files" ADD CONSTRAINT "line_files_message_id_unique" UNIQUE("message_id");--> statement-breakpoint
ALTER TABLE "line_files" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "line_files" RENAME COLUMN "new_id" TO "id";--> statement-breakpoint
ALTER TABLE "line_files" ADD PRIMARY KEY ("id");--> statement-breakpoint

ALTER TABLE "line_messages" DROP COLUMN "line_user_id";--> statement-breakpoint
ALTER TABLE "line_messages" RENAME COLUMN "new_line_user_id" TO "line_user_id";--> statement-breakpoint
ALTER TABLE "line_messages" DROP COLUMN "line_group_id";--> statement-breakpoint
ALTER TABLE "line_messages" RENAME COLUMN "new_line_group_id" TO "line_group_id";--> statement-breakpoint
ALTER TABLE "line_messages" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "line_messages" RENAME COLUMN "new_id" TO "id";--> statement-breakpoint
ALTER TABLE "line_messages" ADD PRIMARY KEY ("id");--> statement-breakpoint

ALTER TABLE "line_groups" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "line_groups" RENAME COLUMN "new_id" TO "id";--> statement-breakpoint
ALTER TABLE "line_groups" ADD PRIMARY KEY ("id");--> statement-breakpoint

ALTER TABLE "line_users" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "line_users" RENAME COLUMN "new_id" TO "id";--> statement-breakpoint
ALTER TABLE "line_users" ADD PRIMARY KEY ("id");--> statement-breakpoint

-- 4. The article's names and widths.
ALTER TABLE "line_groups" RENAME COLUMN "group_name" TO "name";--> statement-breakpoint
ALTER TABLE "line_groups" ALTER COLUMN "name" SET DATA TYPE varchar(256);--> statement-breakpoint
ALTER TABLE "line_groups" ALTER COLUMN "member_count" SET DEFAULT 0;--> statement-breakpoint
ALTER TABLE "line_groups" ALTER COLUMN "joined_at" SET DEFAULT now();--> statement-breakpoint
ALTER TABLE "line_users" ALTER COLUMN "display_name" SET DATA TYPE varchar(256);--> statement-breakpoint
ALTER TABLE "line_files" ALTER COLUMN "file_type" SET DATA TYPE varchar(32);--> statement-breakpoint
-- Whatever LINE (or a forger with the secret) puts in `destination` must not block a body.
ALTER TABLE "line_webhook_events" ALTER COLUMN "destination" SET DATA TYPE text;--> statement-breakpoint

-- 5. Foreign keys and indexes on the new columns.
ALTER TABLE "line_binding_attempts" ADD CONSTRAINT "line_binding_attempts_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_binding_codes" ADD CONSTRAINT "line_binding_codes_used_by_line_user_id_line_users_id_fk" FOREIGN KEY ("used_by_line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_files" ADD CONSTRAINT "line_files_message_id_line_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."line_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_messages" ADD CONSTRAINT "line_messages_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_messages" ADD CONSTRAINT "line_messages_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "line_binding_attempts_user_time_idx" ON "line_binding_attempts" USING btree ("line_user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_files_pending_idx" ON "line_files" USING btree ("next_sync_at","id") WHERE "line_files"."sync_status" = 'pending' AND "line_files"."remove_requested_at" IS NULL;--> statement-breakpoint
CREATE INDEX "line_files_remove_idx" ON "line_files" USING btree ("id") WHERE "line_files"."remove_requested_at" IS NOT NULL AND "line_files"."removed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "line_files_created_idx" ON "line_files" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_messages_group_sent_idx" ON "line_messages" USING btree ("line_group_id","sent_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_messages_user_sent_idx" ON "line_messages" USING btree ("line_user_id","sent_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_messages_sent_idx" ON "line_messages" USING btree ("sent_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint

-- 6. Usernames are unique whatever their case (fails here, naming this index, if two differ only in case).
CREATE UNIQUE INDEX "users_username_lower_unique" ON "users" USING btree (lower("username"));
