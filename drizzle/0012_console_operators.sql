CREATE TABLE "ai_pauses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"line_group_id" uuid,
	"line_user_id" uuid,
	"paused_at" timestamp with time zone DEFAULT now() NOT NULL,
	"paused_until" timestamp with time zone,
	"paused_by" varchar(256) NOT NULL,
	"notice_sent_at" timestamp with time zone,
	CONSTRAINT "ai_pauses_one_chat_check" CHECK (num_nonnulls("ai_pauses"."line_group_id", "ai_pauses"."line_user_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "announcements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"operator" varchar(256) NOT NULL,
	"text" text,
	"nas_file_id" uuid,
	"share" varchar(64),
	"path" text,
	"name" text,
	"size" bigint,
	"modified_at" timestamp with time zone,
	"selection" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"push_estimate" integer DEFAULT 0 NOT NULL,
	"status" varchar(16) DEFAULT 'sending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "nas_file_previews" (
	"nas_file_id" uuid PRIMARY KEY NOT NULL,
	"modified_at" timestamp with time zone NOT NULL,
	"r2_key" text NOT NULL,
	"bytes" integer NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "operator_sends" (
	"id" uuid PRIMARY KEY NOT NULL,
	"operator" varchar(256) NOT NULL,
	"line_group_id" uuid,
	"line_user_id" uuid,
	"announcement_id" uuid,
	"text" text,
	"nas_send_request_id" uuid,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "operator_sends_one_chat_check" CHECK (num_nonnulls("operator_sends"."line_group_id", "operator_sends"."line_user_id") = 1)
);
--> statement-breakpoint
ALTER TABLE "line_messages" ADD COLUMN "sent_by_operator" varchar(256);--> statement-breakpoint
ALTER TABLE "ai_pauses" ADD CONSTRAINT "ai_pauses_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_pauses" ADD CONSTRAINT "ai_pauses_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "announcements" ADD CONSTRAINT "announcements_nas_file_id_nas_files_id_fk" FOREIGN KEY ("nas_file_id") REFERENCES "public"."nas_files"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nas_file_previews" ADD CONSTRAINT "nas_file_previews_nas_file_id_nas_files_id_fk" FOREIGN KEY ("nas_file_id") REFERENCES "public"."nas_files"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operator_sends" ADD CONSTRAINT "operator_sends_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operator_sends" ADD CONSTRAINT "operator_sends_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operator_sends" ADD CONSTRAINT "operator_sends_announcement_id_announcements_id_fk" FOREIGN KEY ("announcement_id") REFERENCES "public"."announcements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operator_sends" ADD CONSTRAINT "operator_sends_nas_send_request_id_nas_send_requests_id_fk" FOREIGN KEY ("nas_send_request_id") REFERENCES "public"."nas_send_requests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ai_pauses_group_unique" ON "ai_pauses" USING btree ("line_group_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ai_pauses_user_unique" ON "ai_pauses" USING btree ("line_user_id");--> statement-breakpoint
CREATE INDEX "announcements_created_idx" ON "announcements" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "operator_sends_announcement_idx" ON "operator_sends" USING btree ("announcement_id");--> statement-breakpoint
CREATE INDEX "operator_sends_group_idx" ON "operator_sends" USING btree ("line_group_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "operator_sends_user_idx" ON "operator_sends" USING btree ("line_user_id","created_at" DESC NULLS LAST);