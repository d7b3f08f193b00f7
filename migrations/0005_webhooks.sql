CREATE TABLE "webhook_deliveries" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"subscription_id" integer NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" varchar(100) NOT NULL,
	"webhook_id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"body" jsonb NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_webhook_deliveries" PRIMARY KEY("id"),
	CONSTRAINT "ck_webhook_deliveries_status" CHECK (status IN ('pending', 'delivered', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "webhook_delivery_attempts" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "webhook_delivery_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_code" integer,
	"duration_ms" integer NOT NULL,
	"error" text,
	"response_body" text,
	CONSTRAINT "pk_webhook_delivery_attempts" PRIMARY KEY("id")
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriptions" (
	"id" integer GENERATED ALWAYS AS IDENTITY (sequence name "webhook_subscriptions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"url" varchar(2000) NOT NULL,
	"description" varchar(500) DEFAULT '' NOT NULL,
	"event_types" text[] NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"created_by" integer NOT NULL,
	"last_success_at" timestamp with time zone,
	"failing_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_webhook_subscriptions" PRIMARY KEY("id")
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "fk_webhook_deliveries_subscription_id_webhook_subscriptions" FOREIGN KEY ("subscription_id") REFERENCES "public"."webhook_subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_delivery_attempts" ADD CONSTRAINT "fk_webhook_delivery_attempts_delivery_id_webhook_deliveries" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_subscriptions" ADD CONSTRAINT "fk_webhook_subscriptions_created_by_users" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_webhook_deliveries_subscription_event" ON "webhook_deliveries" USING btree ("subscription_id","event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_webhook_deliveries_webhook_id" ON "webhook_deliveries" USING btree ("webhook_id");--> statement-breakpoint
CREATE INDEX "ix_webhook_deliveries_subscription_id" ON "webhook_deliveries" USING btree ("subscription_id","id");--> statement-breakpoint
CREATE INDEX "ix_webhook_deliveries_failed" ON "webhook_deliveries" USING btree ("subscription_id","created_at") WHERE "webhook_deliveries"."status" <> 'delivered';--> statement-breakpoint
CREATE INDEX "ix_webhook_delivery_attempts_delivery_id" ON "webhook_delivery_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
CREATE INDEX "ix_webhook_subscriptions_active" ON "webhook_subscriptions" USING btree ("id") WHERE "webhook_subscriptions"."is_active";--> statement-breakpoint
-- Issue 9, data fixes. (1) Domain events written before the events pipeline had a consumer
-- for them came back unroutable and stayed pending for ever. They announce changes made
-- before any webhook subscription could exist, so no consumer wants them now: retire them
-- (marked published, the reason kept in last_error) instead of delivering stale history.
UPDATE outbox_events
   SET published_at = now(),
       last_error = 'retired by migration 0005: unroutable before the events pipeline (' || coalesce(last_error, 'never published') || ')'
 WHERE published_at IS NULL
   AND split_part(type, '.', 1) IN ('project', 'member', 'application');
--> statement-breakpoint
-- (2) Single-use links of account mails already published must not stay readable here; the
-- relay now removes them when it marks a row published (SECRET_PAYLOAD_FIELDS).
UPDATE outbox_events
   SET payload = payload - 'link'
 WHERE published_at IS NOT NULL
   AND type IN ('mail.verify_email', 'mail.password_reset')
   AND payload ? 'link';
