// Pure rules of the projects domain: the two state machines as explicit transition tables,
// and who may see or manage a project. No I/O here, so every rule is unit-testable.
import { DomainError } from '../../lib/errors.js';
import type { UserRow } from '../users/users.table.js';
import type { ApplicationStatus, MemberRole, ProjectRow, ProjectStatus } from './projects.table.js';

/** Project status moves forward only: draft → recruiting → active → completed. */
export const PROJECT_TRANSITIONS: Readonly<Record<ProjectStatus, readonly ProjectStatus[]>> = {
  draft: ['recruiting'],
  recruiting: ['active'],
  active: ['completed'],
  completed: [],
};

/** An application is decided once: pending → accepted | rejected | withdrawn. */
export const APPLICATION_TRANSITIONS: Readonly<
  Record<ApplicationStatus, readonly ApplicationStatus[]>
> = {
  pending: ['accepted', 'rejected', 'withdrawn'],
  accepted: [],
  rejected: [],
  withdrawn: [],
};

/** Statuses anyone (also anonymous) may see; other statuses only members and superusers. */
export const PUBLIC_STATUSES: readonly ProjectStatus[] = ['recruiting', 'active'];

/** Statuses in which an accepted applicant may still join (places are filled while running). */
export const JOINABLE_STATUSES: readonly ProjectStatus[] = ['recruiting', 'active'];

/** Throws 409 naming the current state unless `from → to` is in the project table. */
export function assertProjectTransition(from: ProjectStatus, to: ProjectStatus): void {
  const allowed = PROJECT_TRANSITIONS[from];
  if (!allowed.includes(to)) {
    throw new DomainError('project_transition', { from, to, allowed });
  }
}

/** Throws 409 naming the current state unless `from → to` is in the application table. */
export function assertApplicationTransition(from: ApplicationStatus, to: ApplicationStatus): void {
  const allowed = APPLICATION_TRANSITIONS[from];
  if (!allowed.includes(to)) {
    throw new DomainError('application_transition', { from, to });
  }
}

export type Viewer = UserRow | undefined;

/** Anonymous and plain users see public statuses; members also their projects; superusers all. */
export function canSee(viewer: Viewer, project: ProjectRow, role: MemberRole | undefined): boolean {
  if (viewer?.isSuperuser === true) {
    return true;
  }
  if (!project.isActive) {
    return false;
  }
  return PUBLIC_STATUSES.includes(project.status) || role !== undefined;
}

/** Mentor powers (edit description, move status, decide applications): mentors and superusers. */
export function canManage(viewer: Viewer, project: ProjectRow, role: MemberRole | undefined) {
  if (viewer === undefined) {
    return false;
  }
  return viewer.isSuperuser || (project.isActive && role === 'mentor');
}

/** Fields a mentor may change; the rest (title, dates, places...) need a superuser. */
export const MENTOR_EDITABLE = ['description', 'status'] as const;
