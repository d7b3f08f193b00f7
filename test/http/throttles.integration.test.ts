// Issue 12 (S5, S22): throttles that hold under concurrent bursts and under every alias of a
// login, on the real app with its counters in the real Redis. A 401 means a password was
// checked; a 429 is answered before the hash runs (auth.service.ts login: the counter is hit
// first), so the number of 401s in a burst is the number of password checks that ran.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { redisTestPrefix, TEST_REDIS_URL } from '../helpers/api-process.js';
import { login, register, type Registered } from '../helpers/factories.js';
import { request, type Res } from '../helpers/http.js';
import { invalid } from '../helpers/normalise.js';
import { makeProject, makeUser, outboxOf } from '../helpers/projects.js';

const PER_ACCOUNT = 5;
const PROFILE_PER_USER = 3;
const PROFILE_PER_IP = 5;
const APPLY_PER_USER = 3;
let t: TestApp;

before(async () => {
  t = await startTestApp({
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_STORE: 'redis',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisTestPrefix(),
    // Client addresses from X-Forwarded-For, so each test has addresses of its own.
    TRUST_PROXY: 'true',
    LOGIN_RATE_PER_ACCOUNT: String(PER_ACCOUNT),
    LOGIN_RATE_PER_IP: '100000',
    REGISTER_RATE_PER_IP: '100000',
    ACCOUNT_MAIL_RATE_PER_IP: '100000',
    PROFILE_RATE_PER_USER: String(PROFILE_PER_USER),
    PROFILE_RATE_PER_IP: String(PROFILE_PER_IP),
    APPLY_RATE_PER_USER: String(APPLY_PER_USER),
    APPLY_RATE_PER_IP: '100000',
  });
});
after(async () => {
  await t?.close();
});

let ipSeq = 0;
/** A client address no other test uses. */
const freshIp = () => `203.0.113.${(ipSeq += 1)}`;

const signIn = (username: string, password: string, ip = freshIp()) =>
  request(t.url, 'POST', '/api/v1/jwt/login/', {
    form: { username, password },
    headers: { 'x-forwarded-for': ip },
  });

function statuses(results: Res[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of results) {
    out[r.status] = (out[r.status] ?? 0) + 1;
  }
  return out;
}

/** How many of the answers were each [status, whole body], e.g. {'401 {"detail":…}': 5}. */
function outcomes(results: Res[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = `${r.status} ${JSON.stringify(r.body)}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
const outcome = (status: number, body: unknown) => `${status} ${JSON.stringify(body)}`;

const WRONG_PASSWORD = outcome(401, { detail: 'Invalid username or password' });
const LOGIN_THROTTLED = { detail: 'Too many login attempts. Try again later.' };
/** A wrong current_password (POST /me/password, PATCH /me, DELETE /me). */
const WRONG_CURRENT = invalid({
  loc: ['body', 'current_password'],
  msg: 'Current password is not correct',
  type: 'value_error.current_password',
});
const RATE_LIMITED = { detail: 'Too many requests. Try again later.' };

function assertLimited(res: Res, body: unknown = LOGIN_THROTTLED): void {
  assert.deepEqual([res.status, res.body], [429, body]);
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(retry >= 1, `Retry-After: ${retry}`);
}

/** A user whose username holds an `i`, so `İ` (capital I with dot) is an alias of it. */
async function userWithI(): Promise<Registered> {
  const tag = randomBytes(4).toString('hex');
  return register(t.url, { username: `ivan_${tag}`, email: `ivan_${tag}@example.com` });
}

describe('S5/S22 sign-in: each attempt counted before the password is checked', () => {
  test('30 parallel wrong passwords: exactly the limit are checked, the rest 429 with Retry-After', async () => {
    const u = await register(t.url);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => signIn(u.username, `wrong password ${i}`)),
    );
    assert.deepEqual(outcomes(results), {
      [WRONG_PASSWORD]: PER_ACCOUNT,
      [outcome(429, LOGIN_THROTTLED)]: 30 - PER_ACCOUNT,
    });
    assertLimited(results.find((r) => r.status === 429)!);
    // The owner's right password is refused too while the account is locked.
    assertLimited(await signIn(u.username, u.password));
  });

  test('every alias of a login shares one counter: username, e-mail, case forms and İ', async () => {
    const u = await userWithI();
    const aliases = [
      u.username,
      u.username.toUpperCase(),
      u.email,
      u.email.toUpperCase(),
      // PostgreSQL folds İ to i (as the lookup does); JavaScript's toLowerCase gives i̇.
      u.username.toUpperCase().replace('I', 'İ'),
      u.email.replace('i', 'İ'),
    ];
    // The İ forms really are aliases: each signs in with the right password.
    for (const alias of aliases.slice(4)) {
      const ok = await signIn(alias, u.password);
      assert.equal(ok.status, 200, `${alias}: ${ok.text}`);
    }
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        signIn(aliases[i % aliases.length]!, `wrong password ${i}`),
      ),
    );
    assert.deepEqual(outcomes(results), {
      [WRONG_PASSWORD]: PER_ACCOUNT,
      [outcome(429, LOGIN_THROTTLED)]: 30 - PER_ACCOUNT,
    });
    for (const alias of aliases) {
      assertLimited(await signIn(alias, u.password));
    }
  });

  test('an unknown name is keyed by its database fold: İ and i forms share a counter', async () => {
    const name = `igor_unknown_${randomBytes(4).toString('hex')}`;
    const forms = [name, name.toUpperCase(), name.toUpperCase().replace('I', 'İ')];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => signIn(forms[i % forms.length]!, 'some password 1')),
    );
    assert.deepEqual(outcomes(results), {
      [WRONG_PASSWORD]: PER_ACCOUNT,
      [outcome(429, LOGIN_THROTTLED)]: 30 - PER_ACCOUNT,
    });
  });

  test('a right password clears the counter (policy: its owner is not locked out by successes)', async () => {
    const u = await register(t.url);
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < PER_ACCOUNT - 1; i += 1) {
        const res = await signIn(u.username, 'wrong password x');
        assert.equal(outcome(res.status, res.body), WRONG_PASSWORD);
      }
      assert.equal((await signIn(u.email, u.password)).status, 200);
    }
  });
});

describe('S22 current_password counts against the same account limit as sign-in', () => {
  async function signedIn() {
    const u = await register(t.url);
    const tokens = await login(t.url, u.username, u.password);
    return { ...u, token: tokens.access_token };
  }

  test('a burst of wrong current passwords on POST /me/password: only the limit are checked', async () => {
    const u = await signedIn();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        request(t.url, 'POST', '/api/v1/users/me/password', {
          token: u.token,
          headers: { 'x-forwarded-for': freshIp() },
          json: {
            current_password: `wrong password ${i}`,
            new_password: 'a brand new passphrase',
            new_password_confirm: 'a brand new passphrase',
          },
        }),
      ),
    );
    assert.deepEqual(outcomes(results), {
      [outcome(422, WRONG_CURRENT)]: PER_ACCOUNT,
      [outcome(429, LOGIN_THROTTLED)]: 30 - PER_ACCOUNT,
    });
    // The same counter: sign-in is locked as well.
    assertLimited(await signIn(u.username, u.password));
  });

  test('sign-in failures, PATCH /me and DELETE /me failures add up on one counter', async () => {
    const u = await signedIn();
    const wrong = async (login: string, password: string) => {
      const res = await signIn(login, password);
      assert.equal(outcome(res.status, res.body), WRONG_PASSWORD);
    };
    await wrong(u.email, 'wrong password 1');
    await wrong(u.username, 'wrong password 2');
    const patch = await request(t.url, 'PATCH', '/api/v1/users/me', {
      token: u.token,
      headers: { 'x-forwarded-for': freshIp() },
      json: { email: `new_${u.email}`, current_password: 'wrong password 3' },
    });
    assert.deepEqual([patch.status, patch.body], [422, WRONG_CURRENT]);
    const del = await request(t.url, 'DELETE', '/api/v1/users/me', {
      token: u.token,
      headers: { 'x-forwarded-for': freshIp() },
      json: { current_password: 'wrong password 4' },
    });
    assert.deepEqual([del.status, del.body], [422, WRONG_CURRENT]);
    await wrong(u.username, 'wrong password 5');
    // The sixth check of any kind is refused before the hash.
    assertLimited(
      await request(t.url, 'DELETE', '/api/v1/users/me', {
        token: u.token,
        headers: { 'x-forwarded-for': freshIp() },
        json: { current_password: u.password },
      }),
    );
    assertLimited(await signIn(u.username, u.password));
  });
});

describe('S22 profile changes and verification resends: per user and per address', () => {
  test('PATCH /me: a burst from one user gets at most the per-user limit', async () => {
    const u = await makeUser(t, { verified: false });
    const ip = freshIp();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(t.url, 'PATCH', '/api/v1/users/me', {
          token: u.token,
          headers: { 'x-forwarded-for': ip },
          json: { locale: i % 2 === 0 ? 'ru' : 'en' },
        }),
      ),
    );
    assert.deepEqual(statuses(results), { 200: PROFILE_PER_USER, 429: 10 - PROFILE_PER_USER });
    for (const r of results.filter((x) => x.status === 429)) {
      assertLimited(r, RATE_LIMITED);
    }
  });

  test('PATCH /me: several users from one address share the per-address limit', async () => {
    const users = await Promise.all([1, 2, 3].map(() => makeUser(t)));
    const ip = freshIp();
    const results: Res[] = [];
    for (const u of users) {
      for (let i = 0; i < 2; i += 1) {
        results.push(
          await request(t.url, 'PATCH', '/api/v1/users/me', {
            token: u.token,
            headers: { 'x-forwarded-for': ip },
            json: { locale: i === 0 ? 'ru' : 'en' },
          }),
        );
      }
    }
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 200, 200, 200, 429],
    );
    assertLimited(results.at(-1)!, RATE_LIMITED);
  });

  test('resend verification: a burst from one user sends at most the per-user limit', async () => {
    const u = await makeUser(t, { verified: false });
    const before = (await outboxOf(t, 'mail.verify_email')).length;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        request(t.url, 'POST', '/api/v1/users/verify-email/resend', {
          token: u.token,
          headers: { 'x-forwarded-for': freshIp() },
        }),
      ),
    );
    assert.deepEqual(outcomes(results), {
      [outcome(202, { detail: 'Verification mail sent' })]: PROFILE_PER_USER,
      [outcome(429, RATE_LIMITED)]: 10 - PROFILE_PER_USER,
    });
    const mails = (await outboxOf<{ user_id: number }>(t, 'mail.verify_email'))
      .slice(before)
      .filter((p) => p.user_id === u.id);
    assert.equal(mails.length, PROFILE_PER_USER);
  });
});

describe('S22 applications: apply and withdraw limited; mentors mailed once per applicant and project', () => {
  test('apply/withdraw cycles: one mentor mail per applicant and project, then 429', async () => {
    const su = await makeUser(t, { superuser: true });
    const mentor = await makeUser(t);
    const applicant = await makeUser(t);
    const project = await makeProject(t, su, { status: 'recruiting', mentors: [mentor] });
    const ip = freshIp();
    const cycle = async () => {
      const applied = await request<{ id: number }>(
        t.url,
        'POST',
        `/api/v1/projects/${project.id}/applications`,
        {
          token: applicant.token,
          headers: { 'x-forwarded-for': ip },
          json: { role: 'developer', motivation: 'see https://spam.example' },
        },
      );
      if (applied.status !== 201) {
        return applied.status;
      }
      const withdrawn = await request(
        t.url,
        'POST',
        `/api/v1/applications/${applied.body.id}/withdraw`,
        {
          token: applicant.token,
          headers: { 'x-forwarded-for': ip },
        },
      );
      assert.equal(withdrawn.status, 200, withdrawn.text);
      return 201;
    };
    const outcomes: number[] = [];
    for (let i = 0; i < APPLY_PER_USER + 1; i += 1) {
      outcomes.push(await cycle());
    }
    assert.deepEqual(outcomes, [...Array<number>(APPLY_PER_USER).fill(201), 429]);
    const mails = (
      await outboxOf<{ user_id: number; project_id: number }>(t, 'mail.application_submitted')
    ).filter((p) => p.project_id === project.id);
    assert.deepEqual(
      mails.map((m) => m.user_id),
      [mentor.id],
      `${APPLY_PER_USER} applications, one mail (MENTOR_MAIL_WINDOW_SECONDS)`,
    );
    // The domain events still tell every application (webhooks see the truth).
    const events = (await outboxOf<{ project_id: number }>(t, 'application.submitted')).filter(
      (p) => p.project_id === project.id,
    );
    assert.equal(events.length, APPLY_PER_USER);
  });
});
