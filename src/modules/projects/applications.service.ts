import type { Db } from '../../db/client.js';
import type { RateLimitStore } from '../../lib/rate-limiter.js';
import { hitActionLimit, type ActionLimit } from '../auth/account-throttle.js';
import { DomainError } from '../../lib/errors.js';
import { decodeCursor, toPage, type Page } from '../../lib/pagination.js';
import type { OutboxMessage } from '../outbox/catalogue.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { uniqueViolation, usersRepository } from '../users/users.repository.js';
import type { UserRow } from '../users/users.table.js';
import { applicationsRepository, type ApplicationView } from './applications.repository.js';
import { assertApplicationTransition, canManage, JOINABLE_STATUSES } from './projects.policy.js';
import { projectsRepository } from './projects.repository.js';
import type { ApplicationListQuery, ApplyBody, DecisionBody } from './projects.schemas.js';
import { loadVisibleProject } from './projects.service.js';
import type { ApplicationRow } from './projects.table.js';

const APPLICATIONS_ORDER = '-id';

const applicationNotFound = () => new DomainError('application_not_found');

export interface ApplicationLimits {
  store: RateLimitStore;
  /** Per user and per client address, for apply and withdraw (issue 12, S22). */
  actions: ActionLimit;
  /** At most one mail to the mentors per applicant and project in this window (issue 12). */
  mentorMailWindowSeconds: number;
}

export class ApplicationsService {
  constructor(
    private readonly db: Db,
    private readonly limits?: ApplicationLimits,
  ) {}

  /** Apply and withdraw are limited per user and per client address (429). */
  async limitAction(name: 'apply' | 'withdraw', user: UserRow, ip: string): Promise<void> {
    if (this.limits !== undefined) {
      await hitActionLimit(
        this.limits.store,
        `applications:${name}`,
        this.limits.actions,
        user.id,
        ip,
      );
    }
  }

  /**
   * Whether the mentors hear of this applicant's application to this project: apply/withdraw
   * cycles must not flood their inboxes with the applicant's text (issue 12).
   */
  private async mentorsMayBeMailed(projectId: number, applicantId: number): Promise<boolean> {
    if (this.limits === undefined) {
      return true;
    }
    const d = await this.limits.store.hit(
      `mentor-mail:project:${projectId}:applicant:${applicantId}`,
      1,
      this.limits.mentorMailWindowSeconds,
    );
    return d.allowed;
  }

  /**
   * Any active user with a verified e-mail applies to a recruiting project for a developer or
   * tester place. The partial unique index (one pending application per user and project)
   * decides under concurrency. Each mentor is told by mail, in the same transaction (outbox).
   */
  async apply(user: UserRow, projectId: number, body: ApplyBody): Promise<ApplicationView> {
    try {
      return await this.db.transaction(async (tx) => {
        // FOR SHARE: a concurrent status change waits for this application (and vice versa).
        const { project, role } = await loadVisibleProject(tx, user, projectId, 'share');
        if (user.emailVerifiedAt === null) {
          throw new DomainError('email_unverified');
        }
        if (!project.isActive) {
          throw new DomainError('apply_project_archived');
        }
        if (project.status !== 'recruiting') {
          throw new DomainError('project_not_recruiting', { status: project.status });
        }
        if (role !== undefined) {
          throw new DomainError('applicant_is_member', { role });
        }
        const slots = body.role === 'developer' ? project.developerSlots : project.testerSlots;
        if (slots === 0) {
          throw new DomainError('no_places_for_role', { role: body.role });
        }
        const application = await applicationsRepository.insert(tx, {
          projectId,
          applicantId: user.id,
          role: body.role,
          motivation: body.motivation,
        });
        const mentors = (await this.mentorsMayBeMailed(projectId, user.id))
          ? await projectsRepository.mentors(tx, projectId)
          : [];
        const messages: OutboxMessage[] = [
          {
            type: 'application.submitted',
            payload: {
              v: 1,
              project_id: projectId,
              actor_id: user.id,
              occurred_at: application.createdAt.toISOString(),
              application_id: application.id,
              applicant_id: user.id,
              applicant_username: user.username,
              role: application.role,
              motivation: application.motivation,
              project_title: project.title,
            },
          },
          ...mentors.map((m): OutboxMessage => ({
            type: 'mail.application_submitted',
            payload: {
              v: 1,
              user_id: m.userId,
              username: m.username,
              email: m.email,
              locale: m.locale,
              application_id: application.id,
              project_id: projectId,
              project_title: project.title,
              applicant_username: user.username,
              role: application.role,
              motivation: application.motivation,
            },
          })),
        ];
        await appendToOutbox(tx, ...messages);
        return {
          ...application,
          projectTitle: project.title,
          applicantUsername: user.username,
        };
      });
    } catch (err) {
      if (uniqueViolation(err) === 'uq_applications_project_id_applicant_id_pending') {
        throw new DomainError('application_pending');
      }
      throw err;
    }
  }

  /** The project's mentors and superusers; others 403 (404 when the project is not visible). */
  async listForProject(
    actor: UserRow,
    projectId: number,
    query: ApplicationListQuery,
  ): Promise<Page<ApplicationView>> {
    const { project, role } = await loadVisibleProject(this.db, actor, projectId);
    if (!canManage(actor, project, role)) {
      throw new DomainError('applications_view_forbidden');
    }
    return this.page({ projectId }, query);
  }

  async mine(user: UserRow, query: ApplicationListQuery): Promise<Page<ApplicationView>> {
    return this.page({ applicantId: user.id }, query);
  }

  private async page(
    by: { projectId: number } | { applicantId: number },
    query: ApplicationListQuery,
  ): Promise<Page<ApplicationView>> {
    const cursor =
      query.cursor === undefined ? undefined : decodeCursor(query.cursor, APPLICATIONS_ORDER);
    const rows = await applicationsRepository.list(this.db, by, query.status, query.limit, cursor);
    const page = toPage(rows, query.limit, APPLICATIONS_ORDER, (a) => ({ k: a.id, id: a.id }));
    return { items: page.items, next_cursor: page.nextCursor };
  }

  /**
   * A mentor (or superuser) accepts or rejects a pending application. Accepting is where the
   * race for the last place is settled: the project row is locked FOR UPDATE first, so
   * concurrent accepts on one project run one after another; each counts the members of the
   * role and inserts only while a place is free. Lock order is always project, then
   * application, so decisions and withdrawals cannot deadlock.
   */
  async decide(
    actor: UserRow,
    applicationId: number,
    body: DecisionBody,
  ): Promise<ApplicationView> {
    const found = await applicationsRepository.findById(this.db, applicationId);
    if (found === undefined) {
      throw applicationNotFound();
    }
    return this.db.transaction(async (tx) => {
      const project = await projectsRepository.findById(tx, found.projectId, 'update');
      const application = await applicationsRepository.findById(tx, applicationId, 'update');
      if (project === undefined || application === undefined) {
        throw applicationNotFound();
      }
      const role = (await projectsRepository.membership(tx, project.id, actor.id))?.role;
      if (!canManage(actor, project, role)) {
        if (application.applicantId === actor.id) {
          throw new DomainError('decide_forbidden');
        }
        throw applicationNotFound();
      }
      assertApplicationTransition(application.status, body.status);
      const applicant = await usersRepository.findById(tx, application.applicantId);
      if (applicant === undefined) {
        throw applicationNotFound();
      }
      const decidedAt = new Date();
      const messages: OutboxMessage[] = [];
      if (body.status === 'accepted') {
        if (!project.isActive) {
          throw new DomainError('project_archived');
        }
        if (!JOINABLE_STATUSES.includes(project.status)) {
          throw new DomainError('project_not_joinable', { status: project.status });
        }
        if (!applicant.isActive) {
          throw new DomainError('applicant_archived');
        }
        const existing = await projectsRepository.membership(tx, project.id, applicant.id);
        if (existing !== undefined) {
          throw new DomainError('applicant_already_member', { role: existing.role });
        }
        const slots =
          application.role === 'developer' ? project.developerSlots : project.testerSlots;
        const taken = await projectsRepository.countMembers(tx, project.id, application.role);
        if (taken >= slots) {
          throw new DomainError('no_place_left', { role: application.role, taken, slots });
        }
        const member = await projectsRepository.insertMember(tx, {
          projectId: project.id,
          userId: applicant.id,
          role: application.role,
        });
        messages.push({
          type: 'member.joined',
          payload: {
            v: 1,
            project_id: project.id,
            actor_id: actor.id,
            occurred_at: member.joinedAt.toISOString(),
            user_id: applicant.id,
            username: applicant.username,
            role: application.role,
            via: 'application',
            application_id: application.id,
            joined_at: member.joinedAt.toISOString(),
          },
        });
      }
      const reason = body.reason ?? null;
      const decided = await applicationsRepository.update(tx, application.id, {
        status: body.status,
        decidedBy: actor.id,
        decidedAt,
        reason,
      });
      messages.push(
        {
          type: 'application.decided',
          payload: {
            v: 1,
            project_id: project.id,
            actor_id: actor.id,
            occurred_at: decidedAt.toISOString(),
            application_id: application.id,
            applicant_id: applicant.id,
            role: application.role,
            status: body.status,
            reason,
            decided_by: actor.id,
            decided_at: decidedAt.toISOString(),
          },
        },
        {
          type: 'mail.application_decided',
          payload: {
            v: 1,
            user_id: applicant.id,
            username: applicant.username,
            email: applicant.email,
            locale: applicant.locale,
            application_id: application.id,
            project_id: project.id,
            project_title: project.title,
            role: application.role,
            status: body.status,
            reason,
          },
        },
      );
      await appendToOutbox(tx, ...messages);
      return this.view(decided, project.title, applicant.username);
    });
  }

  /** Only the applicant withdraws, and only a pending application. */
  async withdraw(actor: UserRow, applicationId: number): Promise<ApplicationView> {
    const found = await applicationsRepository.findById(this.db, applicationId);
    if (found === undefined) {
      throw applicationNotFound();
    }
    if (found.applicantId !== actor.id) {
      const project = await projectsRepository.findById(this.db, found.projectId);
      const role = (await projectsRepository.membership(this.db, found.projectId, actor.id))?.role;
      if (project !== undefined && canManage(actor, project, role)) {
        throw new DomainError('withdraw_forbidden');
      }
      throw applicationNotFound();
    }
    return this.db.transaction(async (tx) => {
      const project = await projectsRepository.findById(tx, found.projectId, 'share');
      const application = await applicationsRepository.findById(tx, applicationId, 'update');
      if (project === undefined || application === undefined) {
        throw applicationNotFound();
      }
      assertApplicationTransition(application.status, 'withdrawn');
      const updated = await applicationsRepository.update(tx, applicationId, {
        status: 'withdrawn',
      });
      await appendToOutbox(tx, {
        type: 'application.withdrawn',
        payload: {
          v: 1,
          project_id: project.id,
          actor_id: actor.id,
          occurred_at: updated.updatedAt.toISOString(),
          application_id: application.id,
          applicant_id: actor.id,
          role: application.role,
        },
      });
      return this.view(updated, project.title, actor.username);
    });
  }

  private view(
    a: ApplicationRow,
    projectTitle: string,
    applicantUsername: string,
  ): ApplicationView {
    return { ...a, projectTitle, applicantUsername };
  }
}
