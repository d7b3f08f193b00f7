import type { Db, Executor } from '../../db/client.js';
import { DomainError } from '../../lib/errors.js';
import { decodeCursor, toPage, type Page } from '../../lib/pagination.js';
import type { ProjectSnapshotV1 } from '../outbox/catalogue.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { uniqueViolation, usersRepository } from '../users/users.repository.js';
import type { UserRow } from '../users/users.table.js';
import {
  assertProjectTransition,
  canManage,
  canSee,
  MENTOR_EDITABLE,
  PUBLIC_STATUSES,
  type Viewer,
} from './projects.policy.js';
import { projectsRepository, type ListViewer, type ProjectSet } from './projects.repository.js';
import type {
  PageQuery,
  PlacesTaken,
  ProjectCreateBody,
  ProjectListQuery,
  ProjectPatchBody,
} from './projects.schemas.js';
import type { MemberRole, ProjectRow } from './projects.table.js';

// The order names cursors are bound to (a cursor from one list is refused by another).
const PROJECTS_ORDER = '-id';
const MEMBERS_ORDER = 'member';
const MY_PROJECTS_ORDER = '-member';

export const projectNotFound = () => new DomainError('project_not_found');

/** Tags are matched exactly: stored trimmed, lower-case and without duplicates. */
export function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter((t) => t !== ''))];
}

export function snapshot(p: ProjectRow): ProjectSnapshotV1 {
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
    created_by: p.createdBy,
    is_active: p.isActive,
  };
}

function checkDates(startsOn: string | null, endsOn: string | null): void {
  if (startsOn !== null && endsOn !== null && endsOn < startsOn) {
    throw new DomainError('dates_out_of_order');
  }
}

/**
 * Loads a project as `viewer` may see it: a project the viewer may not see is reported
 * missing (404), so its existence stays private (archived projects, other people's drafts).
 */
export async function loadVisibleProject(
  db: Executor,
  viewer: Viewer,
  id: number,
  lock?: 'update' | 'share',
): Promise<{ project: ProjectRow; role: MemberRole | undefined }> {
  const project = await projectsRepository.findById(db, id, lock);
  if (project === undefined) {
    throw projectNotFound();
  }
  const role =
    viewer === undefined
      ? undefined
      : (await projectsRepository.membership(db, id, viewer.id))?.role;
  if (!canSee(viewer, project, role)) {
    throw projectNotFound();
  }
  return { project, role };
}

function assertNotArchived(project: ProjectRow): void {
  if (!project.isActive) {
    throw new DomainError('project_archived');
  }
}

/** A project and the places its members take; the routes map it to the API shape. */
export interface ProjectView {
  project: ProjectRow;
  places: PlacesTaken | undefined;
}

export interface MemberView {
  userId: number;
  username: string;
  role: MemberRole;
  joinedAt: Date;
}

export interface MyProjectView extends ProjectView {
  role: MemberRole;
}

export class ProjectsService {
  constructor(private readonly db: Db) {}

  private async withPlaces(db: Executor, project: ProjectRow): Promise<ProjectView> {
    const places = await projectsRepository.placesTaken(db, [project.id]);
    return { project, places: places.get(project.id) };
  }

  async list(viewer: Viewer, query: ProjectListQuery): Promise<Page<ProjectView>> {
    const superuser = viewer?.isSuperuser === true;
    if (query.archived === true && !superuser) {
      throw new DomainError('archived_list_forbidden');
    }
    const listViewer: ListViewer = superuser
      ? { kind: 'superuser' }
      : viewer === undefined
        ? { kind: 'anonymous' }
        : { kind: 'user', userId: viewer.id };
    const rows = await projectsRepository.list(this.db, {
      viewer: listViewer,
      publicStatuses: PUBLIC_STATUSES,
      archived: query.archived === true,
      status: query.status,
      tag: query.tag?.trim().toLowerCase(),
      q: query.q,
      limit: query.limit,
      cursor: query.cursor === undefined ? undefined : decodeCursor(query.cursor, PROJECTS_ORDER),
    });
    const page = toPage(rows, query.limit, PROJECTS_ORDER, (r) => ({
      k: r.project.id,
      id: r.project.id,
    }));
    return {
      items: page.items.map((r) => ({ project: r.project, places: r })),
      next_cursor: page.nextCursor,
    };
  }

  async get(viewer: Viewer, id: number): Promise<ProjectView> {
    const { project } = await loadVisibleProject(this.db, viewer, id);
    return this.withPlaces(this.db, project);
  }

  /** Superusers only (the route's guard); the project starts as a draft. */
  async create(actor: UserRow, body: ProjectCreateBody): Promise<ProjectView> {
    const startsOn = body.starts_on ?? null;
    const endsOn = body.ends_on ?? null;
    checkDates(startsOn, endsOn);
    return this.db.transaction(async (tx) => {
      const project = await projectsRepository.insert(tx, {
        title: body.title,
        description: body.description ?? '',
        repositoryUrl: body.repository_url ?? null,
        tags: normalizeTags(body.tags ?? []),
        startsOn,
        endsOn,
        developerSlots: body.developer_slots ?? 0,
        testerSlots: body.tester_slots ?? 0,
        createdBy: actor.id,
      });
      await appendToOutbox(tx, {
        type: 'project.created',
        payload: {
          v: 1,
          project_id: project.id,
          actor_id: actor.id,
          occurred_at: project.createdAt.toISOString(),
          project: snapshot(project),
        },
      });
      return { project, places: undefined };
    });
  }

  /**
   * Mentors change the description and move the status forward; superusers change every
   * field. The row is locked so that a slot change and a concurrent accept cannot cross.
   */
  async update(actor: UserRow, id: number, patch: ProjectPatchBody): Promise<ProjectView> {
    return this.db.transaction(async (tx) => {
      const { project, role } = await loadVisibleProject(tx, actor, id, 'update');
      if (!canManage(actor, project, role)) {
        throw new DomainError('project_edit_forbidden');
      }
      assertNotArchived(project);
      if (!actor.isSuperuser) {
        const denied = Object.keys(patch).filter(
          (k) => !(MENTOR_EDITABLE as readonly string[]).includes(k),
        );
        if (denied.length > 0) {
          throw new DomainError('mentor_fields_only', { allowed: MENTOR_EDITABLE, denied });
        }
      }

      const set: ProjectSet = {};
      const changed: string[] = [];
      const field = <K extends keyof ProjectSet>(api: string, key: K, value: ProjectSet[K]) => {
        if (JSON.stringify(value) !== JSON.stringify(project[key as keyof ProjectRow])) {
          set[key] = value;
          changed.push(api);
        }
      };
      if (patch.title !== undefined) {
        field('title', 'title', patch.title);
      }
      if (patch.description !== undefined) {
        field('description', 'description', patch.description);
      }
      if (patch.repository_url !== undefined) {
        field('repository_url', 'repositoryUrl', patch.repository_url);
      }
      if (patch.tags !== undefined) {
        field('tags', 'tags', normalizeTags(patch.tags));
      }
      if (patch.starts_on !== undefined) {
        field('starts_on', 'startsOn', patch.starts_on);
      }
      if (patch.ends_on !== undefined) {
        field('ends_on', 'endsOn', patch.ends_on);
      }
      checkDates(
        patch.starts_on !== undefined ? patch.starts_on : project.startsOn,
        patch.ends_on !== undefined ? patch.ends_on : project.endsOn,
      );
      for (const [api, key, role] of [
        ['developer_slots', 'developerSlots', 'developer'],
        ['tester_slots', 'testerSlots', 'tester'],
      ] as const) {
        const value = patch[api];
        if (value === undefined) {
          continue;
        }
        const taken = await projectsRepository.countMembers(tx, id, role);
        if (value < taken) {
          throw new DomainError('slots_below_members', { taken, role, field: api });
        }
        field(api, key, value);
      }
      const from = project.status;
      const to = patch.status;
      const statusChanges = to !== undefined && to !== from;
      if (statusChanges) {
        assertProjectTransition(from, to);
        set.status = to;
      }
      if (changed.length === 0 && !statusChanges) {
        return this.withPlaces(tx, project);
      }
      const updated = await projectsRepository.update(tx, id, set);
      const occurredAt = updated.updatedAt.toISOString();
      if (changed.length > 0) {
        await appendToOutbox(tx, {
          type: 'project.updated',
          payload: {
            v: 1,
            project_id: id,
            actor_id: actor.id,
            occurred_at: occurredAt,
            changed,
            project: snapshot(updated),
          },
        });
      }
      if (statusChanges) {
        await appendToOutbox(tx, {
          type: 'project.status_changed',
          payload: {
            v: 1,
            project_id: id,
            actor_id: actor.id,
            occurred_at: occurredAt,
            from,
            to,
            title: updated.title,
          },
        });
      }
      return this.withPlaces(tx, updated);
    });
  }

  /** Superusers only (route guard). Archiving twice is a 409, not a silent success. */
  async archive(actor: UserRow, id: number): Promise<void> {
    await this.setArchived(actor, id, true);
  }

  async restore(actor: UserRow, id: number): Promise<ProjectView> {
    return this.setArchived(actor, id, false);
  }

  private async setArchived(actor: UserRow, id: number, archived: boolean): Promise<ProjectView> {
    return this.db.transaction(async (tx) => {
      const project = await projectsRepository.findById(tx, id, 'update');
      if (project === undefined) {
        throw projectNotFound();
      }
      if (project.isActive !== archived) {
        throw new DomainError(archived ? 'project_already_archived' : 'project_not_archived');
      }
      const updated = await projectsRepository.update(tx, id, { isActive: !archived });
      await appendToOutbox(tx, {
        type: archived ? 'project.archived' : 'project.restored',
        payload: {
          v: 1,
          project_id: id,
          actor_id: actor.id,
          occurred_at: updated.updatedAt.toISOString(),
          title: updated.title,
          status: updated.status,
        },
      });
      return this.withPlaces(tx, updated);
    });
  }

  async listMembers(viewer: Viewer, id: number, query: PageQuery): Promise<Page<MemberView>> {
    await loadVisibleProject(this.db, viewer, id);
    const cursor =
      query.cursor === undefined ? undefined : decodeCursor(query.cursor, MEMBERS_ORDER);
    const rows = await projectsRepository.listMembers(this.db, id, query.limit, cursor);
    const page = toPage(rows, query.limit, MEMBERS_ORDER, (m) => ({
      k: m.memberId,
      id: m.memberId,
    }));
    return {
      items: page.items.map((m) => ({
        userId: m.userId,
        username: m.username,
        role: m.role,
        joinedAt: m.joinedAt,
      })),
      next_cursor: page.nextCursor,
    };
  }

  /** Superusers appoint mentors (route guard); developers and testers come by application. */
  async appointMentor(actor: UserRow, id: number, userId: number): Promise<MemberView> {
    try {
      return await this.db.transaction(async (tx) => {
        const project = await projectsRepository.findById(tx, id, 'update');
        if (project === undefined) {
          throw projectNotFound();
        }
        assertNotArchived(project);
        const user = await usersRepository.findById(tx, userId);
        if (user === undefined) {
          throw new DomainError('user_not_found');
        }
        if (!user.isActive) {
          throw new DomainError('mentor_user_archived');
        }
        const existing = await projectsRepository.membership(tx, id, userId);
        if (existing !== undefined) {
          throw new DomainError('already_member', { role: existing.role });
        }
        const member = await projectsRepository.insertMember(tx, {
          projectId: id,
          userId,
          role: 'mentor',
        });
        const joinedAt = member.joinedAt.toISOString();
        await appendToOutbox(tx, {
          type: 'member.joined',
          payload: {
            v: 1,
            project_id: id,
            actor_id: actor.id,
            occurred_at: joinedAt,
            user_id: userId,
            username: user.username,
            role: 'mentor',
            via: 'appointment',
            application_id: null,
            joined_at: joinedAt,
          },
        });
        return { userId, username: user.username, role: 'mentor', joinedAt: member.joinedAt };
      });
    } catch (err) {
      if (uniqueViolation(err) === 'uq_project_members_project_id_user_id') {
        throw new DomainError('already_member', { role: null });
      }
      throw err;
    }
  }

  /**
   * Superusers remove anyone; a project's mentors remove its developers and testers; any
   * member may leave. Everybody else gets 403 (or 404 when the project is not visible).
   */
  async removeMember(actor: UserRow, id: number, userId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { project, role } = await loadVisibleProject(tx, actor, id, 'update');
      const self = actor.id === userId;
      const mentor = canManage(actor, project, role);
      if (!mentor && !self) {
        throw new DomainError('member_remove_forbidden');
      }
      assertNotArchived(project);
      const target = await projectsRepository.membership(tx, id, userId);
      if (target === undefined) {
        throw new DomainError('member_not_found');
      }
      if (!actor.isSuperuser && !self && target.role === 'mentor') {
        throw new DomainError('mentor_remove_superuser_only');
      }
      await projectsRepository.deleteMember(tx, id, userId);
      const user = await usersRepository.findById(tx, userId);
      await appendToOutbox(tx, {
        type: 'member.removed',
        payload: {
          v: 1,
          project_id: id,
          actor_id: actor.id,
          occurred_at: new Date().toISOString(),
          user_id: userId,
          username: user?.username ?? '',
          role: target.role,
        },
      });
    });
  }

  async myProjects(user: UserRow, query: PageQuery): Promise<Page<MyProjectView>> {
    const cursor =
      query.cursor === undefined ? undefined : decodeCursor(query.cursor, MY_PROJECTS_ORDER);
    const rows = await projectsRepository.listForMember(this.db, user.id, query.limit, cursor);
    const page = toPage(rows, query.limit, MY_PROJECTS_ORDER, (r) => ({
      k: r.memberId,
      id: r.memberId,
    }));
    const places = await projectsRepository.placesTaken(
      this.db,
      page.items.map((r) => r.project.id),
    );
    return {
      items: page.items.map((r) => ({
        project: r.project,
        places: places.get(r.project.id),
        role: r.role,
      })),
      next_cursor: page.nextCursor,
    };
  }
}
