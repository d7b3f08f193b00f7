CREATE TABLE "users" (
	"id" integer GENERATED ALWAYS AS IDENTITY (sequence name "users_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"username" varchar(50) NOT NULL,
	"email" varchar(100) NOT NULL,
	"password_hash" text NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"is_superuser" boolean DEFAULT false NOT NULL,
	"email_verified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_users" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "refresh_sessions" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "refresh_sessions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"family_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_refresh_sessions" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "mail_deliveries" (
	"event_id" uuid NOT NULL,
	"type" varchar(100) NOT NULL,
	"recipient" varchar(320) NOT NULL,
	"smtp_message_id" text,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_mail_deliveries" PRIMARY KEY("event_id")
);
--> statement-breakpoint
CREATE TABLE "outbox_events" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "outbox_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"type" varchar(100) NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	CONSTRAINT "pk_outbox_events" PRIMARY KEY("id")
);
--> statement-breakpoint
ALTER TABLE "refresh_sessions" ADD CONSTRAINT "fk_refresh_sessions_user_id_users" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_users_username" ON "users" USING btree (lower("username"));--> statement-breakpoint
CREATE UNIQUE INDEX "uq_users_email" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "ix_users_created_at" ON "users" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_refresh_sessions_token_hash" ON "refresh_sessions" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "ix_refresh_sessions_family_id" ON "refresh_sessions" USING btree ("family_id");--> statement-breakpoint
CREATE INDEX "ix_refresh_sessions_user_id" ON "refresh_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_outbox_events_event_id" ON "outbox_events" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "ix_outbox_events_pending" ON "outbox_events" USING btree ("next_attempt_at","id") WHERE "outbox_events"."published_at" IS NULL;