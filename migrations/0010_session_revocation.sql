ALTER TABLE "users" ADD COLUMN "session_generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "session_revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "refresh_sessions" ADD COLUMN "generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "refresh_sessions" ADD COLUMN "started_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "refresh_sessions" ADD COLUMN "last_used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "refresh_sessions" ADD COLUMN "ip" text;--> statement-breakpoint
ALTER TABLE "refresh_sessions" ADD COLUMN "user_agent" text;--> statement-breakpoint
-- Rows issued before this migration: a login started with the first row of its family.
UPDATE "refresh_sessions" s SET "started_at" = f.started
FROM (SELECT "family_id", min("created_at") AS started FROM "refresh_sessions" GROUP BY "family_id") f
WHERE f."family_id" = s."family_id";
