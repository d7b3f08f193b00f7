import { sql } from 'drizzle-orm';
import {
  check,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { intId, isActive, timestamps, tsColumn } from '../../db/columns.js';
import { users } from '../users/users.table.js';

// Internship projects, their members and the applications for places. Table names follow the
// seed (snake_case(model) + "s"), every constraint is named. Archival is `is_active`.

export const PROJECT_STATUSES = ['draft', 'recruiting', 'active', 'completed'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];
export const MEMBER_ROLES = ['mentor', 'developer', 'tester'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
export const PLACE_ROLES = ['developer', 'tester'] as const;
export type PlaceRole = (typeof PLACE_ROLES)[number];
export const APPLICATION_STATUSES = ['pending', 'accepted', 'rejected', 'withdrawn'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export const projects = pgTable(
  'projects',
  {
    id: intId(),
    title: varchar('title', { length: 200 }).notNull(),
    description: text('description').notNull().default(''),
    repositoryUrl: varchar('repository_url', { length: 500 }),
    // The stack, as a text array: one GIN index answers `tag = ANY(tags)` (see docs/benchmarks.md, appendix B).
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    status: varchar('status', { length: 20 }).$type<ProjectStatus>().notNull().default('draft'),
    startsOn: date('starts_on', { mode: 'string' }),
    endsOn: date('ends_on', { mode: 'string' }),
    developerSlots: integer('developer_slots').notNull().default(0),
    testerSlots: integer('tester_slots').notNull().default(0),
    createdBy: integer('created_by').notNull(),
    isActive: isActive(),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ name: 'pk_projects', columns: [t.id] }),
    foreignKey({
      name: 'fk_projects_created_by_users',
      columns: [t.createdBy],
      foreignColumns: [users.id],
    }),
    check('ck_projects_status', sql`${t.status} IN (${inList(PROJECT_STATUSES)})`),
    check('ck_projects_slots', sql`${t.developerSlots} >= 0 AND ${t.testerSlots} >= 0`),
    check(
      'ck_projects_dates',
      sql`${t.startsOn} IS NULL OR ${t.endsOn} IS NULL OR ${t.endsOn} >= ${t.startsOn}`,
    ),
    // List filters: status (keyset by id inside a status), tag (GIN), q (trigram GIN on title).
    index('ix_projects_status_id').on(t.status, t.id),
    index('ix_projects_tags').using('gin', t.tags),
    index('ix_projects_title_trgm').using('gin', sql`${t.title} gin_trgm_ops`),
  ],
);

export const projectMembers = pgTable(
  'project_members',
  {
    id: intId(),
    projectId: integer('project_id').notNull(),
    userId: integer('user_id').notNull(),
    role: varchar('role', { length: 20 }).$type<MemberRole>().notNull(),
    joinedAt: tsColumn('joined_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'pk_project_members', columns: [t.id] }),
    foreignKey({
      name: 'fk_project_members_project_id_projects',
      columns: [t.projectId],
      foreignColumns: [projects.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_project_members_user_id_users',
      columns: [t.userId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    check('ck_project_members_role', sql`${t.role} IN (${inList(MEMBER_ROLES)})`),
    // One membership per user and project; also serves "members of a project by role".
    uniqueIndex('uq_project_members_project_id_user_id').on(t.projectId, t.userId),
    index('ix_project_members_project_id_role').on(t.projectId, t.role),
    index('ix_project_members_user_id').on(t.userId, t.projectId),
  ],
);

export const applications = pgTable(
  'applications',
  {
    id: intId(),
    projectId: integer('project_id').notNull(),
    applicantId: integer('applicant_id').notNull(),
    role: varchar('role', { length: 20 }).$type<PlaceRole>().notNull(),
    motivation: text('motivation').notNull().default(''),
    status: varchar('status', { length: 20 })
      .$type<ApplicationStatus>()
      .notNull()
      .default('pending'),
    decidedBy: integer('decided_by'),
    decidedAt: tsColumn('decided_at'),
    reason: text('reason'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ name: 'pk_applications', columns: [t.id] }),
    foreignKey({
      name: 'fk_applications_project_id_projects',
      columns: [t.projectId],
      foreignColumns: [projects.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_applications_applicant_id_users',
      columns: [t.applicantId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_applications_decided_by_users',
      columns: [t.decidedBy],
      foreignColumns: [users.id],
    }).onDelete('set null'),
    check('ck_applications_role', sql`${t.role} IN (${inList(PLACE_ROLES)})`),
    check('ck_applications_status', sql`${t.status} IN (${inList(APPLICATION_STATUSES)})`),
    // At most one pending application per user and project; decided ones may pile up.
    uniqueIndex('uq_applications_project_id_applicant_id_pending')
      .on(t.projectId, t.applicantId)
      .where(sql`${t.status} = 'pending'`),
    index('ix_applications_project_id_id').on(t.projectId, t.id),
    index('ix_applications_applicant_id_id').on(t.applicantId, t.id),
  ],
);

export type ProjectRow = typeof projects.$inferSelect;
export type ProjectMemberRow = typeof projectMembers.$inferSelect;
export type ApplicationRow = typeof applications.$inferSelect;
