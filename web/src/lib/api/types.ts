// Names for the response shapes the pages use, taken from the generated paths (the OpenAPI
// document inlines its schemas, so there are no component names to import).
import type { paths } from './schema';

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
export type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: infer A }
    ? Json<A>
    : R extends { 201: infer B }
      ? Json<B>
      : never
  : never;

export type User = Ok<'/api/v1/users/me', 'get'>;
export type Locale = User['locale'];
export type UserPage = Ok<'/api/v1/users/', 'get'>;
export type Project = Ok<'/api/v1/projects/{id}', 'get'>;
export type ProjectPage = Ok<'/api/v1/projects/', 'get'>;
export type ProjectStatus = Project['status'];
export type MyProjectPage = Ok<'/api/v1/users/me/projects', 'get'>;
export type MemberPage = Ok<'/api/v1/projects/{id}/members', 'get'>;
export type Member = MemberPage['items'][number];
export type Application = Ok<'/api/v1/users/me/applications', 'get'>['items'][number];
export type ApplicationStatus = Application['status'];
export type PlaceRole = Application['role'];

export const PROJECT_STATUSES: ProjectStatus[] = ['draft', 'recruiting', 'active', 'completed'];
/** The forward-only status moves (docs/domain.md). */
export const NEXT_STATUS: Record<ProjectStatus, ProjectStatus | null> = {
  draft: 'recruiting',
  recruiting: 'active',
  active: 'completed',
  completed: null,
};
