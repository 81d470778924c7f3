CREATE TABLE "line_binding_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"line_user_id" integer NOT NULL,
	"succeeded" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "line_binding_codes" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" char(6) NOT NULL,
	"user_id" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by_line_user_id" integer,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "line_files" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" varchar(64) NOT NULL,
	"file_type" varchar(16) NOT NULL,
	"file_name" varchar(512),
	"file_size" bigint,
	"mime_type" varchar(255),
	"duration" integer,
	"nas_path" text,
	"sha256" char(64),
	"remove_requested_at" timestamp with time zone,
	"sync_status" varchar(16) DEFAULT 'pending' NOT NULL,
	"sync_attempts" integer DEFAULT 0 NOT NULL,
	"sync_error" text,
	"next_sync_at" timestamp with time zone,
	"sync_claimed_at" timestamp with time zone,
	"synced_at" timestamp with time zone,
	"removed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "line_files_message_id_unique" UNIQUE("message_id"),
	CONSTRAINT "line_files_sync_status_check" CHECK ("line_files"."sync_status" IN ('pending', 'synced', 'unavailable', 'failed', 'removed'))
);
--> statement-breakpoint
CREATE TABLE "line_groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"line_group_id" varchar(64) NOT NULL,
	"source_type" varchar(8) DEFAULT 'group' NOT NULL,
	"group_name" varchar(255),
	"picture_url" text,
	"member_count" integer,
	"project_id" uuid,
	"is_active" boolean DEFAULT true NOT NULL,
	"allow_ai_response" boolean DEFAULT false NOT NULL,
	"joined_at" timestamp with time zone,
	"left_at" timestamp with time zone,
	"summary_refreshed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "line_groups_line_group_id_unique" UNIQUE("line_group_id")
);
--> statement-breakpoint
CREATE TABLE "line_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" varchar(64) NOT NULL,
	"line_user_id" integer,
	"line_group_id" integer,
	"source_type" varchar(32) NOT NULL,
	"message_type" varchar(32) NOT NULL,
	"content" text,
	"reply_token" varchar(255),
	"quote_token" varchar(255),
	"quoted_message_id" varchar(64),
	"raw_message" jsonb,
	"sent_at" timestamp with time zone NOT NULL,
	"unsent_at" timestamp with time zone,
	"edited_at" timestamp with time zone,
	"edit_timestamp" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "line_messages_message_id_unique" UNIQUE("message_id")
);
--> statement-breakpoint
CREATE TABLE "line_users" (
	"id" serial PRIMARY KEY NOT NULL,
	"line_user_id" varchar(64) NOT NULL,
	"display_name" varchar(255),
	"picture_url" text,
	"status_message" text,
	"language" varchar(16),
	"user_id" integer,
	"is_friend" boolean DEFAULT false NOT NULL,
	"followed_at" timestamp with time zone,
	"unfollowed_at" timestamp with time zone,
	"profile_refreshed_at" timestamp with time zone,
	"binding_prompted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "line_users_line_user_id_unique" UNIQUE("line_user_id")
);
--> statement-breakpoint
CREATE TABLE "line_webhook_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"webhook_event_id" varchar(80) NOT NULL,
	"destination" varchar(64),
	"event_type" varchar(64) NOT NULL,
	"source_type" varchar(32),
	"event_timestamp" bigint,
	"is_redelivery" boolean DEFAULT false NOT NULL,
	"payload" jsonb NOT NULL,
	"status" varchar(16) DEFAULT 'processing' NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"last_error" text,
	"next_attempt_at" timestamp with time zone,
	"locked_at" timestamp with time zone DEFAULT now(),
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "line_webhook_events_webhook_event_id_unique" UNIQUE("webhook_event_id"),
	CONSTRAINT "line_webhook_events_status_check" CHECK ("line_webhook_events"."status" IN ('processing', 'done', 'failed', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" varchar(100) NOT NULL,
	"display_name" varchar(255),
	"role" varchar(20) DEFAULT 'member' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
ALTER TABLE "line_binding_attempts" ADD CONSTRAINT "line_binding_attempts_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_binding_codes" ADD CONSTRAINT "line_binding_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_binding_codes" ADD CONSTRAINT "line_binding_codes_used_by_line_user_id_line_users_id_fk" FOREIGN KEY ("used_by_line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_files" ADD CONSTRAINT "line_files_message_id_line_messages_message_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."line_messages"("message_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_groups" ADD CONSTRAINT "line_groups_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_messages" ADD CONSTRAINT "line_messages_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_messages" ADD CONSTRAINT "line_messages_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_users" ADD CONSTRAINT "line_users_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "line_binding_attempts_user_time_idx" ON "line_binding_attempts" USING btree ("line_user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "line_binding_codes_live_code_unique" ON "line_binding_codes" USING btree ("code") WHERE "line_binding_codes"."used_at" IS NULL AND "line_binding_codes"."revoked_at" IS NULL;--> statement-breakpoint
CREATE INDEX "line_binding_codes_user_idx" ON "line_binding_codes" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "line_files_pending_idx" ON "line_files" USING btree ("next_sync_at","id") WHERE "line_files"."sync_status" = 'pending' AND "line_files"."remove_requested_at" IS NULL;--> statement-breakpoint
CREATE INDEX "line_files_remove_idx" ON "line_files" USING btree ("id") WHERE "line_files"."remove_requested_at" IS NOT NULL AND "line_files"."removed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "line_files_created_idx" ON "line_files" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_groups_project_id_idx" ON "line_groups" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "line_messages_group_sent_idx" ON "line_messages" USING btree ("line_group_id","sent_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_messages_user_sent_idx" ON "line_messages" USING btree ("line_user_id","sent_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_messages_sent_idx" ON "line_messages" USING btree ("sent_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "line_users_user_id_unique" ON "line_users" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "line_webhook_events_due_idx" ON "line_webhook_events" USING btree ("status","next_attempt_at") WHERE "line_webhook_events"."status" IN ('processing', 'failed');--> statement-breakpoint
CREATE INDEX "line_webhook_events_received_idx" ON "line_webhook_events" USING btree ("received_at" DESC NULLS LAST);