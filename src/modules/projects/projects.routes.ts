import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { mapPage } from '../../lib/pagination.js';
import { errorResponses, signedIn } from '../../lib/schemas.js';
import { currentUser, type AuthGuards } from '../../plugins/auth.js';
import { PROJECT_ERRORS } from './projects.errors.js';
import type { ProjectsService } from './projects.service.js';
import {
  AppointBody,
  IdParams,
  Member,
  memberOut,
  MemberPage,
  MemberParams,
  MyProjectPage,
  myProjectOut,
  PageQuery,
  Project,
  projectOut,
  ProjectCreateBody,
  ProjectListQuery,
  ProjectPage,
  ProjectPatchBody,
} from './projects.schemas.js';

export interface ProjectsRoutesOptions {
  projects: ProjectsService;
  guards: AuthGuards;
}

const security = signedIn;
const tags = ['projects'];

const projectsRoutes: FastifyPluginAsync<ProjectsRoutesOptions> = async (
  app,
  { projects, guards },
) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/projects/',
    {
      schema: {
        tags,
        summary: 'List projects',
        description:
          'Newest first, keyset-paginated. Anonymous users see recruiting and active projects; ' +
          'signed-in users also the projects they belong to (mentors: their drafts); ' +
          'superusers see every project, and archived ones with `archived=true`.',
        querystring: ProjectListQuery,
        response: { 200: ProjectPage, ...errorResponses(PROJECT_ERRORS.list) },
      },
      preHandler: guards.optionalUser,
    },
    async (request) => mapPage(await projects.list(request.user, request.query), projectOut),
  );

  r.post(
    '/api/v1/projects/',
    {
      schema: {
        tags,
        summary: 'Create a project (superuser)',
        description:
          'The project starts as a `draft`; appoint mentors, then move it to `recruiting`.',
        security,
        body: ProjectCreateBody,
        response: { 201: Project, ...errorResponses(PROJECT_ERRORS.create) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request, reply) =>
      reply.status(201).send(projectOut(await projects.create(currentUser(request), request.body))),
  );

  r.get(
    '/api/v1/projects/:id',
    {
      schema: {
        tags,
        summary: 'A project',
        description: 'A project the caller may not see (a draft, an archived project) is a 404.',
        params: IdParams,
        response: { 200: Project, ...errorResponses(PROJECT_ERRORS.get) },
      },
      preHandler: guards.optionalUser,
    },
    async (request) => projectOut(await projects.get(request.user, request.params.id)),
  );

  r.patch(
    '/api/v1/projects/:id',
    {
      schema: {
        tags,
        summary: 'Edit a project or move its status',
        description:
          'Mentors of the project change `description` and move `status` forward ' +
          '(draft → recruiting → active → completed); superusers change every field. ' +
          'An invalid status change is a 409 naming the current status.',
        security,
        params: IdParams,
        body: ProjectPatchBody,
        response: { 200: Project, ...errorResponses(PROJECT_ERRORS.update) },
      },
      preHandler: guards.requireUser,
    },
    async (request) =>
      projectOut(await projects.update(currentUser(request), request.params.id, request.body)),
  );

  r.delete(
    '/api/v1/projects/:id',
    {
      schema: {
        tags,
        summary: 'Archive a project (superuser)',
        description:
          'Archived projects are hidden from everyone but superusers; restore undoes it.',
        security,
        params: IdParams,
        response: {
          204: Type.Null({ description: 'Archived' }),
          ...errorResponses(PROJECT_ERRORS.archive),
        },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request, reply) => {
      await projects.archive(currentUser(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/api/v1/projects/:id/restore',
    {
      schema: {
        tags,
        summary: 'Restore an archived project (superuser)',
        security,
        params: IdParams,
        response: { 200: Project, ...errorResponses(PROJECT_ERRORS.restore) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request) => projectOut(await projects.restore(currentUser(request), request.params.id)),
  );

  r.get(
    '/api/v1/projects/:id/members',
    {
      schema: {
        tags,
        summary: 'Members of a project',
        description: 'Mentors, developers and testers, in the order they joined.',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: MemberPage, ...errorResponses(PROJECT_ERRORS.listMembers) },
      },
      preHandler: guards.optionalUser,
    },
    async (request) =>
      mapPage(
        await projects.listMembers(request.user, request.params.id, request.query),
        memberOut,
      ),
  );

  r.post(
    '/api/v1/projects/:id/members',
    {
      schema: {
        tags,
        summary: 'Appoint a mentor (superuser)',
        security,
        params: IdParams,
        body: AppointBody,
        response: { 201: Member, ...errorResponses(PROJECT_ERRORS.appointMentor) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          memberOut(
            await projects.appointMentor(
              currentUser(request),
              request.params.id,
              request.body.user_id,
            ),
          ),
        ),
  );

  r.delete(
    '/api/v1/projects/:id/members/:user_id',
    {
      schema: {
        tags,
        summary: 'Remove a member',
        description:
          "Superusers remove anyone; the project's mentors remove developers and testers; " +
          'a member may leave.',
        security,
        params: MemberParams,
        response: {
          204: Type.Null({ description: 'Removed' }),
          ...errorResponses(PROJECT_ERRORS.removeMember),
        },
      },
      preHandler: guards.requireUser,
    },
    async (request, reply) => {
      await projects.removeMember(currentUser(request), request.params.id, request.params.user_id);
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/api/v1/users/me/projects',
    {
      schema: {
        tags,
        summary: 'My projects',
        description: 'Projects the signed-in user belongs to, with their role; newest first.',
        security,
        querystring: PageQuery,
        response: { 200: MyProjectPage, ...errorResponses(PROJECT_ERRORS.myProjects) },
      },
      preHandler: guards.requireUser,
    },
    async (request) =>
      mapPage(await projects.myProjects(currentUser(request), request.query), myProjectOut),
  );
};

export default projectsRoutes;
