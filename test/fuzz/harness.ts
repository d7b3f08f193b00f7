// Sets the stage for a fuzz run on a test app: a superuser, an ordinary user, a third
// session whose refresh token the fuzzer may spend, projects and an application whose ids
// the fuzzer uses (never the two actors' own ids: archiving them would end the run early).
import type { TestApp } from '../helpers/app.js';
import { login, register } from '../helpers/factories.js';
import { applyTo, makeProject, makeUser } from '../helpers/projects.js';
import type { FuzzOptions } from './fuzzer.js';

export async function fuzzStage(
  t: TestApp,
  budget: Pick<FuzzOptions, 'seed' | 'maxRequests' | 'maxMs'>,
): Promise<FuzzOptions> {
  const admin = await makeUser(t, { superuser: true });
  const user = await makeUser(t);
  const spender = await register(t.url);
  const refresh = (await login(t.url, spender.username, spender.password)).refresh_token;
  const victim = await register(t.url);
  const recruiting = await makeProject(t, admin, { status: 'recruiting', mentors: [user] });
  const draft = await makeProject(t, admin);
  const applicant = await makeUser(t);
  const application = await applyTo(t, applicant, recruiting.id);
  const own = new Set([admin.id, user.id]);
  const ids = [victim.id, recruiting.id, draft.id, application, applicant.id].filter(
    (id) => !own.has(id),
  );
  return {
    baseUrl: t.url,
    tokens: { admin: admin.token, user: user.token, refresh },
    ids,
    ...budget,
  };
}
