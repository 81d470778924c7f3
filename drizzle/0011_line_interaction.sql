CREATE TABLE "bot_texts" (
	"key" varchar(64) NOT NULL,
	"lang" varchar(8) NOT NULL,
	"text" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" varchar(100),
	CONSTRAINT "bot_texts_key_lang_pk" PRIMARY KEY("key","lang")
);
--> statement-breakpoint
CREATE TABLE "line_push_quota" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"quota_type" varchar(16) NOT NULL,
	"quota_value" bigint,
	"total_usage" bigint NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "line_push_refusals" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"refused_at" timestamp with time zone DEFAULT now() NOT NULL,
	"push_key" varchar(200),
	"chat_type" varchar(8)
);
--> statement-breakpoint
ALTER TABLE "line_ai_answers" ADD COLUMN "late_notice_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "line_ai_answers" ADD COLUMN "delivered_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "line_push_refusals_at_idx" ON "line_push_refusals" USING btree ("refused_at");