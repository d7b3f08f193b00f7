import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { mapPage } from '../../lib/pagination.js';
import { errorResponses, signedIn } from '../../lib/schemas.js';
import { currentUser, type AuthGuards } from '../../plugins/auth.js';
import type { ApplicationsService } from './applications.service.js';
import { APPLICATION_ERRORS } from './projects.errors.js';
import {
  Application,
  ApplicationListQuery,
  ApplicationPage,
  ApplyBody,
  DecisionBody,
  IdParams,
  toApplication,
} from './projects.schemas.js';

export interface ApplicationsRoutesOptions {
  applications: ApplicationsService;
  guards: AuthGuards;
}

const security = signedIn;
const tags = ['applications'];

const applicationsRoutes: FastifyPluginAsync<ApplicationsRoutesOptions> = async (
  app,
  { applications, guards },
) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/api/v1/projects/:id/applications',
    {
      schema: {
        tags,
        summary: 'Apply for a developer or tester place',
        description:
          'Needs a verified e-mail address (403 otherwise) and a `recruiting` project (409 ' +
          'otherwise); one pending application per user and project (409). The mentors are ' +
          'told by e-mail.',
        security,
        params: IdParams,
        body: ApplyBody,
        response: { 201: Application, ...errorResponses(APPLICATION_ERRORS.apply) },
      },
      preHandler: guards.requireUser,
    },
    async (request, reply) => {
      await applications.limitAction('apply', currentUser(request), request.ip);
      return reply
        .status(201)
        .send(
          toApplication(
            await applications.apply(currentUser(request), request.params.id, request.body),
          ),
        );
    },
  );

  r.get(
    '/api/v1/projects/:id/applications',
    {
      schema: {
        tags,
        summary: "A project's applications (its mentors and superusers)",
        security,
        params: IdParams,
        querystring: ApplicationListQuery,
        response: { 200: ApplicationPage, ...errorResponses(APPLICATION_ERRORS.listForProject) },
      },
      preHandler: guards.requireUser,
    },
    async (request) =>
      mapPage(
        await applications.listForProject(currentUser(request), request.params.id, request.query),
        toApplication,
      ),
  );

  r.post(
    '/api/v1/applications/:id/decision',
    {
      schema: {
        tags,
        summary: 'Accept or reject an application (mentor or superuser)',
        description:
          'Accepting makes the applicant a member in the role applied for, only while a place ' +
          'of that role is free: when places run out, the rest get 409. Deciding an application ' +
          'that is not pending is a 409 naming its status. The applicant is told by e-mail.',
        security,
        params: IdParams,
        body: DecisionBody,
        response: { 200: Application, ...errorResponses(APPLICATION_ERRORS.decide) },
      },
      preHandler: guards.requireUser,
    },
    async (request) =>
      toApplication(
        await applications.decide(currentUser(request), request.params.id, request.body),
      ),
  );

  r.post(
    '/api/v1/applications/:id/withdraw',
    {
      schema: {
        tags,
        summary: 'Withdraw my pending application',
        security,
        params: IdParams,
        response: { 200: Application, ...errorResponses(APPLICATION_ERRORS.withdraw) },
      },
      preHandler: guards.requireUser,
    },
    async (request) => {
      await applications.limitAction('withdraw', currentUser(request), request.ip);
      return toApplication(await applications.withdraw(currentUser(request), request.params.id));
    },
  );

  r.get(
    '/api/v1/users/me/applications',
    {
      schema: {
        tags,
        summary: 'My applications',
        description: 'Newest first; filter with `status`.',
        security,
        querystring: ApplicationListQuery,
        response: { 200: ApplicationPage, ...errorResponses(APPLICATION_ERRORS.mine) },
      },
      preHandler: guards.requireUser,
    },
    async (request) =>
      mapPage(await applications.mine(currentUser(request), request.query), toApplication),
  );
};

export default applicationsRoutes;
