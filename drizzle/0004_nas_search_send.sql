CREATE TABLE "nas_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"share" varchar(64) NOT NULL,
	"path" text NOT NULL,
	"name" text NOT NULL,
	"extension" varchar(32) DEFAULT '' NOT NULL,
	"size" bigint NOT NULL,
	"modified_at" timestamp with time zone NOT NULL,
	"search_text" text NOT NULL,
	"indexed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nas_search_lists" (
	"chat_key" varchar(80) PRIMARY KEY NOT NULL,
	"line_user_id" uuid NOT NULL,
	"file_ids" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nas_send_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_key" varchar(200) NOT NULL,
	"nas_file_id" uuid,
	"share" varchar(64) NOT NULL,
	"path" text NOT NULL,
	"name" text NOT NULL,
	"size" bigint NOT NULL,
	"modified_at" timestamp with time zone NOT NULL,
	"line_user_id" uuid NOT NULL,
	"line_group_id" uuid,
	"reply_token" varchar(255),
	"event_at" timestamp with time zone NOT NULL,
	"public_base_url" text,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"claimed_at" timestamp with time zone,
	"claimed_by" varchar(200),
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"r2_key" text,
	"preview_r2_key" text,
	"content_type" varchar(255),
	"sha256" char(64),
	"uploaded_at" timestamp with time zone,
	"sent_by" varchar(8),
	"reply_attempted_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "nas_send_requests_request_key_unique" UNIQUE("request_key"),
	CONSTRAINT "nas_send_requests_status_check" CHECK ("nas_send_requests"."status" IN ('pending', 'uploading', 'uploaded', 'sent', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "share_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" char(64) NOT NULL,
	"send_request_id" uuid,
	"r2_key" text NOT NULL,
	"preview_r2_key" text,
	"file_name" text NOT NULL,
	"content_type" varchar(255) NOT NULL,
	"size" bigint NOT NULL,
	"line_user_id" uuid,
	"line_group_id" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"download_count" integer DEFAULT 0 NOT NULL,
	"last_downloaded_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "share_links_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "nas_folder" text;--> statement-breakpoint
ALTER TABLE "nas_search_lists" ADD CONSTRAINT "nas_search_lists_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nas_send_requests" ADD CONSTRAINT "nas_send_requests_nas_file_id_nas_files_id_fk" FOREIGN KEY ("nas_file_id") REFERENCES "public"."nas_files"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nas_send_requests" ADD CONSTRAINT "nas_send_requests_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nas_send_requests" ADD CONSTRAINT "nas_send_requests_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_links" ADD CONSTRAINT "share_links_send_request_id_nas_send_requests_id_fk" FOREIGN KEY ("send_request_id") REFERENCES "public"."nas_send_requests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_links" ADD CONSTRAINT "share_links_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_links" ADD CONSTRAINT "share_links_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "nas_files_share_path_unique" ON "nas_files" USING btree ("share","path");--> statement-breakpoint
CREATE INDEX "nas_files_share_path_prefix_idx" ON "nas_files" USING btree ("share","path" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "nas_send_requests_open_idx" ON "nas_send_requests" USING btree ("created_at") WHERE "nas_send_requests"."status" IN ('pending', 'uploading', 'uploaded');--> statement-breakpoint
CREATE INDEX "nas_send_requests_created_idx" ON "nas_send_requests" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "share_links_created_idx" ON "share_links" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);