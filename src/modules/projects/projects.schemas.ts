// Request and response schemas of the projects and applications routes (schema-first: the
// handler types come from here). Request objects refuse unknown fields (S11).
import { Type, type Static } from 'typebox';
import { MULTILINE } from '../../lib/input-rules.js';
import { PageQueryFields, PageSchema } from '../../lib/pagination.js';
import {
  APPLICATION_STATUSES,
  MEMBER_ROLES,
  PLACE_ROLES,
  PROJECT_STATUSES,
} from './projects.table.js';
import type { MemberView, MyProjectView, ProjectView } from './projects.service.js';

const dateTime = Type.String({ format: 'date-time' });
const day = Type.String({ format: 'date', examples: ['2027-02-01'] });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

// Derived from the table's constants, so the API and the CHECK constraints cannot drift.
export const ProjectStatus = Type.Enum(PROJECT_STATUSES, {
  description: 'draft → recruiting → active → completed',
});
export const MemberRole = Type.Enum(MEMBER_ROLES);
export const PlaceRole = Type.Enum(PLACE_ROLES);
export const ApplicationStatus = Type.Enum(APPLICATION_STATUSES);

const Tag = Type.String({ minLength: 1, maxLength: 40, pattern: '^[^\\s,]+$' });
const Tags = Type.Array(Tag, {
  maxItems: 20,
  description: 'The stack, e.g. ["typescript", "postgresql"]; stored lower-case, deduplicated.',
});
const RepositoryUrl = Type.String({
  format: 'uri',
  maxLength: 500,
  pattern: '^https?://',
  examples: ['https://github.com/ifd/team-board'],
});

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
export type IdParams = Static<typeof IdParams>;
export const MemberParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647 }),
  user_id: Type.Integer({ minimum: 1, maximum: 2147483647 }),
});

export const ProjectCreateBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200, examples: ['Team board'] }),
    description: Type.Optional(Type.String({ maxLength: 20_000, [MULTILINE]: true })),
    repository_url: Type.Optional(nullable(RepositoryUrl)),
    tags: Type.Optional(Tags),
    starts_on: Type.Optional(nullable(day)),
    ends_on: Type.Optional(nullable(day)),
    developer_slots: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 0 })),
    tester_slots: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 0 })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        title: 'Team board',
        description: 'A kanban board for internship teams.',
        repository_url: 'https://github.com/ifd/team-board',
        tags: ['typescript', 'postgresql'],
        starts_on: '2027-02-01',
        ends_on: '2027-05-31',
        developer_slots: 3,
        tester_slots: 1,
      },
    ],
  },
);
export type ProjectCreateBody = Static<typeof ProjectCreateBody>;

export const ProjectPatchBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 20_000, [MULTILINE]: true })),
    repository_url: Type.Optional(nullable(RepositoryUrl)),
    tags: Type.Optional(Tags),
    starts_on: Type.Optional(nullable(day)),
    ends_on: Type.Optional(nullable(day)),
    developer_slots: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    tester_slots: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    status: Type.Optional(ProjectStatus),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description:
      'Mentors may change `description` and `status` (forward only); superusers every field.',
    examples: [{ status: 'recruiting' }, { description: 'Now with a REST API.' }],
  },
);
export type ProjectPatchBody = Static<typeof ProjectPatchBody>;

export const Project = Type.Object(
  {
    id: Type.Integer(),
    title: Type.String(),
    description: Type.String(),
    repository_url: nullable(Type.String()),
    tags: Type.Array(Type.String()),
    status: ProjectStatus,
    starts_on: nullable(Type.String({ format: 'date' })),
    ends_on: nullable(Type.String({ format: 'date' })),
    developer_slots: Type.Integer(),
    tester_slots: Type.Integer(),
    developers_count: Type.Integer({ description: 'Developer places taken.' }),
    testers_count: Type.Integer({ description: 'Tester places taken.' }),
    created_by: Type.Integer(),
    is_active: Type.Boolean({ description: 'false once archived.' }),
    created_at: dateTime,
    updated_at: dateTime,
  },
  { title: 'Project' },
);
export type Project = Static<typeof Project>;

export const ProjectListQuery = Type.Object(
  {
    status: Type.Optional(ProjectStatus),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 40, examples: ['typescript'] })),
    q: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 100,
        description:
          'Case-insensitive substring of the title, at least 3 characters (so that the ' +
          'trigram index always answers it).',
        examples: ['board'],
      }),
    ),
    archived: Type.Optional(
      Type.Boolean({ description: 'Superusers only: list archived projects instead.' }),
    ),
    ...PageQueryFields,
  },
  { additionalProperties: false },
);
export type ProjectListQuery = Static<typeof ProjectListQuery>;

export const ProjectPage = PageSchema(Project, 'ProjectPage');

export const MyProject = Type.Object(
  { ...Project.properties, role: MemberRole },
  { title: 'MyProject', description: 'A project and the signed-in user’s role in it.' },
);
export type MyProject = Static<typeof MyProject>;
export const MyProjectPage = PageSchema(MyProject, 'MyProjectPage');

export const PageQuery = Type.Object({ ...PageQueryFields }, { additionalProperties: false });
export type PageQuery = Static<typeof PageQuery>;

export const Member = Type.Object(
  {
    user_id: Type.Integer(),
    username: Type.String(),
    role: MemberRole,
    joined_at: dateTime,
  },
  { title: 'ProjectMember' },
);
export type Member = Static<typeof Member>;
export const MemberPage = PageSchema(Member, 'ProjectMemberPage');

export const AppointBody = Type.Object(
  {
    user_id: Type.Integer({ minimum: 1, maximum: 2147483647, examples: [42] }),
    role: Type.Literal('mentor', { description: 'Only mentors are appointed; others apply.' }),
  },
  { additionalProperties: false, examples: [{ user_id: 42, role: 'mentor' }] },
);
export type AppointBody = Static<typeof AppointBody>;

export const ApplyBody = Type.Object(
  {
    role: PlaceRole,
    motivation: Type.String({ maxLength: 5000, default: '', [MULTILINE]: true }),
  },
  {
    additionalProperties: false,
    examples: [{ role: 'developer', motivation: 'I want to learn PostgreSQL on a real team.' }],
  },
);
export type ApplyBody = Static<typeof ApplyBody>;

export const DecisionBody = Type.Object(
  {
    status: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
    reason: Type.Optional(nullable(Type.String({ maxLength: 2000, [MULTILINE]: true }))),
  },
  {
    additionalProperties: false,
    examples: [
      { status: 'accepted', reason: 'Welcome aboard!' },
      { status: 'rejected', reason: 'All places are taken.' },
    ],
  },
);
export type DecisionBody = Static<typeof DecisionBody>;

export const Application = Type.Object(
  {
    id: Type.Integer(),
    project_id: Type.Integer(),
    project_title: Type.String(),
    applicant_id: Type.Integer(),
    applicant_username: Type.String(),
    role: PlaceRole,
    motivation: Type.String(),
    status: ApplicationStatus,
    decided_by: nullable(Type.Integer()),
    decided_at: nullable(dateTime),
    reason: nullable(Type.String()),
    created_at: dateTime,
    updated_at: dateTime,
  },
  { title: 'Application' },
);
export type Application = Static<typeof Application>;
export const ApplicationPage = PageSchema(Application, 'ApplicationPage');

export const ApplicationListQuery = Type.Object(
  { status: Type.Optional(ApplicationStatus), ...PageQueryFields },
  { additionalProperties: false },
);
export type ApplicationListQuery = Static<typeof ApplicationListQuery>;

// --- mapping rows to API shapes (field names are the API's)

export interface PlacesTaken {
  developers: number;
  testers: number;
}

export function toProject(
  p: {
    id: number;
    title: string;
    description: string;
    repositoryUrl: string | null;
    tags: string[];
    status: Project['status'];
    startsOn: string | null;
    endsOn: string | null;
    developerSlots: number;
    testerSlots: number;
    createdBy: number;
    isActive: boolean;
    createdAt: Date;
    updatedAt: Date;
  },
  places: PlacesTaken = { developers: 0, testers: 0 },
): Project {
  return {
    id: p.id,
    title: p.title,
    description: p.description,
    repository_url: p.repositoryUrl,
    tags: p.tags,
    status: p.status,
    starts_on: p.startsOn,
    ends_on: p.endsOn,
    developer_slots: p.developerSlots,
    tester_slots: p.testerSlots,
    developers_count: places.developers,
    testers_count: places.testers,
    created_by: p.createdBy,
    is_active: p.isActive,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

export function toApplication(a: {
  id: number;
  projectId: number;
  projectTitle: string;
  applicantId: number;
  applicantUsername: string;
  role: Application['role'];
  motivation: string;
  status: Application['status'];
  decidedBy: number | null;
  decidedAt: Date | null;
  reason: string | null;
  createdAt: Date;
  updatedAt: Date;
}): Application {
  return {
    id: a.id,
    project_id: a.projectId,
    project_title: a.projectTitle,
    applicant_id: a.applicantId,
    applicant_username: a.applicantUsername,
    role: a.role,
    motivation: a.motivation,
    status: a.status,
    decided_by: a.decidedBy,
    decided_at: a.decidedAt === null ? null : a.decidedAt.toISOString(),
    reason: a.reason,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

export function projectOut(v: ProjectView): Project {
  return toProject(v.project, v.places);
}

export function myProjectOut(v: MyProjectView): MyProject {
  return { ...toProject(v.project, v.places), role: v.role };
}

export function memberOut(m: MemberView): Member {
  return {
    user_id: m.userId,
    username: m.username,
    role: m.role,
    joined_at: m.joinedAt.toISOString(),
  };
}
