CREATE TABLE "applications" (
	"id" integer GENERATED ALWAYS AS IDENTITY (sequence name "applications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"project_id" integer NOT NULL,
	"applicant_id" integer NOT NULL,
	"role" varchar(20) NOT NULL,
	"motivation" text DEFAULT '' NOT NULL,
	"status" varchar(20) DEFAULT 'pending' NOT NULL,
	"decided_by" integer,
	"decided_at" timestamp with time zone,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_applications" PRIMARY KEY("id"),
	CONSTRAINT "ck_applications_role" CHECK ("applications"."role" IN ('developer', 'tester')),
	CONSTRAINT "ck_applications_status" CHECK ("applications"."status" IN ('pending', 'accepted', 'rejected', 'withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "project_members" (
	"id" integer GENERATED ALWAYS AS IDENTITY (sequence name "project_members_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"project_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"role" varchar(20) NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_project_members" PRIMARY KEY("id"),
	CONSTRAINT "ck_project_members_role" CHECK ("project_members"."role" IN ('mentor', 'developer', 'tester'))
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" integer GENERATED ALWAYS AS IDENTITY (sequence name "projects_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"title" varchar(200) NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"repository_url" varchar(500),
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" varchar(20) DEFAULT 'draft' NOT NULL,
	"starts_on" date,
	"ends_on" date,
	"developer_slots" integer DEFAULT 0 NOT NULL,
	"tester_slots" integer DEFAULT 0 NOT NULL,
	"created_by" integer NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pk_projects" PRIMARY KEY("id"),
	CONSTRAINT "ck_projects_status" CHECK ("projects"."status" IN ('draft', 'recruiting', 'active', 'completed')),
	CONSTRAINT "ck_projects_slots" CHECK ("projects"."developer_slots" >= 0 AND "projects"."tester_slots" >= 0),
	CONSTRAINT "ck_projects_dates" CHECK ("projects"."starts_on" IS NULL OR "projects"."ends_on" IS NULL OR "projects"."ends_on" >= "projects"."starts_on")
);
--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "fk_applications_project_id_projects" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "fk_applications_applicant_id_users" FOREIGN KEY ("applicant_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "fk_applications_decided_by_users" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "fk_project_members_project_id_projects" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "fk_project_members_user_id_users" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "fk_projects_created_by_users" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_applications_project_id_applicant_id_pending" ON "applications" USING btree ("project_id","applicant_id") WHERE "applications"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "ix_applications_project_id_id" ON "applications" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "ix_applications_applicant_id_id" ON "applications" USING btree ("applicant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_project_members_project_id_user_id" ON "project_members" USING btree ("project_id","user_id");--> statement-breakpoint
CREATE INDEX "ix_project_members_project_id_role" ON "project_members" USING btree ("project_id","role");--> statement-breakpoint
CREATE INDEX "ix_project_members_user_id" ON "project_members" USING btree ("user_id","project_id");--> statement-breakpoint
CREATE INDEX "ix_projects_status_id" ON "projects" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "ix_projects_tags" ON "projects" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "ix_projects_title_trgm" ON "projects" USING gin ("title" gin_trgm_ops);