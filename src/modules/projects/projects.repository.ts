// SQL for projects and their members lives here only (style rule 4).
import { and, asc, desc, eq, inArray, not, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { Locale } from '../../lib/locale.js';
import {
  keysetAfter,
  keysetOrderBy,
  type CursorData,
  type KeysetSort,
} from '../../lib/pagination.js';
import { users } from '../users/users.table.js';
import {
  projectMembers,
  projects,
  type MemberRole,
  type ProjectMemberRow,
  type ProjectRow,
  type ProjectStatus,
} from './projects.table.js';

export type ProjectInsert = typeof projects.$inferInsert;
export type ProjectSet = Partial<Omit<ProjectInsert, 'id' | 'createdAt' | 'createdBy'>>;

/** Who is looking: decides which rows a list may return (see projects.policy.ts canSee). */
export type ListViewer =
  { kind: 'anonymous' } | { kind: 'user'; userId: number } | { kind: 'superuser' };

export interface ProjectListFilter {
  viewer: ListViewer;
  publicStatuses: readonly ProjectStatus[];
  archived: boolean;
  status?: ProjectStatus;
  tag?: string;
  q?: string;
  limit: number;
  cursor?: CursorData;
}

/** Newest first; the id is the whole key, so the primary key (or (status, id)) serves the order. */
export const PROJECT_SORT: KeysetSort = { key: projects.id, id: projects.id, direction: 'desc' };
export const MEMBER_SORT: KeysetSort = {
  key: projectMembers.id,
  id: projectMembers.id,
  direction: 'asc',
};
export const MY_PROJECTS_SORT: KeysetSort = {
  key: projectMembers.id,
  id: projectMembers.id,
  direction: 'desc',
};

/** A `q` typed by a user, matched literally as a substring (LIKE wildcards escaped). */
export function likeSubstring(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface MemberWithUser {
  userId: number;
  username: string;
  email: string;
  isActive: boolean;
  role: MemberRole;
  joinedAt: Date;
  memberId: number;
  /** The language of mails to this member (issue 8). */
  locale: Locale;
}

export const projectsRepository = {
  async insert(db: Executor, values: ProjectInsert): Promise<ProjectRow> {
    const [row] = await db.insert(projects).values(values).returning();
    if (row === undefined) {
      throw new Error('insert returned no row');
    }
    return row;
  },

  /** `lock: 'update'` serialises writers of one project (accepts, slot changes). */
  async findById(
    db: Executor,
    id: number,
    lock?: 'update' | 'share',
  ): Promise<ProjectRow | undefined> {
    const q = db.select().from(projects).where(eq(projects.id, id)).limit(1);
    const [row] = lock === undefined ? await q : await q.for(lock);
    return row;
  },

  async update(db: Executor, id: number, set: ProjectSet): Promise<ProjectRow> {
    const [row] = await db.update(projects).set(set).where(eq(projects.id, id)).returning();
    if (row === undefined) {
      throw new Error('update matched no row');
    }
    return row;
  },

  /**
   * One round trip per page: the filtered, keyset-limited page as a subquery, then the places
   * taken counted per page row (LATERAL), so counting never runs for rows outside the page.
   */
  async list(
    db: Executor,
    f: ProjectListFilter,
  ): Promise<{ project: ProjectRow; developers: number; testers: number }[]> {
    const where: (SQL | undefined)[] = [
      f.archived ? not(projects.isActive) : eq(projects.isActive, true),
    ];
    if (
      f.viewer.kind === 'anonymous' &&
      f.status !== undefined &&
      !f.publicStatuses.includes(f.status)
    ) {
      return []; // nothing to find: spare the index walk over every draft
    }
    if (f.viewer.kind === 'anonymous') {
      where.push(inArray(projects.status, [...f.publicStatuses]));
    } else if (f.viewer.kind === 'user') {
      const theirs = sql`${projects.id} IN (SELECT ${projectMembers.projectId} FROM ${projectMembers} WHERE ${projectMembers.userId} = ${f.viewer.userId})`;
      // A non-public status (their drafts, their completed projects) can only come from their
      // memberships: ask the membership index directly instead of walking every such project.
      // Otherwise the IN plans as a hashed subplan over the user's few memberships.
      where.push(
        f.status !== undefined && !f.publicStatuses.includes(f.status)
          ? theirs
          : sql`(${inArray(projects.status, [...f.publicStatuses])} OR ${theirs})`,
      );
    }
    if (f.status !== undefined) {
      where.push(eq(projects.status, f.status));
    }
    if (f.tag !== undefined) {
      // `@>` (not `= ANY`) so the GIN index on tags answers it.
      where.push(sql`${projects.tags} @> ARRAY[${f.tag}]::text[]`);
    }
    if (f.q !== undefined) {
      where.push(sql`${projects.title} ILIKE ${likeSubstring(f.q)}`);
    }
    where.push(keysetAfter(PROJECT_SORT, f.cursor));
    const page = db
      .select()
      .from(projects)
      .where(and(...where))
      .orderBy(...keysetOrderBy(PROJECT_SORT))
      .limit(f.limit + 1)
      .as('page');
    const places = db
      .select({
        developers:
          sql<number>`count(*) FILTER (WHERE ${projectMembers.role} = 'developer')::int`.as(
            'developers',
          ),
        testers: sql<number>`count(*) FILTER (WHERE ${projectMembers.role} = 'tester')::int`.as(
          'testers',
        ),
      })
      .from(projectMembers)
      .where(eq(projectMembers.projectId, page.id))
      .as('places');
    return db
      .select({
        project: {
          id: page.id,
          title: page.title,
          description: page.description,
          repositoryUrl: page.repositoryUrl,
          tags: page.tags,
          status: page.status,
          startsOn: page.startsOn,
          endsOn: page.endsOn,
          developerSlots: page.developerSlots,
          testerSlots: page.testerSlots,
          createdBy: page.createdBy,
          isActive: page.isActive,
          createdAt: page.createdAt,
          updatedAt: page.updatedAt,
        },
        developers: places.developers,
        testers: places.testers,
      })
      .from(page)
      .leftJoinLateral(places, sql`true`)
      .orderBy(desc(page.id));
  },

  /** Places taken per project and role, for a page of projects (one grouped query). */
  async placesTaken(
    db: Executor,
    projectIds: number[],
  ): Promise<Map<number, { developers: number; testers: number }>> {
    const out = new Map<number, { developers: number; testers: number }>();
    if (projectIds.length === 0) {
      return out;
    }
    const rows = await db
      .select({
        projectId: projectMembers.projectId,
        developers: sql<number>`count(*) FILTER (WHERE ${projectMembers.role} = 'developer')::int`,
        testers: sql<number>`count(*) FILTER (WHERE ${projectMembers.role} = 'tester')::int`,
      })
      .from(projectMembers)
      .where(inArray(projectMembers.projectId, projectIds))
      .groupBy(projectMembers.projectId);
    for (const r of rows) {
      out.set(r.projectId, { developers: r.developers, testers: r.testers });
    }
    return out;
  },

  async countMembers(db: Executor, projectId: number, role: MemberRole): Promise<number> {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, role)));
    return row?.n ?? 0;
  },

  async membership(
    db: Executor,
    projectId: number,
    userId: number,
  ): Promise<ProjectMemberRow | undefined> {
    const [row] = await db
      .select()
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
      .limit(1);
    return row;
  },

  async insertMember(
    db: Executor,
    values: { projectId: number; userId: number; role: MemberRole },
  ): Promise<ProjectMemberRow> {
    const [row] = await db.insert(projectMembers).values(values).returning();
    if (row === undefined) {
      throw new Error('insert returned no row');
    }
    return row;
  },

  async deleteMember(db: Executor, projectId: number, userId: number): Promise<boolean> {
    const rows = await db
      .delete(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
      .returning({ id: projectMembers.id });
    return rows.length > 0;
  },

  async listMembers(
    db: Executor,
    projectId: number,
    limit: number,
    cursor?: CursorData,
  ): Promise<MemberWithUser[]> {
    return db
      .select(memberColumns)
      .from(projectMembers)
      .innerJoin(users, eq(users.id, projectMembers.userId))
      .where(and(eq(projectMembers.projectId, projectId), keysetAfter(MEMBER_SORT, cursor)))
      .orderBy(...keysetOrderBy(MEMBER_SORT))
      .limit(limit + 1);
  },

  /** Active mentors with their addresses: the recipients of "new application" mails. */
  async mentors(db: Executor, projectId: number): Promise<MemberWithUser[]> {
    return db
      .select(memberColumns)
      .from(projectMembers)
      .innerJoin(users, eq(users.id, projectMembers.userId))
      .where(
        and(
          eq(projectMembers.projectId, projectId),
          eq(projectMembers.role, 'mentor'),
          eq(users.isActive, true),
        ),
      )
      .orderBy(asc(projectMembers.id));
  },

  /** The projects a user belongs to (archived ones left out), newest membership first. */
  async listForMember(
    db: Executor,
    userId: number,
    limit: number,
    cursor?: CursorData,
  ): Promise<{ project: ProjectRow; role: MemberRole; memberId: number }[]> {
    return db
      .select({ project: projects, role: projectMembers.role, memberId: projectMembers.id })
      .from(projectMembers)
      .innerJoin(projects, eq(projects.id, projectMembers.projectId))
      .where(
        and(
          eq(projectMembers.userId, userId),
          eq(projects.isActive, true),
          keysetAfter(MY_PROJECTS_SORT, cursor),
        ),
      )
      .orderBy(...keysetOrderBy(MY_PROJECTS_SORT))
      .limit(limit + 1);
  },
};

const memberColumns = {
  userId: projectMembers.userId,
  username: users.username,
  email: users.email,
  isActive: users.isActive,
  role: projectMembers.role,
  joinedAt: projectMembers.joinedAt,
  memberId: projectMembers.id,
  locale: users.locale,
};
