CREATE TABLE "line_ai_answers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"webhook_event_id" varchar(80) NOT NULL,
	"instance_id" varchar(100) NOT NULL,
	"question_message_id" uuid NOT NULL,
	"line_user_id" uuid NOT NULL,
	"line_group_id" uuid,
	"question" text NOT NULL,
	"reply_token" varchar(255),
	"quote_token" varchar(255),
	"event_at" timestamp with time zone NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"outcome" varchar(32),
	"model" varchar(100),
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_creation_input_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_input_tokens" integer DEFAULT 0 NOT NULL,
	"latency_ms" integer,
	"stop_reason" varchar(32),
	"tool_calls" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"request_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"sent_by" varchar(8),
	"reply_attempted_at" timestamp with time zone,
	"error" text,
	"steps" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"progress_at" timestamp with time zone DEFAULT now() NOT NULL,
	"restarts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "line_ai_answers_webhook_event_id_unique" UNIQUE("webhook_event_id"),
	CONSTRAINT "line_ai_answers_instance_id_unique" UNIQUE("instance_id"),
	CONSTRAINT "line_ai_answers_status_check" CHECK ("line_ai_answers"."status" IN ('pending', 'running', 'answered', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "line_groups" ADD COLUMN "ai_instructions" text;--> statement-breakpoint
ALTER TABLE "line_groups" ADD COLUMN "ai_history_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "line_users" ADD COLUMN "ai_history_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "line_users" ADD COLUMN "ai_limit_notice_on" date;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "ai_instructions" text;--> statement-breakpoint
ALTER TABLE "line_ai_answers" ADD CONSTRAINT "line_ai_answers_question_message_id_line_messages_id_fk" FOREIGN KEY ("question_message_id") REFERENCES "public"."line_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_ai_answers" ADD CONSTRAINT "line_ai_answers_line_user_id_line_users_id_fk" FOREIGN KEY ("line_user_id") REFERENCES "public"."line_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_ai_answers" ADD CONSTRAINT "line_ai_answers_line_group_id_line_groups_id_fk" FOREIGN KEY ("line_group_id") REFERENCES "public"."line_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "line_ai_answers_unfinished_idx" ON "line_ai_answers" USING btree ("progress_at") WHERE "line_ai_answers"."status" IN ('pending', 'running');--> statement-breakpoint
CREATE INDEX "line_ai_answers_user_day_idx" ON "line_ai_answers" USING btree ("line_user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_ai_answers_group_idx" ON "line_ai_answers" USING btree ("line_group_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "line_ai_answers_created_idx" ON "line_ai_answers" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);