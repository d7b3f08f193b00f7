CREATE TABLE "account_tokens" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "account_tokens_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"purpose" varchar(32) NOT NULL,
	"token_hash" text NOT NULL,
	"email" varchar(100) NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_account_tokens" PRIMARY KEY("id")
);
--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "fk_account_tokens_user_id_users" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_account_tokens_token_hash" ON "account_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "ix_account_tokens_user_id_purpose" ON "account_tokens" USING btree ("user_id","purpose");--> statement-breakpoint
CREATE INDEX "ix_users_username_pattern" ON "users" USING btree (lower("username") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "ix_users_email_pattern" ON "users" USING btree (lower("email") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "ix_users_id_superuser" ON "users" USING btree ("id") WHERE "users"."is_superuser";--> statement-breakpoint
CREATE INDEX "ix_users_created_at_superuser" ON "users" USING btree ("created_at","id") WHERE "users"."is_superuser";--> statement-breakpoint
CREATE INDEX "ix_users_id_inactive" ON "users" USING btree ("id") WHERE NOT "users"."is_active";--> statement-breakpoint
CREATE INDEX "ix_users_created_at_inactive" ON "users" USING btree ("created_at","id") WHERE NOT "users"."is_active";