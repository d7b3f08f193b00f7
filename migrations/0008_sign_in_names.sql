CREATE TABLE "sign_in_name_conflicts" (
	"id" integer GENERATED ALWAYS AS IDENTITY (sequence name "sign_in_name_conflicts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"other_user_id" integer,
	"kind" varchar(32) NOT NULL,
	"username" varchar(50) NOT NULL,
	"found_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"renamed_to" varchar(50),
	CONSTRAINT "pk_sign_in_name_conflicts" PRIMARY KEY("id")
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "username_fold" varchar(200);--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "pending_email" varchar(100);--> statement-breakpoint
ALTER TABLE "sign_in_name_conflicts" ADD CONSTRAINT "fk_sign_in_name_conflicts_user_id_users" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_sign_in_name_conflicts_user_kind" ON "sign_in_name_conflicts" USING btree ("user_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_users_username_fold" ON "users" USING btree ("username_fold");