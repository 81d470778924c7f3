CREATE TABLE "ai_file_offers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"answer_id" uuid NOT NULL,
	"nas_file_id" uuid,
	"share" varchar(64) NOT NULL,
	"path" text NOT NULL,
	"name" text NOT NULL,
	"size" bigint NOT NULL,
	"modified_at" timestamp with time zone NOT NULL,
	"line_user_id" uuid NOT NULL,
	"line_group_id" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"tapped_at" timestamp with time zone,
	"send_request_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"action" varchar(64) NOT NULL,
	"via" varchar(16) NOT NULL,
	"actor_user_id" integer,
	"actor_line_user_id" uuid,
	"operator" varchar(256),
	"line_group_id" uuid,
	"target_type" varchar(32),
	"target_id" text,
	"client" varchar(64),
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "audit_log_via_check" CHECK ("audit_log"."via" IN ('chat', 'console', 'api', 'nas', 'system'))
);
--> statement-breakpoint
CREATE TABLE "auth_failures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"surface" varchar(16) NOT NULL,
	"client" varchar(64) NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "project_members" (
	"project_id" uuid NOT NULL,
	"user_id" integer NOT NULL,
	"role" varchar(16) DEFAULT 'member' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_members_project_id_user_id_pk" PRIMARY KEY("project_id","user_id"),
	CONSTRAINT "project_members_role_check" CHECK ("project_members"."role" IN ('member', 'manager'))
);
--> statement-breakpoint
ALTER TABLE "line_binding_codes" ALTER COLUMN "code" SET DATA TYPE varchar(16);--> statement-breakpoint
ALTER TABLE "line_webhook_events" ALTER COLUMN "payload" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "line_groups" ADD COLUMN "member_joined_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "line_webhook_events" ADD COLUMN "payload_purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ai_file_offers" ADD CONSTRAINT "ai_file_offers_answer_id_line_ai_answers_id_fk" FOREIGN KEY ("answer_id") REFERENCES "public"."line_ai_answers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_file_offers" ADD CONSTRAINT "ai_file_offers_nas_file_id_nas_files_id_fk" FOREIGN KEY ("nas_file_id") REFERENCES "public"."nas_files"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_file_offers" ADD CONSTRAINT "ai_file_offers_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_file_offers" ADD CONSTRAINT "ai_file_offers_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_file_offers" ADD CONSTRAINT "ai_file_offers_send_request_id_nas_send_requests_id_fk" FOREIGN KEY ("send_request_id") REFERENCES "public"."nas_send_requests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ai_file_offers_answer_file_unique" ON "ai_file_offers" USING btree ("answer_id","nas_file_id");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "audit_log" USING btree ("action","at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_user_id","at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_group_idx" ON "audit_log" USING btree ("line_group_id","at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "auth_failures_at_idx" ON "auth_failures" USING btree ("at");--> statement-breakpoint
CREATE INDEX "auth_failures_client_idx" ON "auth_failures" USING btree ("client","at");--> statement-breakpoint
CREATE INDEX "project_members_user_idx" ON "project_members" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "line_webhook_events_message_id_idx" ON "line_webhook_events" USING btree (("payload" #>> '{message,id}')) WHERE ("line_webhook_events"."payload" #>> '{message,id}') IS NOT NULL;--> statement-breakpoint
CREATE INDEX "line_webhook_events_retention_idx" ON "line_webhook_events" USING btree ("received_at") WHERE "line_webhook_events"."status" = 'done' AND "line_webhook_events"."payload" IS NOT NULL;--> statement-breakpoint
-- The audit trail is append-only: an entry, once written, is never changed or removed.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
