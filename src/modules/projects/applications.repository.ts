// SQL for applications lives here only (style rule 4).
import { and, eq, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import {
  keysetAfter,
  keysetOrderBy,
  type CursorData,
  type KeysetSort,
} from '../../lib/pagination.js';
import { users } from '../users/users.table.js';
import {
  applications,
  projects,
  type ApplicationRow,
  type ApplicationStatus,
  type PlaceRole,
} from './projects.table.js';

export const APPLICATION_SORT: KeysetSort = {
  key: applications.id,
  id: applications.id,
  direction: 'desc',
};

export interface ApplicationView extends ApplicationRow {
  projectTitle: string;
  applicantUsername: string;
}

const viewColumns = {
  id: applications.id,
  projectId: applications.projectId,
  applicantId: applications.applicantId,
  role: applications.role,
  motivation: applications.motivation,
  status: applications.status,
  decidedBy: applications.decidedBy,
  decidedAt: applications.decidedAt,
  reason: applications.reason,
  createdAt: applications.createdAt,
  updatedAt: applications.updatedAt,
  projectTitle: projects.title,
  applicantUsername: users.username,
};

export const applicationsRepository = {
  async insert(
    db: Executor,
    values: { projectId: number; applicantId: number; role: PlaceRole; motivation: string },
  ): Promise<ApplicationRow> {
    const [row] = await db.insert(applications).values(values).returning();
    if (row === undefined) {
      throw new Error('insert returned no row');
    }
    return row;
  },

  async findById(db: Executor, id: number, lock?: 'update'): Promise<ApplicationRow | undefined> {
    const q = db.select().from(applications).where(eq(applications.id, id)).limit(1);
    const [row] = lock === undefined ? await q : await q.for(lock);
    return row;
  },

  async update(
    db: Executor,
    id: number,
    set: Partial<Pick<ApplicationRow, 'status' | 'decidedBy' | 'decidedAt' | 'reason'>>,
  ): Promise<ApplicationRow> {
    const [row] = await db.update(applications).set(set).where(eq(applications.id, id)).returning();
    if (row === undefined) {
      throw new Error('update matched no row');
    }
    return row;
  },

  async list(
    db: Executor,
    by: { projectId: number } | { applicantId: number },
    status: ApplicationStatus | undefined,
    limit: number,
    cursor?: CursorData,
  ): Promise<ApplicationView[]> {
    const where: (SQL | undefined)[] = [
      'projectId' in by
        ? eq(applications.projectId, by.projectId)
        : eq(applications.applicantId, by.applicantId),
      status === undefined ? undefined : eq(applications.status, status),
      keysetAfter(APPLICATION_SORT, cursor),
    ];
    return db
      .select(viewColumns)
      .from(applications)
      .innerJoin(projects, eq(projects.id, applications.projectId))
      .innerJoin(users, eq(users.id, applications.applicantId))
      .where(and(...where))
      .orderBy(...keysetOrderBy(APPLICATION_SORT))
      .limit(limit + 1);
  },
};
